/* void svm_enter(uint64_t vmcb_phys, uint64_t host_save_phys, struct svm_guest_registers *registers)
 *
 * VMRUN switches only rax, rsp and rip (and the VMCB's save area); the other
 * general registers are the host's job, and the VMLOAD/VMSAVE state (FS, GS,
 * TR, LDTR, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK, SYSENTER) is swapped by
 * hand: the host's goes to host_save_phys, the guest's lives in its VMCB.
 * Runs with GIF clear around the switch; interrupts that arrive in the guest
 * exit it (INTR intercept) and stay pending until the caller lets them in. */

#define R_RBX 0
#define R_RCX 8
#define R_RDX 16
#define R_RSI 24
#define R_RDI 32
#define R_RBP 40
#define R_R8 48
#define R_R9 56
#define R_R10 64
#define R_R11 72
#define R_R12 80
#define R_R13 88
#define R_R14 96
#define R_R15 104

    .section .text
    .global svm_enter
svm_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx                       /* 16(%rsp): registers */
    pushq %rdi                       /*  8(%rsp): VMCB */
    pushq %rsi                       /*  0(%rsp): host save area */

    clgi
    mov %rsi, %rax
    vmsave

    mov 16(%rsp), %rax
    mov R_RBX(%rax), %rbx
    mov R_RCX(%rax), %rcx
    mov R_RDX(%rax), %rdx
    mov R_RSI(%rax), %rsi
    mov R_RDI(%rax), %rdi
    mov R_RBP(%rax), %rbp
    mov R_R8(%rax), %r8
    mov R_R9(%rax), %r9
    mov R_R10(%rax), %r10
    mov R_R11(%rax), %r11
    mov R_R12(%rax), %r12
    mov R_R13(%rax), %r13
    mov R_R14(%rax), %r14
    mov R_R15(%rax), %r15

    mov 8(%rsp), %rax
    vmload
    sti                              /* host IF=1 in the guest: physical interrupts exit it (GIF is still 0 here) */
    vmrun
    cli                              /* #VMEXIT cleared GIF; keep interrupts off once it is set again */
    vmsave                           /* %rax is the VMCB again (restored from the host save state) */

    pushq %rax
    mov 24(%rsp), %rax
    mov %rbx, R_RBX(%rax)
    mov %rcx, R_RCX(%rax)
    mov %rdx, R_RDX(%rax)
    mov %rsi, R_RSI(%rax)
    mov %rdi, R_RDI(%rax)
    mov %rbp, R_RBP(%rax)
    mov %r8, R_R8(%rax)
    mov %r9, R_R9(%rax)
    mov %r10, R_R10(%rax)
    mov %r11, R_R11(%rax)
    mov %r12, R_R12(%rax)
    mov %r13, R_R13(%rax)
    mov %r14, R_R14(%rax)
    mov %r15, R_R15(%rax)
    popq %rax

    mov (%rsp), %rax
    vmload                           /* the host's FS/GS bases, TR and syscall MSRs */
    stgi                             /* interrupts stay pending: IF is 0 */

    add $24, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
