/* Unit tests for the guest page-table walk (vmm/arch/x86_64/guest_page_walk.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/guest_page_walk.h"

#include <stdlib.h>
#include <string.h>

#define RAM_SIZE (8ull << 20)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define PRESENT 0x1ull
#define WRITABLE 0x2ull
#define LARGE 0x80ull

static struct guest_memory ram;

static int setup(void **state)
{
    (void)state;
    ram.size = RAM_SIZE;
    ram.host_base = calloc(1, RAM_SIZE);
    return ram.host_base ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram.host_base);
    return 0;
}

static void put64(uint64_t table, unsigned index, uint64_t entry)
{
    memcpy(ram.host_base + table + index * 8, &entry, 8);
}

static void put32(uint64_t table, unsigned index, uint32_t entry)
{
    memcpy(ram.host_base + table + index * 4, &entry, 4);
}

static const struct guest_paging long_mode = {CR0_PG | 1, 0x1000, CR4_PAE, EFER_LMA};

static void expect_translation(const struct guest_paging *paging, uint64_t linear, uint64_t physical,
                               uint64_t bytes_in_page)
{
    uint64_t got_physical = 0, got_bytes = 0;
    const char *why = guest_page_walk(&ram, paging, linear, &got_physical, &got_bytes);
    assert_null(why);
    assert_int_equal(got_physical, physical);
    assert_int_equal(got_bytes, bytes_in_page);
}

static void expect_refusal(const struct guest_paging *paging, uint64_t linear, const char *reason_part)
{
    uint64_t physical = 0xdead, bytes = 0xbeef;
    const char *why = guest_page_walk(&ram, paging, linear, &physical, &bytes);
    assert_non_null(why);
    assert_non_null(strstr(why, reason_part));
}

static void paging_off_is_identity_in_32_bits(void **state)
{
    (void)state;
    const struct guest_paging off = {1, 0, 0, 0};
    expect_translation(&off, 0x1234, 0x1234, 0x1000 - 0x234);
    expect_translation(&off, 0x100000ffcull, 0xffc, 4);
}

/* Linux's kernel mapping: 4-level tables, the higher half of a 48-bit space, 4 KiB and 2 MiB pages. */
static void long_mode_four_levels(void **state)
{
    (void)state;
    uint64_t linear = 0xffffffff81000000ull + 0x3010;
    put64(0x1000, 511, 0x2000 | PRESENT | WRITABLE);
    put64(0x2000, 510, 0x3000 | PRESENT);
    put64(0x3000, 8, 0x4000 | PRESENT);
    put64(0x4000, 3, 0x345000 | PRESENT);
    expect_translation(&long_mode, linear, 0x345010, 0x1000 - 0x10);

    put64(0x3000, 9, 0x600000 | PRESENT | LARGE);
    expect_translation(&long_mode, 0xffffffff81200000ull + 0x1234, 0x601234, 0x200000 - 0x1234);
}

static void long_mode_one_gib_page(void **state)
{
    (void)state;
    put64(0x1000, 0, 0x5000 | PRESENT);
    put64(0x5000, 1, 0x40000000 | PRESENT | LARGE);
    expect_translation(&long_mode, 0x40000000ull + 0x1000, 0x40001000, 0x40000000 - 0x1000);
}

static void five_levels_use_cr4_la57(void **state)
{
    (void)state;
    struct guest_paging five = long_mode;
    five.cr4 |= CR4_LA57;
    five.cr3 = 0x7000;
    put64(0x7000, 0, 0x1000 | PRESENT);
    put64(0x1000, 0, 0x5000 | PRESENT);
    put64(0x5000, 0, 0x6000 | PRESENT);
    put64(0x6000, 0, 0x200000 | PRESENT | LARGE);
    expect_translation(&five, 0x10, 0x200010, 0x200000 - 0x10);
    /* 48-bit canonical is not enough with 57 bits: 1 << 48 is a valid, unmapped address. */
    expect_refusal(&five, 1ull << 48, "do not map");
}

static void pae_three_levels(void **state)
{
    (void)state;
    const struct guest_paging pae = {CR0_PG | 1, 0x1020, CR4_PAE, 0};
    put64(0x1020, 3, 0x8000 | PRESENT); /* 0xc0000000 and up */
    put64(0x8000, 0, 0x9000 | PRESENT);
    put64(0x9000, 5, 0x7000 | PRESENT);
    expect_translation(&pae, 0xc0005008ull, 0x7008, 0xff8);
    put64(0x8000, 1, 0x400000 | PRESENT | LARGE);
    expect_translation(&pae, 0xc0200004ull, 0x400004, 0x200000 - 4);
    put64(0x1020, 2, 0x40000000 | PRESENT | LARGE);
    expect_refusal(&pae, 0x80000000ull, "reserved");
}

static void thirty_two_bit_paging_with_and_without_pse(void **state)
{
    (void)state;
    memset(ram.host_base + 0xa000, 0, 0x2000);
    const struct guest_paging legacy = {CR0_PG | 1, 0xa000, 0, 0};
    put32(0xa000, 0x300, 0xb000 | PRESENT); /* 0xc0000000 */
    put32(0xb000, 2, 0x123000 | PRESENT);
    expect_translation(&legacy, 0xc0002abcull, 0x123abc, 0x1000 - 0xabc);

    put32(0xa000, 1, 0x400000 | PRESENT | LARGE); /* 4 MiB page at 0x400000 */
    struct guest_paging pse = legacy;
    pse.cr4 = CR4_PSE;
    expect_translation(&pse, 0x400000 + 0x12345, 0x412345, 0x400000 - 0x12345);
    /* Without CR4.PSE the large bit is ignored and the entry names a page table (here: the 4 MiB page's start). */
    put32(0x400000, 0, 0x9000 | PRESENT);
    expect_translation(&legacy, 0x400010, 0x9010, 0x1000 - 0x10);
}

static void missing_entries_and_wild_tables_are_refused(void **state)
{
    (void)state;
    memset(ram.host_base + 0x1000, 0, 0x1000);
    expect_refusal(&long_mode, 0x1000, "do not map");
    put64(0x1000, 0, (RAM_SIZE + 0x1000) | PRESENT); /* the next table lies beyond guest RAM */
    expect_refusal(&long_mode, 0x1000, "outside guest RAM");
    struct guest_paging wild_root = long_mode;
    wild_root.cr3 = 0xfff000000ull;
    expect_refusal(&wild_root, 0, "outside guest RAM");
    expect_refusal(&long_mode, 0x0000800000000000ull, "non-canonical");
    put64(0x1000, 1, 0x200000 | PRESENT | LARGE); /* no large pages at the top level */
    expect_refusal(&long_mode, 1ull << 39, "reserved");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paging_off_is_identity_in_32_bits),
        cmocka_unit_test(long_mode_four_levels),
        cmocka_unit_test(long_mode_one_gib_page),
        cmocka_unit_test(five_levels_use_cr4_la57),
        cmocka_unit_test(pae_three_levels),
        cmocka_unit_test(thirty_two_bit_paging_with_and_without_pse),
        cmocka_unit_test(missing_entries_and_wild_tables_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
