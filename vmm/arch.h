/*
 * What the architecture-neutral uvmm (main.c, vcpu_loop.c) asks of the
 * architecture code in vmm/arch/<arch>/: the boot vCPU's initial state, and
 * the exits whose handling needs the instruction set.
 */
#ifndef VMM_ARCH_H
#define VMM_ARCH_H

#include "device_registry.h"
#include "vm.h"

#include <kapsel/vcpu_state.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Resets the boot vCPU to the state the guest's boot protocol expects, entering at entry with boot_argument. */
void arch_guest_setup(struct vcpu_state *state, uint64_t entry, uint64_t stack_top, uint64_t boot_argument);

/*
 * Prepares a Linux boot through the x86 64-bit boot protocol: ACPI tables, e820 map, the bzImage (and
 * initrd) loaded into guest RAM, the boot vCPU in long mode. Returns NULL, or why the kernel was refused.
 */
const char *arch_linux_setup(struct vm *vm, const uint8_t *kernel, size_t kernel_size, const uint8_t *initrd,
                             size_t initrd_size, const char *command_line);

/*
 * Gives the VM a platform with timers and interrupts (PC: PIC, PIT, TSC clock), using gate_slot for a gate
 * the VMM sleeps on. Returns NULL, or why not.
 */
const char *arch_platform_init(struct vm *vm, uint64_t factory, uint64_t gate_slot);

/* Raises a platform interrupt line (PC: ISA IRQ at the PIC); nothing without a platform. */
void arch_platform_raise_irq(struct vm *vm, unsigned irq);

/* The guest-physical base of virtio-mmio slot index's register window (outside RAM, below 4 GiB). */
uint64_t arch_virtio_window(unsigned index);

/* The interrupt line (arch_platform_raise_irq) of virtio-mmio slot index. */
unsigned arch_virtio_interrupt(unsigned index);

/* The guest's TSC rate in kHz, as measured (0 without a platform). */
uint64_t arch_platform_tsc_khz(const struct vm *vm);

/* Before each entry: ends the VM on a platform reset; raises due timer interrupts, injects or asks for an
 * interrupt window, sets the deadline (the next kernel tick). */
void arch_before_run(struct vm *vm);

/*
 * A halted guest with interrupts on waits for its next timer event, or a message on one of the uvmm's gates (handed
 * to control_message); false if no timer is programmed.
 */
bool arch_platform_sleep_until_next_event(struct vm *vm);

/*
 * Asks the guest to shut down the way a user at its console would (PC: Ctrl-Alt-Del on the PS/2 keyboard). NULL, or
 * why the request could not reach the guest.
 */
const char *arch_platform_request_shutdown(struct vm *vm);

/* Handles every exit vcpu_loop.c leaves to the architecture (port I/O, CPUID, MSRs, HLT, hypercalls, ...). */
void arch_exit_handle(struct vm *vm);

/* Completes an MMIO exit at device: decodes the guest's instruction, performs the access, moves past it. */
void arch_mmio_access(struct vm *vm, const struct device *device);

#endif
