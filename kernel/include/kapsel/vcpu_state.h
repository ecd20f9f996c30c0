/*
 * The vCPU state page: what a VMM reads and writes between VM_RUN calls. The
 * kernel keeps the hardware control block (the VMCB on AMD SVM) private and
 * copies the guest state in, checked, before each entry and out after each
 * exit, so a VMM can change a guest's registers but never the intercepts,
 * the nested page tables or any host-physical address.
 *
 * The exit part is architecture-neutral (exit reasons and their decoded
 * details); the register part is per architecture (x86-64 here).
 */
#ifndef KAPSEL_VCPU_STATE_H
#define KAPSEL_VCPU_STATE_H

#include <stdint.h>

enum vcpu_exit_reason {
    VCPU_EXIT_NONE = 0,
    VCPU_EXIT_IO,               /* port I/O: exit.io; the VMM completes an IN by writing rax */
    VCPU_EXIT_MMIO,             /* access to guest-physical memory that is not RAM: exit.mmio */
    VCPU_EXIT_CPUID,            /* rax/rcx = leaf/subleaf; the VMM sets rax..rdx and advances rip */
    VCPU_EXIT_MSR_READ,         /* rcx = MSR; the VMM sets rdx:rax (or injects #GP) */
    VCPU_EXIT_MSR_WRITE,        /* rcx = MSR, rdx:rax = value */
    VCPU_EXIT_HALT,             /* the guest executed HLT */
    VCPU_EXIT_HYPERCALL,        /* VMMCALL: the VMM's own protocol in the registers */
    VCPU_EXIT_SHUTDOWN,         /* triple fault: the guest cannot go on */
    VCPU_EXIT_INVALID_STATE,    /* the hardware refused the guest state (VMEXIT_INVALID) */
    VCPU_EXIT_EXCEPTION,        /* an intercepted guest exception: exit.exception */
    VCPU_EXIT_UNKNOWN,          /* an exit the kernel does not decode: exit.raw_code */
    VCPU_EXIT_INTERRUPT_WINDOW, /* the guest can take an interrupt now (asked for by request_interrupt_window) */
    VCPU_EXIT_KICKED,           /* another VMM thread asked for this vCPU back (VM_KICK) */
    VCPU_EXIT_DEADLINE,         /* host_ticks reached exit_deadline: time for the VMM's timers */
};

/* A segment register as the hardware caches it (AMD VMCB format attributes). */
struct vcpu_segment {
    uint16_t selector;
    uint16_t attributes; /* type:4 S:1 DPL:2 P:1 AVL:1 L:1 D/B:1 G:1 */
    uint32_t limit;
    uint64_t base;
};

struct vcpu_descriptor_table {
    uint32_t limit;
    uint32_t reserved;
    uint64_t base;
};

struct vcpu_exit {
    uint32_t reason;             /* enum vcpu_exit_reason */
    uint32_t instruction_length; /* when known (0 otherwise): what the VMM adds to rip to skip it */
    uint64_t next_rip;           /* for I/O exits: the address after the instruction */
    union {
        struct {
            uint16_t port;
            uint8_t size; /* 1, 2 or 4 bytes */
            uint8_t is_in;
            uint8_t is_string;
            uint8_t has_rep;
        } io;
        struct {
            uint64_t guest_physical_address;
            uint8_t is_write;
            uint8_t is_fetch;
        } mmio;
        struct {
            uint32_t vector;
            uint32_t error_code;
            uint64_t address;
        } exception;
    };
    uint64_t raw_code;  /* architecture exit code (SVM: EXITCODE) */
    uint64_t raw_info1; /* SVM: EXITINFO1 */
    uint64_t raw_info2; /* SVM: EXITINFO2 */
};

struct vcpu_state {
    /* general registers */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    /* control and debug registers */
    uint64_t cr0, cr2, cr3, cr4, efer, dr6, dr7, pat;
    struct vcpu_segment es, cs, ss, ds, fs, gs, ldtr, tr;
    struct vcpu_descriptor_table gdtr, idtr;
    /* system-call and other state switched with the guest */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    /* event injection before the next entry: valid bit 31, type bits 8-10, vector bits 0-7 (SVM EVENTINJ) */
    uint64_t event_injection;
    uint64_t interrupt_shadow; /* 1 right after STI / MOV SS */
    /* 1: exit with VCPU_EXIT_INTERRUPT_WINDOW as soon as the guest accepts interrupts (to inject one then) */
    uint64_t request_interrupt_window;
    /* Host clock (kernel timer ticks) for the VMM's device timers: updated on every exit; 0 = no deadline. */
    uint64_t exit_deadline; /* the run returns with VCPU_EXIT_DEADLINE once host_ticks reaches it */
    uint64_t host_ticks;    /* written by the kernel */
    uint64_t host_ticks_per_second;
    struct vcpu_exit exit;
};

#define VCPU_EVENT_VALID (1ull << 31)
#define VCPU_EVENT_TYPE_INTERRUPT (0ull << 8)
#define VCPU_EVENT_TYPE_NMI (2ull << 8)
#define VCPU_EVENT_TYPE_EXCEPTION (3ull << 8)
#define VCPU_EVENT_TYPE_SOFTWARE (4ull << 8)
#define VCPU_EVENT_ERROR_CODE_VALID (1ull << 11)

#endif
