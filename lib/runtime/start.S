/*
 * Micro-App entry. The root task starts the main thread here with
 * %rsp = APP_STACK_TOP (kapsel/environment.h). %rdi is not relied on: the
 * root task starts a thread with THREAD_EX_REGS, which sets only rip and rsp,
 * so runtime_start finds the environment at APP_ENVIRONMENT_ADDRESS.
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp     /* the outermost frame, for debuggers and backtraces */
    andq $-16, %rsp     /* the C ABI's alignment at a call, whatever the loader left */
    call runtime_start
    ud2                 /* runtime_start does not return */
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
