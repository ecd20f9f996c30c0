/*
 * What the portable Vm object needs from the architecture's virtualization
 * support (AMD SVM on x86-64 today; VMX and ARM64 EL2 plug in here).
 */
#ifndef KAPSEL_VCPU_H
#define KAPSEL_VCPU_H

#include <kapsel/error.h>
#include <kapsel/vcpu_state.h>
#include <stdbool.h>
#include <stdint.h>

struct arch_vcpu;
struct factory;

/* Detects and enables the hardware; false (with *reason) if this CPU cannot run VMs. */
bool arch_virtualization_init(const char **reason);

bool arch_virtualization_available(void);

/* A vCPU whose guest-physical space is the page table at guest_space_root; memory charged to quota. */
enum error arch_vcpu_create(struct factory *quota, uint64_t guest_space_root, struct arch_vcpu **vcpu);

void arch_vcpu_destroy(struct arch_vcpu *vcpu, struct factory *quota);

/* Bytes a vCPU costs its factory (kernel-private control block and register save areas). */
uint64_t arch_vcpu_charge(void);

/* What the run loop does after a host exit (an interrupt, perhaps a preemption). */
enum vcpu_run_decision {
    VCPU_RUN_CONTINUE,        /* re-enter the guest */
    VCPU_RUN_RETURN_KICKED,   /* hand the vCPU back to its VMM with VCPU_EXIT_KICKED */
    VCPU_RUN_RETURN_DEADLINE, /* hand it back with VCPU_EXIT_DEADLINE (the VMM's timer is due) */
    VCPU_RUN_ABORT,           /* the VM is gone: return ERROR_PEER_GONE without touching state */
};

/*
 * Checks state and loads it, runs the guest until an exit the VMM must see,
 * and stores the guest state and the exit back into state. Host interrupts
 * are handled in between, and the thread may be preempted; decide is asked
 * after each host exit.
 */
enum error arch_vcpu_run(struct arch_vcpu *vcpu, struct vcpu_state *state,
                         enum vcpu_run_decision (*decide)(void *context), void *context);

#endif
