/* The `syscall` instruction lands here: %rcx = user rip, %r11 = user rflags, still on the user stack.
 * Builds the same struct trap_frame an interrupt would (so the scheduler, ex_regs and fault code see one
 * layout), and returns with sysret. */
#include <arch/general_registers.h>
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
    push_general_registers
    mov %rsp, %rdi
    call syscall_dispatch

    /* Back the way we came: sysret. The frame's rip is always a user address (ex_regs checks it),
     * so sysret cannot fault in kernel mode on a non-canonical %rcx. */
    pop_general_registers
    add $16, %rsp                    /* vector, error code */
    popq %rcx                        /* user rip */
    add $8, %rsp                     /* cs */
    popq %r11                        /* user rflags */
    popq %rsp                        /* user rsp (ss is implied by sysret) */
    swapgs
    sysretq
