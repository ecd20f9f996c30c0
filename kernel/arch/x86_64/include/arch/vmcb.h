/* The AMD SVM virtual machine control block: offsets from the AMD64 APM vol. 2, appendix B. */
#ifndef ARCH_VMCB_H
#define ARCH_VMCB_H

/* Control area */
#define VMCB_INTERCEPT_CR 0x000
#define VMCB_INTERCEPT_DR 0x004
#define VMCB_INTERCEPT_EXCEPTIONS 0x008
#define VMCB_INTERCEPT_MISC1 0x00c
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_BASE 0x040
#define VMCB_MSRPM_BASE 0x048
#define VMCB_TSC_OFFSET 0x050
#define VMCB_GUEST_ASID 0x058
#define VMCB_TLB_CONTROL 0x05c
#define VMCB_VIRTUAL_INTERRUPT 0x060
#define VMCB_INTERRUPT_SHADOW 0x068
#define VMCB_EXIT_CODE 0x070
#define VMCB_EXIT_INFO1 0x078
#define VMCB_EXIT_INFO2 0x080
#define VMCB_EXIT_INTERRUPT_INFO 0x088
#define VMCB_NESTED_CONTROL 0x090
#define VMCB_EVENT_INJECTION 0x0a8
#define VMCB_NESTED_CR3 0x0b0
#define VMCB_CLEAN_BITS 0x0c0
#define VMCB_NEXT_RIP 0x0c8

/* State save area */
#define VMCB_ES 0x400
#define VMCB_CS 0x410
#define VMCB_SS 0x420
#define VMCB_DS 0x430
#define VMCB_FS 0x440
#define VMCB_GS 0x450
#define VMCB_GDTR 0x460
#define VMCB_LDTR 0x470
#define VMCB_IDTR 0x480
#define VMCB_TR 0x490
#define VMCB_CPL 0x4cb
#define VMCB_EFER 0x4d0
#define VMCB_CR4 0x548
#define VMCB_CR3 0x550
#define VMCB_CR0 0x558
#define VMCB_DR7 0x560
#define VMCB_DR6 0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5d8
#define VMCB_RAX 0x5f8
#define VMCB_STAR 0x600
#define VMCB_LSTAR 0x608
#define VMCB_CSTAR 0x610
#define VMCB_SFMASK 0x618
#define VMCB_KERNEL_GS_BASE 0x620
#define VMCB_SYSENTER_CS 0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_CR2 0x640
#define VMCB_GUEST_PAT 0x668

/* Intercept bits (MISC1 / MISC2) */
#define INTERCEPT_INTR (1u << 0)
#define INTERCEPT_NMI (1u << 1)
#define INTERCEPT_SMI (1u << 2)
#define INTERCEPT_INIT (1u << 3)
#define INTERCEPT_VINTR (1u << 4)
#define INTERCEPT_CPUID (1u << 18)
#define INTERCEPT_HLT (1u << 24)
#define INTERCEPT_INVLPGA (1u << 26)
#define INTERCEPT_IOIO (1u << 27)
#define INTERCEPT_MSR (1u << 28)
#define INTERCEPT_TASK_SWITCH (1u << 29)
#define INTERCEPT_SHUTDOWN (1u << 31)
#define INTERCEPT_VMRUN (1u << 0)
#define INTERCEPT_VMMCALL (1u << 1)
#define INTERCEPT_VMLOAD (1u << 2)
#define INTERCEPT_VMSAVE (1u << 3)
#define INTERCEPT_STGI (1u << 4)
#define INTERCEPT_CLGI (1u << 5)
#define INTERCEPT_SKINIT (1u << 6)
#define INTERCEPT_RDTSCP (1u << 7)
#define INTERCEPT_ICEBP (1u << 8)
#define INTERCEPT_WBINVD (1u << 9)
#define INTERCEPT_MONITOR (1u << 10)
#define INTERCEPT_MWAIT (1u << 11)
#define INTERCEPT_XSETBV (1u << 13)

/* Exit codes */
#define SVM_EXIT_EXCEPTION_FIRST 0x40
#define SVM_EXIT_EXCEPTION_LAST 0x5f
#define SVM_EXIT_INTR 0x60
#define SVM_EXIT_NMI 0x61
#define SVM_EXIT_SMI 0x62
#define SVM_EXIT_INIT 0x63
#define SVM_EXIT_VINTR 0x64
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_MSR 0x7c
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_WBINVD 0x89
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xffffffffffffffffull

#define TLB_CONTROL_FLUSH_ALL 1
#define VIRTUAL_INTERRUPT_MASKING (1ull << 24)
#define VIRTUAL_IRQ (1ull << 8)
#define VIRTUAL_INTERRUPT_PRIORITY (0xfull << 16)
#define VIRTUAL_IGNORE_TPR (1ull << 20)
#define NESTED_PAGING_ENABLE 1

#endif
