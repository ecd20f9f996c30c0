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
#include <stdint.h>

/* Resets the boot vCPU to the state the guest's boot protocol expects, entering at entry with boot_argument. */
void arch_guest_setup(struct vcpu_state *state, uint64_t entry, uint64_t stack_top, uint64_t boot_argument);

/* Handles every exit vcpu_loop.c leaves to the architecture (port I/O, CPUID, MSRs, HLT, hypercalls, ...). */
void arch_exit_handle(struct vm *vm);

/* Completes an MMIO exit at device: decodes the guest's instruction, performs the access, moves past it. */
void arch_mmio_access(struct vm *vm, const struct device *device);

#endif
