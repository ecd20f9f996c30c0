/*
 * Root task entry. The kernel starts the root task here with
 * %rdi = ROOT_BOOT_INFO_ADDRESS and %rsp = ROOT_STACK_TOP (kapsel/abi.h).
 */
    .text
    .globl _root_start
    .type _root_start, @function
_root_start:
    xorl %ebp, %ebp         /* the outermost frame, for debuggers and backtraces */
    andq $-16, %rsp         /* the C ABI's alignment at a call, whatever the loader left */
    call root_runtime_start /* %rdi, the boot information, is its argument */
    ud2                     /* root_runtime_start does not return */
    .size _root_start, . - _root_start

    .section .note.GNU-stack, "", @progbits
