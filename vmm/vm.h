/*
 * One VM as this uvmm instance sees it: the kernel's Vm object, guest RAM,
 * vCPU 0's state page, the devices and virtio slots, and how the VM ended.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include "device_registry.h"
#include "guest_ram.h"
#include "virtio_slot.h"

#include <kapsel/vcpu_state.h>
#include <stdbool.h>
#include <stdint.h>

#define VM_END_REASON_SIZE 192

/* The uvmm's exit status: a deliberate end passes the guest's status (0 for HLT); these are for failures. */
#define VMM_STATUS_SETUP_FAILED 1 /* the VM could not be built (arguments, kernel refused, no memory) */
#define VMM_STATUS_GUEST_FAULT 2  /* the guest crashed or did something the VMM cannot emulate */

struct arch_platform; /* the guest's platform devices and clock, when it has them (vmm/arch/<arch>/) */

struct vm {
    const char *name;
    uint64_t capability;     /* the Vm object */
    struct guest_memory ram; /* at guest-physical 0 */
    struct vcpu_state *vcpu; /* vCPU 0's state page, mapped by the kernel */
    struct device_registry devices;
    /* Ports no device claims read as all ones and ignore writes, as on a PC's bus (Linux probes many);
     * otherwise such an access ends the VM (the test guest touches only its devices). */
    bool unclaimed_ports_float;
    /* MSRs the policy does not know read as 0 and ignore writes (noted once each), instead of #GP:
     * Linux touches model-specific registers early, some without a fault handler. */
    bool unknown_msrs_ignored;
    uint32_t noted_msrs[16];
    unsigned noted_msr_count;
    struct arch_platform *platform; /* NULL: no timers or interrupt controllers (the test guest) */
    /* Called before each guest entry (NULL: nothing): device work that does not wait for an exit of this guest. */
    void (*before_run)(void *context);
    void *before_run_context;
    struct virtio_slot virtio_slots[VM_MAX_VIRTIO_SLOTS];
    unsigned virtio_slot_count;                   /* slots in use, from the first */
    uint64_t exit_counts[VCPU_EXIT_DEADLINE + 1]; /* per exit reason, for the end-of-VM report */
    uint64_t control_polled_at;                   /* the kernel tick of the last poll for messages (control.h) */
    unsigned shutdown_requests;                   /* the launcher's, so far */
    bool ended;
    int status; /* the uvmm's exit status, once ended */
    char end_reason[VM_END_REASON_SIZE];
};

/* Ends the VM after the exit being handled: the first call wins, later ones are ignored. */
void vm_end(struct vm *vm, int status, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
