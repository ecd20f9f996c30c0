#include "vcpu_loop.h"

#include "arch.h"
#include "control.h"

#include <kapsel/syscall.h>
#include <stdarg.h>
#include <stdio.h>

void vm_end(struct vm *vm, int status, const char *format, ...)
{
    if (vm->ended) {
        return;
    }
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(vm->end_reason, sizeof(vm->end_reason), format, arguments);
    va_end(arguments);
    vm->ended = true;
    vm->status = status;
}

static void mmio_exit(struct vm *vm)
{
    const struct vcpu_exit *exit = &vm->vcpu->exit;
    unsigned long long address = exit->mmio.guest_physical_address;
    const char *access = exit->mmio.is_fetch ? "execute" : exit->mmio.is_write ? "write" : "read";
    if (guest_memory_at(&vm->ram, address, 1)) {
        /* RAM is mapped with every right, so this is the kernel's nested paging refusing it, not the guest's fault. */
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "the kernel refused a %s of guest RAM at guest-physical 0x%llx", access,
               address);
        return;
    }
    const struct device *device = device_registry_find(&vm->devices, DEVICE_SPACE_MMIO, address);
    if (!device) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT,
               "guest accessed guest-physical 0x%llx which is neither RAM nor a device (%s)", address, access);
        return;
    }
    if (exit->mmio.is_fetch) {
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "guest tried to execute from device %s at guest-physical 0x%llx",
               device->name, address);
        return;
    }
    arch_mmio_access(vm, device);
}

static void dispatch(struct vm *vm)
{
    const struct vcpu_exit *exit = &vm->vcpu->exit;
    if ((unsigned)exit->reason < sizeof(vm->exit_counts) / sizeof(vm->exit_counts[0])) {
        vm->exit_counts[exit->reason]++;
    }
    switch (exit->reason) {
    case VCPU_EXIT_MMIO:
        mmio_exit(vm);
        break;
    case VCPU_EXIT_SHUTDOWN:
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "triple fault");
        break;
    case VCPU_EXIT_INVALID_STATE:
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "invalid guest state (the hardware refused to enter the guest)");
        break;
    case VCPU_EXIT_UNKNOWN:
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "unhandled exit 0x%llx (info 0x%llx, 0x%llx)",
               (unsigned long long)exit->raw_code, (unsigned long long)exit->raw_info1,
               (unsigned long long)exit->raw_info2);
        break;
    case VCPU_EXIT_NONE:
        vm_end(vm, VMM_STATUS_GUEST_FAULT, "VM_RUN returned without an exit reason");
        break;
    default:
        arch_exit_handle(vm);
        break;
    }
}

void vcpu_loop_report_exits(const struct vm *vm)
{
    static const struct {
        enum vcpu_exit_reason reason;
        const char *name;
    } shown[] = {
        {VCPU_EXIT_IO, "port I/O"},
        {VCPU_EXIT_MMIO, "MMIO"},
        {VCPU_EXIT_MSR_WRITE, "MSR write"},
        {VCPU_EXIT_MSR_READ, "MSR read"},
        {VCPU_EXIT_CPUID, "CPUID"},
        {VCPU_EXIT_HALT, "HLT"},
        {VCPU_EXIT_INTERRUPT_WINDOW, "interrupt window"},
        {VCPU_EXIT_DEADLINE, "timer deadline"},
    };
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof(vm->exit_counts) / sizeof(vm->exit_counts[0]); i++) {
        total += vm->exit_counts[i];
    }
    printf("exits: %llu in all", (unsigned long long)total);
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        printf(", %llu %s", (unsigned long long)vm->exit_counts[shown[i].reason], shown[i].name);
    }
    printf("\n");
}

void vcpu_loop_run(struct vm *vm)
{
    while (!vm->ended) {
        control_poll(vm);
        if (vm->before_run) {
            vm->before_run(vm->before_run_context);
        }
        arch_before_run(vm);
        if (vm->ended) {
            break;
        }
        enum error error = vm_run(vm->capability, 0);
        if (error != ERROR_NONE) {
            vm_end(vm, VMM_STATUS_GUEST_FAULT, "VM_RUN failed: %s", error_name(error));
            break;
        }
        dispatch(vm);
    }
}
