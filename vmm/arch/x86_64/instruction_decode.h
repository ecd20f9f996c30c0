/*
 * Decodes the instruction that made an MMIO exit, for the common MOV forms
 * compilers and drivers use for device registers:
 *
 *   88 /r  MOV r/m8, r8        8A /r  MOV r8, r/m8        C6 /0 ib  MOV r/m8, imm8
 *   89 /r  MOV r/m, r          8B /r  MOV r, r/m          C7 /0 iw/id  MOV r/m, imm
 *
 * with the operand-size (66), address-size (67) and segment-override prefixes
 * and, in 64-bit mode, a REX prefix; ModRM with every memory form (SIB,
 * disp8/disp16/disp32, RIP-relative). The hardware reports the guest-physical
 * address, so the decoder only needs the access's size, direction, register
 * or immediate, and length. Everything else is refused with the reason, so
 * the VM ends instead of the VMM guessing. Pure C, unit-tested on the host.
 */
#ifndef VMM_X86_INSTRUCTION_DECODE_H
#define VMM_X86_INSTRUCTION_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSTRUCTION_LENGTH 15

/* The default operand and address size of the code segment (CS.D, CS.L and EFER.LMA decide it). */
enum x86_mode {
    X86_MODE_16 = 16, /* real mode, virtual-8086 mode, or a 16-bit code segment */
    X86_MODE_32 = 32,
    X86_MODE_64 = 64,
};

struct x86_memory_access {
    unsigned length;    /* of the instruction, prefixes included: what rip advances by */
    unsigned size;      /* bytes accessed: 1, 2, 4 or 8 */
    bool is_write;      /* to memory (from a register or an immediate) */
    bool has_immediate; /* a write of immediate instead of a register */
    uint64_t immediate; /* sign-extended to 64 bits, as the CPU would extend it to the operand size */
    unsigned reg;       /* otherwise the register: 0..15 = rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15 */
    bool high_byte;     /* a byte access to AH, CH, DH or BH: bits 8..15 of register reg */
};

/*
 * Decodes the instruction in bytes[0..available) (fewer than
 * X86_MAX_INSTRUCTION_LENGTH when guest RAM ends sooner) for a CPU in mode.
 * Returns NULL with *access filled in, or why it is not an access the VMM
 * emulates (unsupported opcode or prefix, a register operand, truncated bytes).
 */
const char *x86_decode_memory_access(const uint8_t *bytes, size_t available, enum x86_mode mode,
                                     struct x86_memory_access *access);

#endif
