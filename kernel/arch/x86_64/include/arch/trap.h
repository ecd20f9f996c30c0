/* CPU exceptions and interrupts on x86-64. */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#define VECTOR_PAGE_FAULT 14
#define VECTOR_FIRST_IRQ 32
#define VECTOR_TIMER 0x30
/* 0x40..: hardware interrupt lines (VECTOR_FIRST_LINE, arch/io_apic.h) */
#define VECTOR_FIRST_MSI 0x80 /* message-signalled interrupts (msi.c) */
#define VECTOR_LAST_MSI 0xef
#define VECTOR_SPURIOUS 0xff

/* Register state pushed by trap_entry.S; the layout is shared with the assembly. */
struct trap_frame {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* Installs the IDT: every vector enters trap_dispatch(). */
void idt_init(void);

/* Called from trap_entry.S with interrupts disabled. */
void trap_dispatch(struct trap_frame *frame);

/* Called from syscall_entry.S: the one system call, arguments and results in the frame's registers. */
void syscall_dispatch(struct trap_frame *frame);

/*
 * Self-test support: the next exception with this vector is recorded instead
 * of ending the kernel, and execution resumes skip_bytes past the faulting
 * instruction (0 for traps such as #BP, which already point past it).
 */
void trap_expect(uint8_t vector, uint8_t skip_bytes);

struct trap_record {
    bool seen;
    uint64_t error_code;
    uint64_t fault_address;
};

/* What happened to the last trap_expect() (and clears the expectation). */
struct trap_record trap_expectation_result(void);

#endif
