/*
 * x86-64 exits: port I/O, MMIO instructions, CPUID, MSRs, HLT and the
 * VMMCALL hypercall protocol:
 *
 *   rax = 1 (HYPERCALL_PRINT): prints rbx as a line "[<vm>] hypercall value 0x...";
 *   rax = 2 (HYPERCALL_EXIT):  ends the VM with status = the low 32 bits of rbx, signed
 *                              (the uvmm exits with it);
 *   anything else: rax = -1, and the guest goes on.
 *
 * Outside 64-bit mode registers are 32 bits wide: values are taken from their
 * low halves. An exit is completed by moving rip past the instruction (by the
 * kernel's instruction_length, or next_rip for port I/O); a fault instead
 * injects the exception and leaves rip on the instruction, as the CPU would.
 */
#include "arch.h"
#include "cpuid.h"
#include "guest_page_walk.h"
#include "instruction_decode.h"
#include "msr.h"
#include "platform.h"

#include <stdio.h>
#include <string.h>

#define HYPERCALL_PRINT 1
#define HYPERCALL_EXIT 2
#define HYPERCALL_UNKNOWN UINT64_MAX

#define CR0_PE (1ull << 0)
#define EFER_LMA (1ull << 10)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_VM (1ull << 17)
#define SEGMENT_L (1u << 9)
#define SEGMENT_DB (1u << 10)
#define VECTOR_GENERAL_PROTECTION 13

static enum x86_mode cpu_mode(const struct vcpu_state *state)
{
    if ((state->efer & EFER_LMA) && (state->cs.attributes & SEGMENT_L)) {
        return X86_MODE_64;
    }
    if (!(state->cr0 & CR0_PE) || (state->rflags & RFLAGS_VM)) {
        return X86_MODE_16;
    }
    return state->cs.attributes & SEGMENT_DB ? X86_MODE_32 : X86_MODE_16;
}

/* What of a register the guest's code sees in its mode (rip included). */
static uint64_t register_mask(enum x86_mode mode)
{
    return mode == X86_MODE_64 ? UINT64_MAX : UINT32_MAX;
}

static uint64_t size_mask(unsigned size)
{
    return size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

/* The general registers in instruction-encoding order. */
static uint64_t *general_register(struct vcpu_state *state, unsigned number)
{
    uint64_t *const registers[16] = {
        &state->rax, &state->rcx, &state->rdx, &state->rbx, &state->rsp, &state->rbp, &state->rsi, &state->rdi,
        &state->r8,  &state->r9,  &state->r10, &state->r11, &state->r12, &state->r13, &state->r14, &state->r15,
    };
    return registers[number & 15u];
}

/* Writes a size-byte result into a register as the CPU does: 8- and 16-bit writes keep the other bits, 32-bit ones
 * clear the upper half. */
static void set_register_part(uint64_t *target, unsigned size, unsigned shift, uint64_t value)
{
    if (size == 4 || size == 8) {
        *target = value & size_mask(size);
        return;
    }
    uint64_t mask = size_mask(size) << shift;
    *target = (*target & ~mask) | ((value << shift) & mask);
}

static void skip_instruction(struct vcpu_state *state, unsigned length)
{
    state->rip = (state->rip + length) & register_mask(cpu_mode(state));
}

/* Moves past the instruction by the length the kernel decoded; without one the VMM cannot go on safely. */
static void complete(struct vm *vm)
{
    unsigned length = vm->vcpu->exit.instruction_length;
    if (length == 0) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "the kernel gave no instruction length for exit reason %u",
               (unsigned)vm->vcpu->exit.reason);
        return;
    }
    skip_instruction(vm->vcpu, length);
}

static void inject_general_protection(struct vcpu_state *state)
{
    /* SVM EVENTINJ: vector, type, error-code-valid, valid; the error code (0) in bits 32..63. */
    state->event_injection =
        VCPU_EVENT_VALID | VCPU_EVENT_TYPE_EXCEPTION | VCPU_EVENT_ERROR_CODE_VALID | VECTOR_GENERAL_PROTECTION;
}

static void io_exit(struct vm *vm)
{
    struct vcpu_state *state = vm->vcpu;
    const struct vcpu_exit *exit = &state->exit;
    const char *direction = exit->io.is_in ? "read" : "write";
    if (exit->io.is_string) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "string port I/O (INS/OUTS) at port 0x%x is not supported",
               (unsigned)exit->io.port);
        return;
    }
    const struct device *device = device_registry_find(&vm->devices, DEVICE_SPACE_PORT, exit->io.port);
    if (!device && vm->unclaimed_ports_float) {
        if (exit->io.is_in) {
            set_register_part(&state->rax, exit->io.size, 0, size_mask(exit->io.size));
        }
        state->rip = exit->next_rip;
        return;
    }
    if (!device) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "guest accessed port 0x%x, where there is no device (%u-byte %s)",
               (unsigned)exit->io.port, (unsigned)exit->io.size, direction);
        return;
    }
    uint64_t value = exit->io.is_in ? 0 : state->rax & size_mask(exit->io.size);
    const char *refused = device_access(device, exit->io.port, exit->io.size, !exit->io.is_in, &value);
    if (refused) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "%s: %u-byte %s at port 0x%x refused: %s", device->name,
               (unsigned)exit->io.size, direction, (unsigned)exit->io.port, refused);
        return;
    }
    if (exit->io.is_in) {
        set_register_part(&state->rax, exit->io.size, 0, value);
    }
    state->rip = exit->next_rip;
}

/*
 * Copies the instruction at cs:rip out of guest RAM through the guest's page
 * tables, page by page (an instruction may straddle two); false (the VM ended)
 * if the VMM cannot find it. *available is short where a page that follows is
 * not mapped: the decoder refuses an instruction cut short.
 */
static bool fetch_instruction(struct vm *vm, uint8_t *bytes, size_t *available)
{
    const struct vcpu_state *state = vm->vcpu;
    const struct guest_paging paging = {state->cr0, state->cr3, state->cr4, state->efer};
    /* In 64-bit mode the CS base is 0; elsewhere the segment's base applies (the walk keeps the low 32 bits). */
    uint64_t linear = cpu_mode(state) == X86_MODE_64 ? state->rip : state->cs.base + state->rip;
    *available = 0;
    while (*available < X86_MAX_INSTRUCTION_LENGTH) {
        uint64_t physical, bytes_in_page;
        const char *why = guest_page_walk(&vm->ram, &paging, linear + *available, &physical, &bytes_in_page);
        size_t wanted = X86_MAX_INSTRUCTION_LENGTH - *available;
        size_t count = bytes_in_page < wanted ? (size_t)bytes_in_page : wanted;
        const uint8_t *instruction = why ? NULL : guest_memory_at(&vm->ram, physical, count);
        if (!instruction && *available == 0) {
            vm_end(vm, VMM_STATUS_GUEST_FAULT, "cannot fetch the instruction at linear 0x%llx: %s",
                   (unsigned long long)linear, why ? why : "it is not in guest RAM");
            return false;
        }
        if (!instruction) {
            break;
        }
        memcpy(bytes + *available, instruction, count);
        *available += count;
    }
    return true;
}

static void format_bytes(char *text, size_t text_size, const uint8_t *bytes, size_t count)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < count && used + 4 <= text_size; i++) {
        used += (size_t)snprintf(text + used, text_size - used, i ? " %02x" : "%02x", bytes[i]);
    }
}

void arch_mmio_access(struct vm *vm, const struct device *device)
{
    struct vcpu_state *state = vm->vcpu;
    unsigned long long address = state->exit.mmio.guest_physical_address;
    if (state->event_injection & VCPU_EVENT_VALID) {
        /* The access was the CPU's own (delivering an event through a table in MMIO), not an instruction. */
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "guest touched %s at 0x%llx while delivering vector %u", device->name,
               address, (unsigned)(state->event_injection & 0xff));
        return;
    }
    uint8_t bytes[X86_MAX_INSTRUCTION_LENGTH];
    size_t available;
    if (!fetch_instruction(vm, bytes, &available)) {
        return;
    }
    enum x86_mode mode = cpu_mode(state);
    struct x86_memory_access access;
    const char *why = x86_decode_memory_access(bytes, available, mode, &access);
    if (!why && access.is_write != (state->exit.mmio.is_write != 0)) {
        why = "the decoded direction disagrees with the exit's";
    }
    if (why) {
        char text[3 * X86_MAX_INSTRUCTION_LENGTH + 1];
        format_bytes(text, sizeof(text), bytes, available);
        vm_end(vm, VMM_STATUS_GUEST_FAULT,
               "cannot emulate the access to %s at 0x%llx by the instruction at rip 0x%llx (%s): %s", device->name,
               address, (unsigned long long)state->rip, text, why);
        return;
    }
    uint64_t *reg = general_register(state, access.reg);
    unsigned shift = access.high_byte ? 8 : 0;
    uint64_t value = access.has_immediate ? access.immediate : *reg >> shift;
    value &= size_mask(access.size);
    const char *refused = device_access(device, address, access.size, access.is_write, &value);
    if (refused) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "%s: %u-byte %s at 0x%llx refused: %s", device->name, access.size,
               access.is_write ? "write" : "read", address, refused);
        return;
    }
    if (!access.is_write) {
        set_register_part(reg, access.size, shift, value);
    }
    skip_instruction(state, access.length);
}

static void cpuid_exit(struct vm *vm)
{
    struct vcpu_state *state = vm->vcpu;
    struct cpuid_result result = cpuid_guest((uint32_t)state->rax, (uint32_t)state->rcx, cpuid_host);
    state->rax = result.eax;
    state->rbx = result.ebx;
    state->rcx = result.ecx;
    state->rdx = result.edx;
    complete(vm);
}

/* Says once per MSR (for the first few) that an unknown one was ignored, so the log shows what a guest wanted. */
static void note_ignored_msr(struct vm *vm, uint32_t msr, bool write)
{
    for (unsigned i = 0; i < vm->noted_msr_count; i++) {
        if (vm->noted_msrs[i] == msr) {
            return;
        }
    }
    if (vm->noted_msr_count < sizeof(vm->noted_msrs) / sizeof(vm->noted_msrs[0])) {
        vm->noted_msrs[vm->noted_msr_count++] = msr;
        printf("unknown MSR 0x%x %s: %s\n", msr, write ? "written" : "read", write ? "ignored" : "reads as 0");
    }
}

static void msr_exit(struct vm *vm, bool write)
{
    struct vcpu_state *state = vm->vcpu;
    uint32_t msr = (uint32_t)state->rcx;
    uint64_t value = (state->rdx & UINT32_MAX) << 32 | (state->rax & UINT32_MAX);
    bool done;
    if (!platform_apic_msr(vm, msr, write, &value, &done)) {
        done = write ? msr_write(state, msr, value) : msr_read(state, msr, &value);
        if (!done && vm->unknown_msrs_ignored) {
            note_ignored_msr(vm, msr, write);
            value = 0;
            done = true;
        }
    }
    if (!done) {
        inject_general_protection(state);
        return;
    }
    if (!write) {
        state->rax = value & UINT32_MAX;
        state->rdx = value >> 32;
    }
    complete(vm);
}

static void halt_exit(struct vm *vm)
{
    if ((vm->vcpu->rflags & RFLAGS_IF) && arch_platform_sleep_until_next_event(vm)) {
        complete(vm);
        return;
    }
    if (vm->vcpu->rflags & RFLAGS_IF) {
        vm_end(vm, 0,
               "guest halted with interrupts enabled, but no timer is running and no interrupt is pending, so "
               "it would never wake up");
        return;
    }
    vm_end(vm, 0, "guest halted");
}

static void hypercall_exit(struct vm *vm)
{
    struct vcpu_state *state = vm->vcpu;
    uint64_t mask = register_mask(cpu_mode(state));
    uint64_t argument = state->rbx & mask;
    switch (state->rax & mask) {
    case HYPERCALL_PRINT:
        printf("guest hypercall value 0x%llx\n", (unsigned long long)argument);
        break;
    case HYPERCALL_EXIT: {
        int status = (int)(int32_t)(uint32_t)argument;
        vm_end(vm, status, "guest exited with status %d", status);
        return;
    }
    default:
        state->rax = HYPERCALL_UNKNOWN & mask;
        break;
    }
    complete(vm);
}

void arch_exit_handle(struct vm *vm)
{
    const struct vcpu_exit *exit = &vm->vcpu->exit;
    switch (exit->reason) {
    case VCPU_EXIT_IO:
        io_exit(vm);
        break;
    case VCPU_EXIT_CPUID:
        cpuid_exit(vm);
        break;
    case VCPU_EXIT_MSR_READ:
        msr_exit(vm, false);
        break;
    case VCPU_EXIT_MSR_WRITE:
        msr_exit(vm, true);
        break;
    case VCPU_EXIT_HALT:
        halt_exit(vm);
        break;
    case VCPU_EXIT_DEADLINE:
    case VCPU_EXIT_INTERRUPT_WINDOW:
        break; /* arch_before_run() does what is due before the next entry */
    case VCPU_EXIT_HYPERCALL:
        hypercall_exit(vm);
        break;
    case VCPU_EXIT_EXCEPTION:
        vm_end(vm, VMM_STATUS_GUEST_FAULT,
               "guest exception %u (error code 0x%x) at rip 0x%llx, which the VMM does "
               "not handle",
               (unsigned)exit->exception.vector, (unsigned)exit->exception.error_code,
               (unsigned long long)vm->vcpu->rip);
        break;
    default:
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "exit reason %u, which the VMM does not know (raw code 0x%llx)",
               (unsigned)exit->reason, (unsigned long long)exit->raw_code);
        break;
    }
}
