/* One 16-byte stub per vector pushes a uniform (vector, error code) pair and joins trap_common. */
#include <arch/general_registers.h>
    .section .text
    .global trap_stubs
    .p2align 4
trap_stubs:
    .set vector, 0
    .rept 256
    .p2align 4
    /* The CPU pushes an error code only for these exceptions. */
    .if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    .else
    pushq $0
    .endif
    pushq $vector
    jmp trap_common
    .set vector, vector + 1
    .endr

trap_common:
    testb $3, 24(%rsp)               /* CS of the interrupted code: from user mode? */
    jz 1f
    swapgs
1:  push_general_registers
    cld
    mov %rsp, %rdi
    call trap_dispatch

    /* Every return to interrupted code, and every syscall return, leaves through here. */
    .global trap_return
trap_return:
    pop_general_registers
    add $16, %rsp
    testb $3, 8(%rsp)                /* CS of the code we return to */
    jz 2f
    swapgs
2:  iretq
