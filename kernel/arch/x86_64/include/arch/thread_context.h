/* The x86-64 part of a thread: saved kernel stack pointer and the FPU/SSE register file. */
#ifndef ARCH_THREAD_CONTEXT_H
#define ARCH_THREAD_CONTEXT_H

#include <stdint.h>

struct thread_context {
    uint64_t kernel_rsp;                                 /* saved by context_switch */
    uint8_t fpu_state[512] __attribute__((aligned(16))); /* fxsave64 image */
};

struct thread;
struct trap_frame;

/* Prepares a new thread's kernel stack so that its first switch-in returns to user mode. */
void thread_context_init(struct thread *thread);

/* Prepares a kernel-only thread (the idle thread) to start in entry on its own stack. */
void thread_context_init_kernel(struct thread *thread, void (*entry)(void));

/* The user registers saved at the top of the thread's kernel stack. */
struct trap_frame *thread_user_frame(struct thread *thread);

/* Sets the register that carries a start-up argument to user code (%rdi). */
void thread_set_user_argument(struct thread *thread, uint64_t value);

/* Saves prev's kernel registers and FPU state, loads next's (and its address space). */
void thread_context_switch(struct thread *prev, struct thread *next);

#endif
