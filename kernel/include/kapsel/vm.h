/* Vm objects: a guest-physical address space filled by the normal map operation, and its vCPUs. */
#ifndef KAPSEL_VM_H
#define KAPSEL_VM_H

#include <kapsel/address_space.h>
#include <kapsel/object.h>

struct thread;
struct arch_vcpu;

struct vm_vcpu {
    struct arch_vcpu *arch;
    struct vcpu_state *state; /* kernel view of the state page */
    struct thread *owner;     /* the VMM thread that created it, sees its state page and runs it */
    uint64_t state_address;   /* where the owner sees the state page */
    bool running;             /* the owner is inside VM_RUN (possibly preempted) */
    bool kicked;              /* VM_KICK: the next (or current) run returns VCPU_EXIT_KICKED */
};

struct vm {
    struct object object;
    struct memory_space space; /* guest-physical memory, as nested page tables */
    uint32_t vcpu_count;
    uint32_t running;
    struct vm_vcpu vcpus[VM_MAX_VCPUS];
};

enum error vm_create(struct factory *factory, uint64_t vcpu_count, struct vm **vm);

enum error vm_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

/* Called by object_destroy; the memory goes once no vCPU of the VM is in VM_RUN any more. */
void vm_teardown(struct vm *vm);

/* The owner thread of one of the VM's vCPUs stops: its state page goes, a run it was in ends. */
void vm_vcpu_owner_gone(struct thread *thread);

#endif
