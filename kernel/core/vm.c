#include <kapsel/factory.h>
#include <kapsel/kmem.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <kapsel/vcpu.h>
#include <kapsel/vm.h>
#include <string.h>

enum error vm_create(struct factory *factory, uint64_t vcpu_count, struct vm **vm)
{
    if (!arch_virtualization_available()) {
        return ERROR_UNSUPPORTED;
    }
    if (vcpu_count == 0 || vcpu_count > VM_MAX_VCPUS) {
        return ERROR_INVALID_ARGUMENT;
    }
    struct object *object;
    enum error error = object_allocate(factory, OBJECT_VM, sizeof(struct vm), &object);
    if (error != ERROR_NONE) {
        return error;
    }
    struct vm *created = (struct vm *)object;
    created->space.quota = factory;
    created->space.guest_physical = true;
    created->vcpu_count = (uint32_t)vcpu_count;
    error = address_space_create(factory, false, &created->space.root);
    if (error != ERROR_NONE) {
        factory_refund(factory, created->object.charged_bytes);
        kmem_free(created, sizeof(*created));
        return error;
    }
    *vm = created;
    return ERROR_NONE;
}

static void free_vm(struct vm *vm)
{
    struct factory *charged_to = vm->object.charged_to;
    uint64_t charged_bytes = vm->object.charged_bytes;
    address_space_destroy(vm->space.root, vm->space.quota);
    kmem_free(vm, sizeof(*vm));
    if (charged_to) {
        factory_refund(charged_to, charged_bytes);
    }
}

/* The vCPU's state page leaves its owner's address space, and the owner forgets the vCPU. */
static void release_vcpu(struct vm *vm, struct vm_vcpu *vcpu)
{
    if (vcpu->owner) {
        if (vcpu->owner->task) {
            address_space_unmap(vcpu->owner->task->space.root, vcpu->state_address);
        }
        vcpu->owner->vcpu_vm = NULL;
        vcpu->owner = NULL;
    }
    if (vcpu->arch) {
        arch_vcpu_destroy(vcpu->arch, vm->space.quota);
        frame_allocator_free(physical_memory(), virt_to_phys(vcpu->state), 0);
        factory_refund(vm->space.quota, FRAME_SIZE);
        vcpu->arch = NULL;
        vcpu->state = NULL;
    }
}

void vm_teardown(struct vm *vm)
{
    memory_unmap_space(&vm->space);
    for (uint32_t i = 0; i < vm->vcpu_count; i++) {
        if (!vm->vcpus[i].running) {
            release_vcpu(vm, &vm->vcpus[i]);
        }
    }
    if (vm->running == 0) {
        free_vm(vm);
    }
}

void vm_vcpu_owner_gone(struct thread *thread)
{
    struct vm *vm = thread->vcpu_vm;
    if (!vm) {
        return;
    }
    struct vm_vcpu *vcpu = &vm->vcpus[thread->vcpu_index];
    if (vcpu->running) {
        /* The owner dies inside VM_RUN: that run never returns, so its bookkeeping ends here. */
        vcpu->running = false;
        vm->running--;
    }
    release_vcpu(vm, vcpu);
    if (vm->object.dying && vm->running == 0) {
        free_vm(vm);
    }
}

static enum error create_vcpu(struct vm *vm, struct thread *caller, uint64_t index, uint64_t state_address)
{
    uint64_t phys;
    unsigned rights;
    if (index >= vm->vcpu_count) {
        return ERROR_OUT_OF_RANGE;
    }
    struct vm_vcpu *vcpu = &vm->vcpus[index];
    if (vcpu->arch || caller->vcpu_vm) {
        return ERROR_BUSY; /* one owner per vCPU, one vCPU per thread */
    }
    if (!address_space_valid_user_range(state_address, FRAME_SIZE)) {
        return ERROR_OUT_OF_RANGE;
    }
    struct memory_space *space = &caller->task->space;
    if (address_space_lookup(space->root, state_address, &phys, &rights)) {
        return ERROR_SLOT_OCCUPIED;
    }
    enum error error = factory_charge(vm->space.quota, FRAME_SIZE);
    if (error != ERROR_NONE) {
        return error;
    }
    if (frame_allocator_alloc(physical_memory(), 0, &phys) != ERROR_NONE) {
        factory_refund(vm->space.quota, FRAME_SIZE);
        return ERROR_OUT_OF_MEMORY;
    }
    memset(phys_to_virt(phys), 0, FRAME_SIZE);
    error = arch_vcpu_create(vm->space.quota, vm->space.root, &vcpu->arch);
    if (error == ERROR_NONE) {
        /* Kernel-owned like a UTCB: no mapping record, so it is never mapped on or revoked. */
        error = address_space_map(space->root, space->quota, state_address, phys, MEMORY_READ | MEMORY_WRITE);
        if (error != ERROR_NONE) {
            arch_vcpu_destroy(vcpu->arch, vm->space.quota);
            vcpu->arch = NULL;
        }
    }
    if (error != ERROR_NONE) {
        frame_allocator_free(physical_memory(), phys, 0);
        factory_refund(vm->space.quota, FRAME_SIZE);
        return error;
    }
    vcpu->state = phys_to_virt(phys);
    vcpu->owner = caller;
    vcpu->state_address = state_address;
    caller->vcpu_vm = vm;
    caller->vcpu_index = (unsigned)index;
    return ERROR_NONE;
}

struct run_context {
    struct vm *vm;
    struct vm_vcpu *vcpu;
};

static enum vcpu_run_decision decide(void *context)
{
    struct run_context *run = context;
    if (run->vm->object.dying) {
        return VCPU_RUN_ABORT;
    }
    if (run->vcpu->kicked) {
        run->vcpu->kicked = false;
        return VCPU_RUN_RETURN_KICKED;
    }
    return VCPU_RUN_CONTINUE;
}

static enum error run_vcpu(struct vm *vm, struct thread *caller, uint64_t index)
{
    if (index >= vm->vcpu_count || !vm->vcpus[index].arch) {
        return ERROR_OUT_OF_RANGE;
    }
    struct vm_vcpu *vcpu = &vm->vcpus[index];
    if (vcpu->owner != caller) {
        return ERROR_MISSING_RIGHTS; /* only the owner sees the state page, so only it may run the vCPU */
    }
    if (vcpu->kicked) {
        /* Kicked while it was not running: hand it straight back, as the kick asked. */
        vcpu->kicked = false;
        memset(&vcpu->state->exit, 0, sizeof(vcpu->state->exit));
        vcpu->state->exit.reason = VCPU_EXIT_KICKED;
        return ERROR_NONE;
    }
    vcpu->running = true;
    vm->running++;
    struct run_context run = {vm, vcpu};
    enum error error = arch_vcpu_run(vcpu->arch, vcpu->state, decide, &run);
    vcpu->running = false;
    vm->running--;
    if (vm->object.dying) {
        /* Deleted while this run was preempted: finish what vm_teardown left for us. */
        release_vcpu(vm, vcpu);
        if (vm->running == 0) {
            free_vm(vm);
        }
        return ERROR_PEER_GONE;
    }
    return error;
}

static enum error map_guest_memory(struct vm *vm, struct task *caller, uint64_t item, uint64_t guest_physical)
{
    unsigned order = ITEM_ORDER(item);
    if (ITEM_TYPE(item) != ITEM_TYPE_MEMORY || order > 18) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t size = (uint64_t)FRAME_SIZE << order;
    if (guest_physical >= VM_GUEST_PHYSICAL_LIMIT || size > VM_GUEST_PHYSICAL_LIMIT - guest_physical) {
        return ERROR_OUT_OF_RANGE;
    }
    return memory_map(&caller->space, ITEM_BASE(item) << PAGE_SHIFT_BITS, order, ITEM_RIGHTS(item),
                      ITEM_FLAGS(item) & ITEM_GRANT, &vm->space, guest_physical);
}

static void count_page(uint64_t virt, uint64_t phys, void *context)
{
    (void)virt;
    (void)phys;
    (*(uint64_t *)context)++;
}

static uint64_t mapped_bytes(struct vm *vm)
{
    uint64_t pages = 0;
    address_space_for_each_page(vm->space.root, count_page, &pages);
    return pages * FRAME_SIZE;
}

enum error vm_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    struct vm *vm = (struct vm *)capability->object;
    struct thread *caller = thread_current();
    uint64_t operation = MESSAGE_TAG_LABEL(tag);
    static const unsigned minimum_words[] = {
        [VM_MAP] = 2, [VM_UNMAP] = 1, [VM_VCPU_CREATE] = 2, [VM_RUN] = 1, [VM_INFO] = 0, [VM_KICK] = 1,
    };
    enum error error = capability_check_invocation(capability, tag, VM_MAP, VM_KICK, VM_INFO, minimum_words);
    if (error != ERROR_NONE) {
        return error;
    }
    switch (operation) {
    case VM_MAP:
        return map_guest_memory(vm, capability->owner, message[0], message[1]);
    case VM_UNMAP:
        if (ITEM_TYPE(message[0]) != ITEM_TYPE_MEMORY) {
            return ERROR_INVALID_ARGUMENT;
        }
        return memory_unmap(&vm->space, ITEM_BASE(message[0]) << PAGE_SHIFT_BITS, ITEM_ORDER(message[0]), true);
    case VM_VCPU_CREATE:
        return create_vcpu(vm, caller, message[0], message[1]);
    case VM_RUN:
        return run_vcpu(vm, caller, message[0]);
    case VM_KICK:
        if (message[0] >= vm->vcpu_count || !vm->vcpus[message[0]].arch) {
            return ERROR_OUT_OF_RANGE;
        }
        vm->vcpus[message[0]].kicked = true;
        return ERROR_NONE;
    default:
        message[0] = vm->vcpu_count;
        message[1] = mapped_bytes(vm);
        message[2] = arch_virtualization_available();
        *reply_words = 3;
        return ERROR_NONE;
    }
}
