#include "instruction_decode.h"

#include <string.h>

#define PREFIX_OPERAND_SIZE 0x66
#define PREFIX_ADDRESS_SIZE 0x67
#define PREFIX_LOCK 0xf0
#define PREFIX_REPNE 0xf2
#define PREFIX_REP 0xf3
#define REX_W 0x8
#define REX_R 0x4

#define OPCODE_MOV_STORE_BYTE 0x88
#define OPCODE_MOV_STORE 0x89
#define OPCODE_MOV_LOAD_BYTE 0x8a
#define OPCODE_MOV_LOAD 0x8b
#define OPCODE_MOV_IMMEDIATE_BYTE 0xc6
#define OPCODE_MOV_IMMEDIATE 0xc7

#define MODRM_MOD(byte) ((unsigned)(byte) >> 6)
#define MODRM_REG(byte) (((unsigned)(byte) >> 3) & 7u)
#define MODRM_RM(byte) ((unsigned)(byte)&7u)
#define MOD_REGISTER 3u
#define RM_SIB 4u
#define RM_DISP32 5u   /* with mod 0: disp32 alone (RIP-relative in 64-bit mode) */
#define RM16_DISP16 6u /* with mod 0 and 16-bit addressing: disp16 alone */
#define SIB_BASE_NONE 5u

static const char *const TRUNCATED = "the instruction bytes end before the instruction does";
static const char *const TOO_LONG = "longer than 15 bytes";

struct cursor {
    const uint8_t *bytes;
    size_t available;
    size_t position;
};

static bool take(struct cursor *cursor, size_t count)
{
    if (count > cursor->available - cursor->position) {
        return false;
    }
    cursor->position += count;
    return true;
}

/* Why take() failed: the bytes given ended, or the CPU's length limit did. */
static const char *ran_out(const struct cursor *cursor)
{
    return cursor->available == X86_MAX_INSTRUCTION_LENGTH ? TOO_LONG : TRUNCATED;
}

static bool segment_override(uint8_t byte)
{
    return byte == 0x26 || byte == 0x2e || byte == 0x36 || byte == 0x3e || byte == 0x64 || byte == 0x65;
}

/* Little-endian, sign-extended immediate of size bytes at position. */
static uint64_t immediate_at(const struct cursor *cursor, size_t position, unsigned size)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < size; i++) {
        value |= (uint64_t)cursor->bytes[position + i] << (8 * i);
    }
    uint64_t sign = 1ull << (8 * size - 1);
    return (value ^ sign) - sign;
}

/* Skips the displacement (and SIB byte) that follow a ModRM byte for the given address size in bits. */
static bool skip_memory_operand(struct cursor *cursor, uint8_t modrm, unsigned address_size)
{
    unsigned mod = MODRM_MOD(modrm);
    unsigned rm = MODRM_RM(modrm);
    if (address_size == 16) {
        /* No SIB in 16-bit addressing; [disp16] takes the place of [bp]. */
        size_t displacement = mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == RM16_DISP16) ? 2 : 0;
        return take(cursor, displacement);
    }
    size_t displacement = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (rm == RM_SIB) {
        if (!take(cursor, 1)) {
            return false;
        }
        uint8_t sib = cursor->bytes[cursor->position - 1];
        if (mod == 0 && (sib & 7u) == SIB_BASE_NONE) {
            displacement = 4; /* [index * scale + disp32], no base */
        }
    } else if (mod == 0 && rm == RM_DISP32) {
        displacement = 4; /* [disp32], or [rip + disp32] in 64-bit mode: the same bytes */
    }
    return take(cursor, displacement);
}

struct prefixes {
    bool operand_size;
    bool address_size;
    uint8_t rex;
};

static const char *read_prefixes(struct cursor *cursor, enum x86_mode mode, struct prefixes *prefixes)
{
    memset(prefixes, 0, sizeof(*prefixes));
    for (;;) {
        if (!take(cursor, 1)) {
            return ran_out(cursor);
        }
        uint8_t byte = cursor->bytes[cursor->position - 1];
        if (byte == PREFIX_OPERAND_SIZE) {
            prefixes->operand_size = true;
        } else if (byte == PREFIX_ADDRESS_SIZE) {
            prefixes->address_size = true;
        } else if (segment_override(byte)) {
            continue; /* the hardware already applied the segment: the exit has the address */
        } else if (byte == PREFIX_LOCK || byte == PREFIX_REP || byte == PREFIX_REPNE) {
            return "LOCK, REP or REPNE prefix on an MMIO access";
        } else if (mode == X86_MODE_64 && (byte & 0xf0) == 0x40) {
            /* REX counts only right before the opcode; after it no other prefix may come. */
            prefixes->rex = byte;
            if (!take(cursor, 1)) {
                return ran_out(cursor);
            }
            byte = cursor->bytes[cursor->position - 1];
            if (byte == PREFIX_OPERAND_SIZE || byte == PREFIX_ADDRESS_SIZE || segment_override(byte) ||
                (byte & 0xf0) == 0x40) {
                return "a prefix after REX";
            }
            cursor->position--; /* the opcode */
            return NULL;
        } else {
            cursor->position--; /* the opcode */
            return NULL;
        }
    }
}

static unsigned operand_size(uint8_t opcode, enum x86_mode mode, const struct prefixes *prefixes)
{
    if (opcode == OPCODE_MOV_STORE_BYTE || opcode == OPCODE_MOV_LOAD_BYTE || opcode == OPCODE_MOV_IMMEDIATE_BYTE) {
        return 1;
    }
    if (prefixes->rex & REX_W) {
        return 8; /* REX.W wins over 66 */
    }
    bool sixteen = mode == X86_MODE_16;
    return sixteen != prefixes->operand_size ? 2 : 4;
}

static unsigned address_size(enum x86_mode mode, const struct prefixes *prefixes)
{
    switch (mode) {
    case X86_MODE_16:
        return prefixes->address_size ? 32 : 16;
    case X86_MODE_32:
        return prefixes->address_size ? 16 : 32;
    default:
        return prefixes->address_size ? 32 : 64;
    }
}

const char *x86_decode_memory_access(const uint8_t *bytes, size_t available, enum x86_mode mode,
                                     struct x86_memory_access *access)
{
    if (mode != X86_MODE_16 && mode != X86_MODE_32 && mode != X86_MODE_64) {
        return "unknown CPU mode";
    }
    /* Bytes past the 15th cannot belong to the instruction. */
    struct cursor cursor = {bytes, available < X86_MAX_INSTRUCTION_LENGTH ? available : X86_MAX_INSTRUCTION_LENGTH, 0};
    struct prefixes prefixes;
    const char *why = read_prefixes(&cursor, mode, &prefixes);
    if (why) {
        return why;
    }
    uint8_t opcode = bytes[cursor.position++]; /* read_prefixes() saw it */
    if (opcode != OPCODE_MOV_STORE_BYTE && opcode != OPCODE_MOV_STORE && opcode != OPCODE_MOV_LOAD_BYTE &&
        opcode != OPCODE_MOV_LOAD && opcode != OPCODE_MOV_IMMEDIATE_BYTE && opcode != OPCODE_MOV_IMMEDIATE) {
        return "not one of the MOV instructions the VMM emulates (88, 89, 8A, 8B, C6, C7)";
    }
    if (!take(&cursor, 1)) {
        return ran_out(&cursor);
    }
    uint8_t modrm = bytes[cursor.position - 1];
    if (MODRM_MOD(modrm) == MOD_REGISTER) {
        return "a register operand, not memory";
    }
    bool immediate = opcode == OPCODE_MOV_IMMEDIATE_BYTE || opcode == OPCODE_MOV_IMMEDIATE;
    if (immediate && MODRM_REG(modrm) != 0) {
        return "C6/C7 with a ModRM reg field other than 0 is not a MOV";
    }
    if (!skip_memory_operand(&cursor, modrm, address_size(mode, &prefixes))) {
        return ran_out(&cursor);
    }
    memset(access, 0, sizeof(*access));
    access->size = operand_size(opcode, mode, &prefixes);
    access->is_write = opcode != OPCODE_MOV_LOAD_BYTE && opcode != OPCODE_MOV_LOAD;
    if (immediate) {
        unsigned immediate_size = access->size == 8 ? 4 : access->size; /* imm32, sign-extended to 64 bits */
        if (!take(&cursor, immediate_size)) {
            return ran_out(&cursor);
        }
        access->has_immediate = true;
        access->immediate = immediate_at(&cursor, cursor.position - immediate_size, immediate_size);
    } else {
        access->reg = MODRM_REG(modrm) | (prefixes.rex & REX_R ? 8u : 0u);
        /* Without any REX prefix, byte registers 4..7 are AH, CH, DH, BH rather than SPL, BPL, SIL, DIL. */
        access->high_byte = access->size == 1 && prefixes.rex == 0 && access->reg >= 4;
        if (access->high_byte) {
            access->reg -= 4;
        }
    }
    access->length = (unsigned)cursor.position;
    return NULL;
}
