/* The `syscall` instruction lands here: %rcx = user rip, %r11 = user rflags, still on the user stack.
 * Builds the same struct trap_frame an interrupt would, so both leave through trap_return. */
#include <arch/cpu_local.h>
#include <arch/segments.h>

#define SYSCALL_VECTOR 0x100

    .section .text
    .global syscall_entry
    .p2align 4
syscall_entry:
    swapgs
    mov %rsp, %gs:CPU_LOCAL_USER_RSP
    mov %gs:CPU_LOCAL_KERNEL_STACK_TOP, %rsp
    pushq $(SELECTOR_USER_DATA | 3)
    pushq %gs:CPU_LOCAL_USER_RSP
    pushq %r11
    pushq $(SELECTOR_USER_CODE | 3)
    pushq %rcx
    pushq $0
    pushq $SYSCALL_VECTOR
    pushq %r15
    pushq %r14
    pushq %r13
    pushq %r12
    pushq %r11
    pushq %r10
    pushq %r9
    pushq %r8
    pushq %rbp
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rbx
    pushq %rax
    mov %rsp, %rdi
    call syscall_dispatch
    jmp trap_return
