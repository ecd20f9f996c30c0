/* The boot vCPU's initial state: 32-bit protected mode with paging off, as a flat-binary guest expects it. */
#include "arch.h"

#include <string.h>

#define CR0_PE (1ull << 0) /* protected mode */
#define CR0_ET (1ull << 4) /* fixed to 1 on every CPU since the 486 */
#define RFLAGS_FIXED 0x2ull
#define DR6_RESET 0xffff0ff0ull
#define DR7_RESET 0x400ull
#define PAT_RESET 0x0007040600070406ull

/* VMCB segment attributes: type:4 S:1 DPL:2 P:1 AVL:1 L:1 D/B:1 G:1. */
#define CODE_32_FLAT 0xc9b /* present, code, readable, accessed; 32-bit (D=1), 4 KiB granularity */
#define DATA_32_FLAT 0xc93 /* present, data, writable, accessed; 32-bit (B=1), 4 KiB granularity */
#define TSS_32_BUSY 0x8b   /* present system segment, busy 32-bit TSS: what VMRUN wants in TR */
#define LDT_PRESENT 0x82   /* present system segment, LDT */
#define CODE_SELECTOR 0x8
#define DATA_SELECTOR 0x10
#define FLAT_LIMIT 0xffffffffu
#define TABLE_LIMIT 0xffffu

void arch_guest_setup(struct vcpu_state *state, uint64_t entry, uint64_t stack_top, uint64_t boot_argument)
{
    memset(state, 0, sizeof(*state));
    state->cr0 = CR0_PE | CR0_ET;
    state->efer = 0;              /* the kernel adds what SVM itself needs */
    state->rflags = RFLAGS_FIXED; /* interrupts off */
    state->rip = entry;
    state->rsp = stack_top;
    state->rbx = boot_argument;
    state->dr6 = DR6_RESET;
    state->dr7 = DR7_RESET;
    state->pat = PAT_RESET;
    state->cs = (struct vcpu_segment){CODE_SELECTOR, CODE_32_FLAT, FLAT_LIMIT, 0};
    struct vcpu_segment data = {DATA_SELECTOR, DATA_32_FLAT, FLAT_LIMIT, 0};
    state->ds = state->es = state->ss = state->fs = state->gs = data;
    state->tr = (struct vcpu_segment){0, TSS_32_BUSY, TABLE_LIMIT, 0};
    state->ldtr = (struct vcpu_segment){0, LDT_PRESENT, TABLE_LIMIT, 0};
    state->gdtr = (struct vcpu_descriptor_table){TABLE_LIMIT, 0, 0};
    state->idtr = (struct vcpu_descriptor_table){TABLE_LIMIT, 0, 0};
}
