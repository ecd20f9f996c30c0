/* Vm objects from user mode: guest memory through the mapping database, vCPU ownership, exits, quotas. */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/vcpu_state.h>
#include <string.h>

#define GUEST_CODE 0x1000ull

static uint8_t guest_page[4096] __attribute__((aligned(4096)));
static volatile enum error other_thread_error;
static volatile uint64_t shared_vm_slot;

static uint64_t mapped_guest_bytes(uint64_t vm)
{
    uint64_t vcpus, bytes;
    bool supported;
    if (vm_info(vm, &vcpus, &bytes, &supported) != ERROR_NONE) {
        return UINT64_MAX;
    }
    return bytes;
}

/* Vm tests need AMD SVM with nested paging; without it they are skipped, saying so. */
static bool vms_unsupported(void)
{
    uint64_t vm = slot_new();
    enum error error = factory_create_vm(resources.factory, vm, 1);
    if (error == ERROR_NONE) {
        object_delete(vm);
        return false;
    }
    EXPECT_ERROR(error, ERROR_UNSUPPORTED);
    test_skip("this machine cannot run VMs (no SVM with nested paging)");
    return true;
}

static uint64_t vm_new(void)
{
    uint64_t vm = slot_new();
    EXPECT_ERROR(factory_create_vm(resources.factory, vm, 1), ERROR_NONE);
    return vm;
}

/* 32-bit protected mode, flat segments, paging off, entering at GUEST_CODE. */
static void flat_protected_mode(struct vcpu_state *state)
{
    memset(state, 0, sizeof(*state));
    state->cr0 = 0x11;
    state->rflags = 0x2;
    state->rip = GUEST_CODE;
    state->rsp = 0x8000;
    state->cs = (struct vcpu_segment){0x8, 0xc9b, 0xffffffff, 0};
    struct vcpu_segment data = {0x10, 0xc93, 0xffffffff, 0};
    state->ds = state->es = state->fs = state->gs = state->ss = data;
    state->tr = (struct vcpu_segment){0, 0x8b, 0xffff, 0};
    state->ldtr = (struct vcpu_segment){0, 0x82, 0xffff, 0};
    state->gdtr.limit = state->idtr.limit = 0xffff;
    state->pat = 0x0007040600070406ull;
}

static void guest_runs_until_hypercall_halt_and_unbacked_access(void)
{
    if (vms_unsupported()) {
        return;
    }
    /* mov eax, 0x1234; vmmcall; mov eax, [0x40000000]; hlt */
    static const uint8_t code[] = {0xb8, 0x34, 0x12, 0x00, 0x00, 0x0f, 0x01, 0xd9, 0xa1, 0x00, 0x00, 0x00, 0x40, 0xf4};
    memcpy(guest_page, code, sizeof(code));
    uint64_t vm = vm_new();
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_page >> 12, 0, MEMORY_ALL, 0), GUEST_CODE),
                 ERROR_NONE);
    uint64_t state_address = address_new(1);
    EXPECT_ERROR(vm_vcpu_create(vm, 0, state_address), ERROR_NONE);
    struct vcpu_state *state = (struct vcpu_state *)(uintptr_t)state_address;
    flat_protected_mode(state);
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_HYPERCALL);
    EXPECT(state->rax == 0x1234);
    state->rip += state->exit.instruction_length;
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_MMIO);
    EXPECT(state->exit.mmio.guest_physical_address == 0x40000000);
    EXPECT(!state->exit.mmio.is_write);
    state->rip += 5; /* the VMM emulated the load */
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_HALT);
    object_delete(vm);
}

static void invalid_guest_state_is_refused(void)
{
    if (vms_unsupported()) {
        return;
    }
    uint64_t vm = vm_new();
    uint64_t state_address = address_new(1);
    EXPECT_ERROR(vm_vcpu_create(vm, 0, state_address), ERROR_NONE);
    struct vcpu_state *state = (struct vcpu_state *)(uintptr_t)state_address;
    flat_protected_mode(state);
    state->cr0 |= 1ull << 29; /* NW without CD */
    EXPECT_ERROR(vm_run(vm, 0), ERROR_INVALID_ARGUMENT);
    flat_protected_mode(state);
    state->efer = 1ull << 20; /* a reserved EFER bit */
    EXPECT_ERROR(vm_run(vm, 0), ERROR_INVALID_ARGUMENT);
    flat_protected_mode(state);
    state->event_injection = VCPU_EVENT_VALID | VCPU_EVENT_TYPE_EXCEPTION | 40; /* no exception 40 */
    EXPECT_ERROR(vm_run(vm, 0), ERROR_INVALID_ARGUMENT);
    object_delete(vm);
}

static void vm_memory_must_be_owned_by_the_vmm(void)
{
    if (vms_unsupported()) {
        return;
    }
    uint64_t vm = vm_new();
    /* Nothing is mapped at this address of ours: nothing reaches the guest. */
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY(address_new(1) >> 12, 0, MEMORY_ALL, 0), 0), ERROR_NONE);
    EXPECT(mapped_guest_bytes(vm) == 0);
    /* Kernel addresses are not the VMM's memory at all. */
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY(0xffff800000000000ull >> 12, 0, MEMORY_ALL, 0), 0), ERROR_INVALID_ARGUMENT);
    /* Our UTCB is the kernel's page, not ours to give: skipped like a hole. */
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY(APP_UTCB_ADDRESS >> 12, 0, MEMORY_ALL, 0), 0x2000), ERROR_NONE);
    EXPECT(mapped_guest_bytes(vm) == 0);
    EXPECT_ERROR(
        vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_page >> 12, 0, MEMORY_ALL, 0), VM_GUEST_PHYSICAL_LIMIT),
        ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_page >> 12, 0, MEMORY_ALL, 0), 0x3000), ERROR_NONE);
    EXPECT(mapped_guest_bytes(vm) == 4096);
    /* Revoking our page takes it out of the guest too. */
    EXPECT_ERROR(task_unmap(APP_TASK, ITEM_MEMORY((uint64_t)(uintptr_t)guest_page >> 12, 0, 0, 0), 0), ERROR_NONE);
    EXPECT(mapped_guest_bytes(vm) == 0);
    object_delete(vm);
}

static void run_from_other_thread(void)
{
    other_thread_error = vm_run(shared_vm_slot, 0);
    block_forever();
}

static void vcpu_belongs_to_its_creator(void)
{
    if (vms_unsupported()) {
        return;
    }
    uint64_t vm = vm_new();
    EXPECT_ERROR(vm_vcpu_create(vm, 0, address_new(1)), ERROR_NONE);
    EXPECT_ERROR(vm_vcpu_create(vm, 0, address_new(1)), ERROR_BUSY);
    EXPECT_ERROR(vm_vcpu_create(vm, 1, address_new(1)), ERROR_OUT_OF_RANGE);
    shared_vm_slot = vm;
    other_thread_error = ERROR_NONE;
    uint64_t other = thread_start(run_from_other_thread, resources.priority + 1);
    EXPECT_ERROR(other_thread_error, ERROR_MISSING_RIGHTS);
    object_delete(other);
    object_delete(vm);
}

static void deleting_a_vm_returns_its_quota(void)
{
    if (vms_unsupported()) {
        return;
    }
    uint64_t quota, before, after;
    EXPECT_ERROR(factory_info(resources.factory, &quota, &before), ERROR_NONE);
    uint64_t vm = vm_new();
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_page >> 12, 0, MEMORY_ALL, 0), 0x100000),
                 ERROR_NONE);
    EXPECT_ERROR(vm_vcpu_create(vm, 0, address_new(1)), ERROR_NONE);
    EXPECT_ERROR(factory_info(resources.factory, &quota, &after), ERROR_NONE);
    EXPECT(after > before);
    object_delete(vm);
    EXPECT_ERROR(factory_info(resources.factory, &quota, &after), ERROR_NONE);
    EXPECT(after == before);
}

static volatile uint64_t kick_target;

static void kick_after_a_while(void)
{
    sleep_ms(30);
    vm_kick(kick_target, 0);
    block_forever();
}

/* Stores bytes at guest-physical address (inside the one page mapped at GUEST_CODE). */
static void guest_write(uint64_t address, const void *bytes, size_t length)
{
    memcpy(guest_page + (address - GUEST_CODE), bytes, length);
}

/*
 * A guest with a GDT and an IDT that enables interrupts and spins: the VMM waits for the interrupt
 * window, injects vector 0x20, sees the handler's hypercall, lets it return, and gets the spinning
 * vCPU back from another thread with VM_KICK.
 */
static void interrupt_window_injection_and_kick(void)
{
    if (vms_unsupported()) {
        return;
    }
    static const uint8_t main_code[] = {0x0f, 0x01, 0x1d, 0x80, 0x17, 0x00, 0x00, /* lidt [0x1780] */
                                        0xfb,                                     /* sti */
                                        0xeb, 0xfe};                              /* jmp $ */
    static const uint8_t handler[] = {0xb8, 0x01, 0x00, 0x00, 0x00,               /* mov eax, 1 */
                                      0xbb, 0x77, 0x00, 0x00, 0x00,               /* mov ebx, 0x77 */
                                      0x0f, 0x01, 0xd9,                           /* vmmcall */
                                      0xcf};                                      /* iret */
    static const uint64_t gdt[] = {0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};
    static const uint8_t idtr[] = {0x07, 0x01, 0x00, 0x18, 0x00, 0x00};             /* limit 0x107, base 0x1800 */
    static const uint8_t gate[] = {0x00, 0x11, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00}; /* 0x1100, CS 8 */
    memset(guest_page, 0, sizeof(guest_page));
    guest_write(GUEST_CODE, main_code, sizeof(main_code));
    guest_write(0x1100, handler, sizeof(handler));
    guest_write(0x1700, gdt, sizeof(gdt));
    guest_write(0x1780, idtr, sizeof(idtr));
    guest_write(0x1800 + 0x20 * 8, gate, sizeof(gate));
    uint64_t vm = vm_new();
    EXPECT_ERROR(vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_page >> 12, 0, MEMORY_ALL, 0), GUEST_CODE),
                 ERROR_NONE);
    uint64_t state_address = address_new(1);
    EXPECT_ERROR(vm_vcpu_create(vm, 0, state_address), ERROR_NONE);
    struct vcpu_state *state = (struct vcpu_state *)(uintptr_t)state_address;
    flat_protected_mode(state);
    state->rsp = 0x1ff0;
    state->gdtr.base = 0x1700;
    state->gdtr.limit = sizeof(gdt) - 1;
    state->request_interrupt_window = 1;
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_INTERRUPT_WINDOW);
    EXPECT(state->rflags & 0x200); /* it came once the guest had interrupts on */
    state->event_injection = VCPU_EVENT_VALID | VCPU_EVENT_TYPE_INTERRUPT | 0x20;
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_HYPERCALL);
    EXPECT(state->rbx == 0x77);
    state->rip += state->exit.instruction_length;
    /* The handler's iret re-enables interrupts: a second window opens back in the spin loop. */
    state->request_interrupt_window = 1;
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_INTERRUPT_WINDOW);
    EXPECT(state->rip == GUEST_CODE + 8);
    kick_target = vm;
    uint64_t kicker = thread_start(kick_after_a_while, resources.priority + 1);
    EXPECT_ERROR(vm_run(vm, 0), ERROR_NONE);
    EXPECT(state->exit.reason == VCPU_EXIT_KICKED);
    EXPECT(state->rip == GUEST_CODE + 8); /* still spinning: the kick, not the guest, ended the run */
    object_delete(kicker);
    object_delete(vm);
}

static const struct user_test tests[] = {
    {"vm_guest_runs_until_hypercall_halt_and_unbacked_access", guest_runs_until_hypercall_halt_and_unbacked_access},
    {"vm_invalid_guest_state_is_refused", invalid_guest_state_is_refused},
    {"vm_memory_must_be_owned_by_the_vmm", vm_memory_must_be_owned_by_the_vmm},
    {"vm_vcpu_belongs_to_its_creator", vcpu_belongs_to_its_creator},
    {"vm_deleting_a_vm_returns_its_quota", deleting_a_vm_returns_its_quota},
    {"vm_interrupt_window_injection_and_kick", interrupt_window_injection_and_kick},
};
TEST_TABLE(vm_tests, tests);
