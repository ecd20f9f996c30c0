/* Unit tests for the MMIO instruction decoder (vmm/arch/x86_64/instruction_decode.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/instruction_decode.h"

#include <string.h>

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

struct expected {
    unsigned length;
    unsigned size;
    bool is_write;
    bool has_immediate;
    uint64_t immediate;
    unsigned reg;
    bool high_byte;
};

static void expect_decoded(const uint8_t *bytes, size_t count, enum x86_mode mode, struct expected expected)
{
    struct x86_memory_access access;
    memset(&access, 0xa5, sizeof(access));
    const char *why = x86_decode_memory_access(bytes, count, mode, &access);
    if (why) {
        fail_msg("refused: %s", why);
    }
    assert_int_equal(access.length, expected.length);
    assert_int_equal(access.size, expected.size);
    assert_int_equal(access.is_write, expected.is_write);
    assert_int_equal(access.has_immediate, expected.has_immediate);
    if (expected.has_immediate) {
        assert_int_equal(access.immediate, expected.immediate);
    } else {
        assert_int_equal(access.reg, expected.reg);
        assert_int_equal(access.high_byte, expected.high_byte);
    }
}

static void expect_refused(const uint8_t *bytes, size_t count, enum x86_mode mode, const char *reason_part)
{
    struct x86_memory_access access;
    const char *why = x86_decode_memory_access(bytes, count, mode, &access);
    assert_non_null(why);
    if (!strstr(why, reason_part)) {
        fail_msg("reason '%s' lacks '%s'", why, reason_part);
    }
}

static void test_each_opcode_in_32_bit_mode(void **state)
{
    (void)state;
    /* mov [edi], bl / mov [edi], ebx / mov bl, [edi] / mov ebx, [edi] */
    expect_decoded(BYTES(0x88, 0x1f), X86_MODE_32,
                   (struct expected){.length = 2, .size = 1, .is_write = true, .reg = 3});
    expect_decoded(BYTES(0x89, 0x1f), X86_MODE_32,
                   (struct expected){.length = 2, .size = 4, .is_write = true, .reg = 3});
    expect_decoded(BYTES(0x8a, 0x1f), X86_MODE_32, (struct expected){.length = 2, .size = 1, .reg = 3});
    expect_decoded(BYTES(0x8b, 0x1f), X86_MODE_32, (struct expected){.length = 2, .size = 4, .reg = 3});
    /* mov byte [edi], 0x80 / mov dword [edi], 0x1234abcd */
    expect_decoded(
        BYTES(0xc6, 0x07, 0x80), X86_MODE_32,
        (struct expected){
            .length = 3, .size = 1, .is_write = true, .has_immediate = true, .immediate = 0xffffffffffffff80ull});
    expect_decoded(
        BYTES(0xc7, 0x07, 0xcd, 0xab, 0x34, 0x12), X86_MODE_32,
        (struct expected){.length = 6, .size = 4, .is_write = true, .has_immediate = true, .immediate = 0x1234abcd});
}

static void test_high_byte_registers_without_rex(void **state)
{
    (void)state;
    /* mov [eax], ah (reg 4 without REX = AH) and mov bh, [eax] */
    expect_decoded(BYTES(0x88, 0x20), X86_MODE_32,
                   (struct expected){.length = 2, .size = 1, .is_write = true, .reg = 0, .high_byte = true});
    expect_decoded(BYTES(0x8a, 0x38), X86_MODE_32,
                   (struct expected){.length = 2, .size = 1, .reg = 3, .high_byte = true});
    /* With any REX (even 0x40) reg 4 is SPL, not AH. */
    expect_decoded(BYTES(0x40, 0x88, 0x20), X86_MODE_64,
                   (struct expected){.length = 3, .size = 1, .is_write = true, .reg = 4});
    /* A 32-bit register 4 is ESP, never a high byte. */
    expect_decoded(BYTES(0x89, 0x20), X86_MODE_32,
                   (struct expected){.length = 2, .size = 4, .is_write = true, .reg = 4});
}

static void test_operand_size_prefix_and_modes(void **state)
{
    (void)state;
    /* 66 89 07: 16-bit store in 32-bit mode; the same prefix makes it 32-bit in 16-bit mode. */
    expect_decoded(BYTES(0x66, 0x89, 0x07), X86_MODE_32, (struct expected){.length = 3, .size = 2, .is_write = true});
    expect_decoded(BYTES(0x89, 0x07), X86_MODE_16, (struct expected){.length = 2, .size = 2, .is_write = true});
    expect_decoded(BYTES(0x66, 0x89, 0x07), X86_MODE_16, (struct expected){.length = 3, .size = 4, .is_write = true});
    /* 66 C7: imm16, sign-extended */
    expect_decoded(
        BYTES(0x66, 0xc7, 0x07, 0x34, 0x92), X86_MODE_32,
        (struct expected){
            .length = 5, .size = 2, .is_write = true, .has_immediate = true, .immediate = 0xffffffffffff9234ull});
    /* 64-bit mode defaults to 32-bit operands. */
    expect_decoded(BYTES(0x8b, 0x07), X86_MODE_64, (struct expected){.length = 2, .size = 4, .reg = 0});
}

static void test_rex_prefixes(void **state)
{
    (void)state;
    /* 48 8B 07: mov rax, [rdi]; 4C 8B 07: mov r8, [rdi]; 41 8B 07: mov eax, [r15] (B does not change reg) */
    expect_decoded(BYTES(0x48, 0x8b, 0x07), X86_MODE_64, (struct expected){.length = 3, .size = 8, .reg = 0});
    expect_decoded(BYTES(0x4c, 0x8b, 0x07), X86_MODE_64, (struct expected){.length = 3, .size = 8, .reg = 8});
    expect_decoded(BYTES(0x41, 0x8b, 0x07), X86_MODE_64, (struct expected){.length = 3, .size = 4, .reg = 0});
    expect_decoded(BYTES(0x44, 0x89, 0x3f), X86_MODE_64,
                   (struct expected){.length = 3, .size = 4, .is_write = true, .reg = 15});
    /* REX.W wins over 66. */
    expect_decoded(BYTES(0x66, 0x48, 0x89, 0x07), X86_MODE_64,
                   (struct expected){.length = 4, .size = 8, .is_write = true, .reg = 0});
    /* 48 C7: imm32 sign-extended to 64 bits. */
    expect_decoded(
        BYTES(0x48, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x80), X86_MODE_64,
        (struct expected){
            .length = 7, .size = 8, .is_write = true, .has_immediate = true, .immediate = 0xffffffff80000000ull});
    /* Outside 64-bit mode 0x48 is DEC EAX, not a prefix. */
    expect_refused(BYTES(0x48, 0x8b, 0x07), X86_MODE_32, "not one of the MOV");
}

static void test_modrm_displacements(void **state)
{
    (void)state;
    /* [edi + disp8], [edi + disp32], [disp32] alone */
    expect_decoded(BYTES(0x8b, 0x47, 0x04), X86_MODE_32, (struct expected){.length = 3, .size = 4});
    expect_decoded(BYTES(0x8b, 0x87, 0x00, 0x10, 0x00, 0x00), X86_MODE_32, (struct expected){.length = 6, .size = 4});
    expect_decoded(BYTES(0x8b, 0x05, 0x00, 0x00, 0x00, 0xd0), X86_MODE_32, (struct expected){.length = 6, .size = 4});
    /* C7 with disp32 and imm32: 10 bytes. */
    expect_decoded(
        BYTES(0xc7, 0x05, 0x00, 0x00, 0x00, 0xd0, 0xcd, 0xab, 0x34, 0x12), X86_MODE_32,
        (struct expected){.length = 10, .size = 4, .is_write = true, .has_immediate = true, .immediate = 0x1234abcd});
}

static void test_sib_forms(void **state)
{
    (void)state;
    /* [edi + ecx], [edi + ecx*4 + disp8], [ecx*4 + disp32] (no base), [esp] */
    expect_decoded(BYTES(0x8b, 0x1c, 0x0f), X86_MODE_32, (struct expected){.length = 3, .size = 4, .reg = 3});
    expect_decoded(BYTES(0x8b, 0x44, 0x8f, 0x08), X86_MODE_32, (struct expected){.length = 4, .size = 4});
    expect_decoded(BYTES(0x8b, 0x04, 0x8d, 0x00, 0x00, 0x00, 0xd0), X86_MODE_32,
                   (struct expected){.length = 7, .size = 4});
    expect_decoded(BYTES(0x8b, 0x04, 0x24), X86_MODE_32, (struct expected){.length = 3, .size = 4});
    /* SIB with base 5 and mod 1 is [ebp + index + disp8], not disp32. */
    expect_decoded(BYTES(0x8b, 0x44, 0x0d, 0x10), X86_MODE_32, (struct expected){.length = 4, .size = 4});
    /* SIB + disp32 + imm32 */
    expect_decoded(BYTES(0xc7, 0x84, 0x8f, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00), X86_MODE_32,
                   (struct expected){.length = 11, .size = 4, .is_write = true, .has_immediate = true, .immediate = 1});
}

static void test_rip_relative_in_64_bit_mode(void **state)
{
    (void)state;
    /* mov eax, [rip + disp32]; mov dword [rip + disp32], imm32; with REX.W */
    expect_decoded(BYTES(0x8b, 0x05, 0x10, 0x00, 0x00, 0x00), X86_MODE_64, (struct expected){.length = 6, .size = 4});
    expect_decoded(
        BYTES(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00), X86_MODE_64,
        (struct expected){.length = 10, .size = 4, .is_write = true, .has_immediate = true, .immediate = 42});
    expect_decoded(BYTES(0x48, 0x89, 0x0d, 0xf0, 0xff, 0xff, 0xff), X86_MODE_64,
                   (struct expected){.length = 7, .size = 8, .is_write = true, .reg = 1});
}

static void test_16_bit_addressing(void **state)
{
    (void)state;
    /* 16-bit mode: [bx+si] (no SIB: rm 4 is [si]), [disp16], [bp + disp8], [bx + disp16] */
    expect_decoded(BYTES(0x8b, 0x00), X86_MODE_16, (struct expected){.length = 2, .size = 2});
    expect_decoded(BYTES(0x8b, 0x04), X86_MODE_16, (struct expected){.length = 2, .size = 2});
    expect_decoded(BYTES(0x8b, 0x06, 0x00, 0x10), X86_MODE_16, (struct expected){.length = 4, .size = 2});
    expect_decoded(BYTES(0x8b, 0x46, 0x02), X86_MODE_16, (struct expected){.length = 3, .size = 2});
    expect_decoded(BYTES(0x8b, 0x87, 0x00, 0x10), X86_MODE_16, (struct expected){.length = 4, .size = 2});
    /* 67 in 32-bit mode switches to 16-bit addressing: [disp16]; in 16-bit mode to 32-bit: SIB */
    expect_decoded(BYTES(0x67, 0x8b, 0x06, 0x00, 0x10), X86_MODE_32, (struct expected){.length = 5, .size = 4});
    expect_decoded(BYTES(0x67, 0x8b, 0x04, 0x24), X86_MODE_16, (struct expected){.length = 4, .size = 2});
    /* 67 in 64-bit mode: 32-bit addressing, same ModRM forms */
    expect_decoded(BYTES(0x67, 0x8b, 0x07), X86_MODE_64, (struct expected){.length = 3, .size = 4});
}

static void test_segment_overrides_are_skipped(void **state)
{
    (void)state;
    expect_decoded(BYTES(0x26, 0x8b, 0x07), X86_MODE_32, (struct expected){.length = 3, .size = 4});
    expect_decoded(BYTES(0x64, 0x66, 0x89, 0x07), X86_MODE_32,
                   (struct expected){.length = 4, .size = 2, .is_write = true});
    expect_decoded(BYTES(0x65, 0x48, 0x8b, 0x07), X86_MODE_64, (struct expected){.length = 4, .size = 8});
}

static void test_unsupported_instructions_are_refused(void **state)
{
    (void)state;
    expect_refused(BYTES(0xa1, 0x00, 0x00, 0x00, 0xd0), X86_MODE_32, "not one of the MOV"); /* mov eax, moffs32 */
    expect_refused(BYTES(0x0f, 0xb6, 0x07), X86_MODE_32, "not one of the MOV");             /* movzx */
    expect_refused(BYTES(0xa5), X86_MODE_32, "not one of the MOV");                         /* movs */
    expect_refused(BYTES(0x89, 0xc3), X86_MODE_32, "register operand");                     /* mov ebx, eax */
    expect_refused(BYTES(0xc7, 0x0f, 0x01, 0x00, 0x00, 0x00), X86_MODE_32, "reg field");    /* C7 /1 */
    expect_refused(BYTES(0xc6, 0xf8, 0x00), X86_MODE_32, "register operand");               /* XABORT */
    expect_refused(BYTES(0xf0, 0x89, 0x07), X86_MODE_32, "LOCK");
    expect_refused(BYTES(0xf3, 0x89, 0x07), X86_MODE_32, "REP");
    expect_refused(BYTES(0x48, 0x66, 0x89, 0x07), X86_MODE_64, "after REX");
    expect_refused(BYTES(0x89, 0x07), (enum x86_mode)48, "mode");
}

static void test_truncated_and_overlong_bytes_are_refused(void **state)
{
    (void)state;
    const uint8_t full[] = {0xc7, 0x84, 0x8f, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
    for (size_t count = 0; count < sizeof(full); count++) {
        expect_refused(full, count, X86_MODE_32, "end before");
    }
    expect_refused(BYTES(0x66), X86_MODE_32, "end before");
    expect_refused(BYTES(0x48), X86_MODE_64, "end before");
    /* 14 segment prefixes and the opcode: the ModRM would be the 16th byte. */
    uint8_t overlong[X86_MAX_INSTRUCTION_LENGTH + 2];
    memset(overlong, 0x3e, sizeof(overlong));
    overlong[14] = 0x8b;
    overlong[15] = 0x07;
    expect_refused(overlong, sizeof(overlong), X86_MODE_32, "longer than 15");
    /* 13 prefixes, opcode and ModRM: exactly 15 bytes is fine. */
    memset(overlong, 0x3e, sizeof(overlong));
    overlong[13] = 0x8b;
    overlong[14] = 0x07;
    expect_decoded(overlong, sizeof(overlong), X86_MODE_32, (struct expected){.length = 15, .size = 4});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_opcode_in_32_bit_mode),
        cmocka_unit_test(test_high_byte_registers_without_rex),
        cmocka_unit_test(test_operand_size_prefix_and_modes),
        cmocka_unit_test(test_rex_prefixes),
        cmocka_unit_test(test_modrm_displacements),
        cmocka_unit_test(test_sib_forms),
        cmocka_unit_test(test_rip_relative_in_64_bit_mode),
        cmocka_unit_test(test_16_bit_addressing),
        cmocka_unit_test(test_segment_overrides_are_skipped),
        cmocka_unit_test(test_unsupported_instructions_are_refused),
        cmocka_unit_test(test_truncated_and_overlong_bytes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
