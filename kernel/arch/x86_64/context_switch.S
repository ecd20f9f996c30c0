/* void context_switch_stacks(uint64_t *save_rsp, uint64_t load_rsp):
 * saves the callee-saved registers on the current kernel stack, switches stacks, restores. */
    .section .text
    .global context_switch_stacks
context_switch_stacks:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* A new user thread's first switch-in "returns" here, right above its trap frame. */
    .global thread_first_return
thread_first_return:
    jmp trap_return

/* A new kernel thread's first switch-in: %rbx holds its entry function. */
    .global kernel_thread_start
kernel_thread_start:
    call *%rbx
1:  cli
    hlt
    jmp 1b
