/* Per-CPU data reached through %gs in the kernel (swapgs on every entry from user mode). */
#ifndef ARCH_CPU_LOCAL_H
#define ARCH_CPU_LOCAL_H

#define CPU_LOCAL_KERNEL_STACK_TOP 0 /* offsets used by syscall_entry.S */
#define CPU_LOCAL_USER_RSP 8

#ifndef __ASSEMBLER__
#include <stdint.h>

struct cpu_local {
    uint64_t kernel_stack_top; /* the current thread's kernel stack, for syscall entry */
    uint64_t user_rsp;         /* scratch: the user stack pointer during syscall entry */
};

/* Loads %gs for the kernel, programs the syscall MSRs and enables SSE for user threads. */
void cpu_local_init(void);

void cpu_local_set_kernel_stack(uint64_t stack_top);
#endif

#endif
