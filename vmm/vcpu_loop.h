/*
 * The vCPU loop: VM_RUN, then dispatch the exit, until the VM ends; between runs, the launcher's messages
 * (control.h). The architecture-neutral exits (shutdown, invalid state, unknown exits, and which device or memory an
 * MMIO address belongs to) are decided here; the rest goes to arch_exit_handle() (arch.h).
 */
#ifndef VMM_VCPU_LOOP_H
#define VMM_VCPU_LOOP_H

#include "vm.h"

/* Runs vCPU 0 until the VM ends; vm->end_reason and vm->status then say how. */
void vcpu_loop_run(struct vm *vm);

/* Prints how many exits of each kind the VM took (the end-of-VM report: where a guest's time went). */
void vcpu_loop_report_exits(const struct vm *vm);

#endif
