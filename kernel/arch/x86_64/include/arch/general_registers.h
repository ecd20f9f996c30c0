/* Assembly macros for the general registers of struct trap_frame (rax at the lowest address). */
#ifndef ARCH_GENERAL_REGISTERS_H
#define ARCH_GENERAL_REGISTERS_H

/* clang-format off */
.macro push_general_registers
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
.endm

.macro pop_general_registers
    popq %rax
    popq %rbx
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rbp
    popq %r8
    popq %r9
    popq %r10
    popq %r11
    popq %r12
    popq %r13
    popq %r14
    popq %r15
.endm
/* clang-format on */

#endif
