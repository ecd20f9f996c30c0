/* Unit tests for turning the loader's memory map into free page ranges (kernel/core/memory_map.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/memory_map.h>

#define PAGE 0x1000ull
#define MIB 0x100000ull
#define CAPACITY 16
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Calls memory_map_free_ranges with PAGE-sized pages and checks success and the exact result. */
static void assert_free_ranges(const struct memory_region *regions, size_t region_count,
                               const struct phys_range *reserved, size_t reserved_count,
                               const struct phys_range *expected, size_t expected_count)
{
    struct phys_range out[CAPACITY];
    size_t count = SIZE_MAX;
    assert_int_equal(
        memory_map_free_ranges(regions, region_count, reserved, reserved_count, PAGE, out, CAPACITY, &count),
        ERROR_NONE);
    assert_int_equal(count, expected_count);
    for (size_t i = 0; i < expected_count; i++) {
        if (out[i].base != expected[i].base || out[i].end != expected[i].end) {
            fail_msg("range %zu is %#llx..%#llx, expected %#llx..%#llx", i, (unsigned long long)out[i].base,
                     (unsigned long long)out[i].end, (unsigned long long)expected[i].base,
                     (unsigned long long)expected[i].end);
        }
    }
}

static const struct memory_region one_usable[] = {{1 * MIB, 127 * MIB, MEMORY_USABLE}};

static void test_usable_without_reservations(void **state)
{
    (void)state;
    static const struct phys_range expected[] = {{1 * MIB, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), NULL, 0, expected, COUNT(expected));
}

static void test_reserved_in_middle_splits(void **state)
{
    (void)state;
    static const struct phys_range reserved[] = {{2 * MIB, 3 * MIB}};
    static const struct phys_range expected[] = {{1 * MIB, 2 * MIB}, {3 * MIB, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), reserved, COUNT(reserved), expected, COUNT(expected));
}

static void test_reserved_at_start_and_end(void **state)
{
    (void)state;
    static const struct phys_range at_start[] = {{1 * MIB, 1 * MIB + 0x80000}};
    static const struct phys_range after_start[] = {{1 * MIB + 0x80000, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), at_start, COUNT(at_start), after_start, COUNT(after_start));

    /* Starting below the usable region and ending inside it. */
    static const struct phys_range over_start[] = {{0, 4 * MIB}};
    static const struct phys_range after_over_start[] = {{4 * MIB, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), over_start, COUNT(over_start), after_over_start,
                       COUNT(after_over_start));

    static const struct phys_range at_end[] = {{127 * MIB, 128 * MIB}};
    static const struct phys_range before_end[] = {{1 * MIB, 127 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), at_end, COUNT(at_end), before_end, COUNT(before_end));

    static const struct phys_range over_end[] = {{100 * MIB, 200 * MIB}};
    static const struct phys_range before_over_end[] = {{1 * MIB, 100 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), over_end, COUNT(over_end), before_over_end,
                       COUNT(before_over_end));
}

static void test_reserved_covers_everything(void **state)
{
    (void)state;
    static const struct phys_range exact[] = {{1 * MIB, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), exact, COUNT(exact), NULL, 0);
    static const struct phys_range larger[] = {{0, 1024 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), larger, COUNT(larger), NULL, 0);
}

/* One reservation swallows two whole ranges and cuts into a third. */
static void test_reserved_spans_several_ranges(void **state)
{
    (void)state;
    static const struct memory_region regions[] = {
        {1 * MIB, 1 * MIB, MEMORY_USABLE},
        {3 * MIB, 1 * MIB, MEMORY_USABLE},
        {5 * MIB, 2 * MIB, MEMORY_USABLE},
        {9 * MIB, 1 * MIB, MEMORY_USABLE},
    };
    static const struct phys_range reserved[] = {{0, 6 * MIB}};
    static const struct phys_range expected[] = {{6 * MIB, 7 * MIB}, {9 * MIB, 10 * MIB}};
    assert_free_ranges(regions, COUNT(regions), reserved, COUNT(reserved), expected, COUNT(expected));
}

/* Several reservations, unsorted, some overlapping each other, some outside usable RAM. */
static void test_several_reservations(void **state)
{
    (void)state;
    static const struct phys_range reserved[] = {
        {64 * MIB, 65 * MIB}, {2 * MIB, 3 * MIB}, {2 * MIB + 0x80000, 4 * MIB}, {200 * MIB, 300 * MIB}, {0, 0x1000},
    };
    static const struct phys_range expected[] = {{1 * MIB, 2 * MIB}, {4 * MIB, 64 * MIB}, {65 * MIB, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), reserved, COUNT(reserved), expected, COUNT(expected));
}

/* Usable regions keep only their whole pages: the base rounds up, the end rounds down. */
static void test_unaligned_usable_shrinks(void **state)
{
    (void)state;
    static const struct memory_region regions[] = {{0x100123, 0x10000, MEMORY_USABLE}};
    static const struct phys_range expected[] = {{0x101000, 0x110000}};
    assert_free_ranges(regions, COUNT(regions), NULL, 0, expected, COUNT(expected));

    /* Less than one whole page: nothing is left. */
    static const struct memory_region sliver[] = {{0x100800, 0x1000, MEMORY_USABLE}};
    assert_free_ranges(sliver, COUNT(sliver), NULL, 0, NULL, 0);
}

/* Reserved ranges lose every page they touch: the base rounds down, the end rounds up. */
static void test_unaligned_reserved_grows(void **state)
{
    (void)state;
    static const struct phys_range reserved[] = {{2 * MIB + 0x800, 2 * MIB + 0x1001}};
    static const struct phys_range expected[] = {{1 * MIB, 2 * MIB}, {2 * MIB + 0x2000, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), reserved, COUNT(reserved), expected, COUNT(expected));

    /* A single byte costs its whole page. */
    static const struct phys_range one_byte[] = {{3 * MIB + 0x10, 3 * MIB + 0x11}};
    static const struct phys_range without_page[] = {{1 * MIB, 3 * MIB}, {3 * MIB + 0x1000, 128 * MIB}};
    assert_free_ranges(one_usable, COUNT(one_usable), one_byte, COUNT(one_byte), without_page, COUNT(without_page));
}

static void test_overlapping_and_adjacent_usable_merge(void **state)
{
    (void)state;
    static const struct memory_region overlapping[] = {
        {1 * MIB, 1 * MIB, MEMORY_USABLE},
        {1 * MIB + 0x80000, 1 * MIB, MEMORY_USABLE},
        {1 * MIB + 0x1000, 0x1000, MEMORY_USABLE},
    };
    static const struct phys_range merged[] = {{1 * MIB, 2 * MIB + 0x80000}};
    assert_free_ranges(overlapping, COUNT(overlapping), NULL, 0, merged, COUNT(merged));

    static const struct memory_region adjacent[] = {
        {1 * MIB, 1 * MIB, MEMORY_USABLE},
        {2 * MIB, 1 * MIB, MEMORY_USABLE},
        {3 * MIB, 1 * MIB, MEMORY_USABLE},
    };
    static const struct phys_range joined[] = {{1 * MIB, 4 * MIB}};
    assert_free_ranges(adjacent, COUNT(adjacent), NULL, 0, joined, COUNT(joined));
}

static void test_unsorted_regions_sorted(void **state)
{
    (void)state;
    static const struct memory_region regions[] = {
        {64 * MIB, 1 * MIB, MEMORY_USABLE}, {16 * MIB, 1 * MIB, MEMORY_USABLE}, {0x10000000, 1 * MIB, MEMORY_USABLE},
        {1 * MIB, 1 * MIB, MEMORY_USABLE},  {32 * MIB, 1 * MIB, MEMORY_USABLE},
    };
    static const struct phys_range expected[] = {
        {1 * MIB, 2 * MIB}, {16 * MIB, 17 * MIB}, {32 * MIB, 33 * MIB}, {64 * MIB, 65 * MIB}, {256 * MIB, 257 * MIB},
    };
    assert_free_ranges(regions, COUNT(regions), NULL, 0, expected, COUNT(expected));
}

/* Whatever the map says is not usable stays out even where a usable entry claims it, in any listing order. */
static void test_non_usable_region_removed(void **state)
{
    (void)state;
    static const struct memory_region regions[] = {
        {0x7fe0000, 0x20000, MEMORY_ACPI_RECLAIMABLE},
        {4 * MIB, 0x1000, MEMORY_RESERVED},
        {1 * MIB, 127 * MIB, MEMORY_USABLE},
        {8 * MIB + 0x800, 0x100, MEMORY_BAD},
        {0, 2 * MIB, MEMORY_ACPI_NVS},
    };
    static const struct phys_range expected[] = {
        {2 * MIB, 4 * MIB},
        {4 * MIB + 0x1000, 8 * MIB},
        {8 * MIB + 0x1000, 0x7fe0000},
    };
    assert_free_ranges(regions, COUNT(regions), NULL, 0, expected, COUNT(expected));
}

static void test_no_usable_memory(void **state)
{
    (void)state;
    static const struct memory_region regions[] = {{1 * MIB, 127 * MIB, MEMORY_RESERVED}};
    assert_free_ranges(regions, COUNT(regions), NULL, 0, NULL, 0);
    assert_free_ranges(NULL, 0, NULL, 0, NULL, 0);
    static const struct memory_region empty[] = {{1 * MIB, 0, MEMORY_USABLE}};
    assert_free_ranges(empty, COUNT(empty), NULL, 0, NULL, 0);
}

/* Larger pages: 2 MiB pages round [1 MiB, 128 MiB) to [2 MiB, 128 MiB) and grow a small reservation to 2 MiB. */
static void test_large_page_size(void **state)
{
    (void)state;
    static const struct phys_range reserved[] = {{10 * MIB + 0x1000, 10 * MIB + 0x2000}};
    struct phys_range out[CAPACITY];
    size_t count = 0;
    assert_int_equal(memory_map_free_ranges(one_usable, COUNT(one_usable), reserved, COUNT(reserved), 2 * MIB, out,
                                            CAPACITY, &count),
                     ERROR_NONE);
    assert_int_equal(count, 2);
    assert_int_equal(out[0].base, 2 * MIB);
    assert_int_equal(out[0].end, 10 * MIB);
    assert_int_equal(out[1].base, 12 * MIB);
    assert_int_equal(out[1].end, 128 * MIB);
}

static void test_capacity_too_small(void **state)
{
    (void)state;
    static const struct memory_region regions[] = {
        {1 * MIB, 1 * MIB, MEMORY_USABLE},
        {4 * MIB, 1 * MIB, MEMORY_USABLE},
        {8 * MIB, 1 * MIB, MEMORY_USABLE},
    };
    struct phys_range out[3];
    size_t count = 0;
    assert_int_equal(memory_map_free_ranges(regions, COUNT(regions), NULL, 0, PAGE, out, 2, &count), ERROR_TOO_MANY);
    assert_int_equal(memory_map_free_ranges(regions, COUNT(regions), NULL, 0, PAGE, out, 3, &count), ERROR_NONE);
    assert_int_equal(count, 3);

    /* A split needs one more entry than the unsplit map. */
    static const struct phys_range split[] = {{4 * MIB + 0x1000, 4 * MIB + 0x2000}};
    assert_int_equal(memory_map_free_ranges(regions, COUNT(regions), split, COUNT(split), PAGE, out, 3, &count),
                     ERROR_TOO_MANY);
    /* The same through a non-usable region of the map. */
    static const struct memory_region with_hole[] = {
        {1 * MIB, 1 * MIB, MEMORY_USABLE},
        {1 * MIB + 0x1000, 0x1000, MEMORY_RESERVED},
    };
    assert_int_equal(memory_map_free_ranges(with_hole, COUNT(with_hole), NULL, 0, PAGE, out, 1, &count),
                     ERROR_TOO_MANY);
    assert_int_equal(memory_map_free_ranges(with_hole, COUNT(with_hole), NULL, 0, PAGE, out, 2, &count), ERROR_NONE);
    assert_int_equal(count, 2);
    /* Capacity 0 is enough when nothing is usable. */
    assert_int_equal(memory_map_free_ranges(with_hole + 1, 1, NULL, 0, PAGE, out, 0, &count), ERROR_NONE);
    assert_int_equal(count, 0);
}

static void test_page_size_not_power_of_two(void **state)
{
    (void)state;
    static const uint64_t page_sizes[] = {0, 3, 3000, 0x1800, 0x1001, UINT64_MAX};
    for (size_t i = 0; i < COUNT(page_sizes); i++) {
        struct phys_range out[CAPACITY];
        size_t count = 0;
        assert_int_equal(
            memory_map_free_ranges(one_usable, COUNT(one_usable), NULL, 0, page_sizes[i], out, CAPACITY, &count),
            ERROR_INVALID_ARGUMENT);
    }
}

/*
 * Near the top of the address space. A half-open range cannot end at 2^64, so the last page is never usable:
 * a usable region that ends at (or wraps past) 2^64 becomes [base, 0xfffffffffffff000).
 */
static void test_top_of_address_space(void **state)
{
    (void)state;
    static const uint64_t top_page = 0xfffffffffffff000ull;
    static const struct memory_region to_top[] = {{0xfffffffffff00000ull, 0x100000, MEMORY_USABLE}};
    static const struct phys_range below_top[] = {{0xfffffffffff00000ull, top_page}};
    assert_free_ranges(to_top, COUNT(to_top), NULL, 0, below_top, COUNT(below_top));

    static const struct memory_region past_top[] = {{0xfffffffffff00000ull, 0x200000, MEMORY_USABLE}};
    assert_free_ranges(past_top, COUNT(past_top), NULL, 0, below_top, COUNT(below_top));

    /* A usable sliver inside the last page, where rounding the base up overflows: nothing. */
    static const struct memory_region sliver[] = {{UINT64_MAX - 0x800, 0x400, MEMORY_USABLE}};
    assert_free_ranges(sliver, COUNT(sliver), NULL, 0, NULL, 0);

    /* A reservation ending at UINT64_MAX, whose end cannot be rounded up, still removes everything above it. */
    static const struct phys_range reserved[] = {{0xffffffffffff0800ull, UINT64_MAX}};
    static const struct phys_range below_reserved[] = {{0xfffffffffff00000ull, 0xffffffffffff0000ull}};
    assert_free_ranges(to_top, COUNT(to_top), reserved, COUNT(reserved), below_reserved, COUNT(below_reserved));

    /* The same for a non-usable map entry that wraps past 2^64. */
    static const struct memory_region with_wrapping_hole[] = {
        {0xfffffffffff00000ull, 0x100000, MEMORY_USABLE},
        {0xffffffffffff8000ull, 0x10000, MEMORY_RESERVED},
    };
    static const struct phys_range below_hole[] = {{0xfffffffffff00000ull, 0xffffffffffff8000ull}};
    assert_free_ranges(with_wrapping_hole, COUNT(with_wrapping_hole), NULL, 0, below_hole, COUNT(below_hole));
}

/* --- device memory: what may be mapped as device registers -------------------------------------- */

/* Like QEMU's q35 with 512 MiB: RAM, the BIOS areas, PCIe ECAM and a reserved page block, all as the map says. */
static const struct memory_region q35_like[] = {
    {0, 0x9fc00, MEMORY_USABLE},
    {0x9fc00, 0x400, MEMORY_RESERVED},
    {0xf0000, 0x10000, MEMORY_RESERVED},
    {0x100000, 0x1fedf800, MEMORY_USABLE}, /* ends inside the page at 0x1ffdf000 */
    {0x1ffe0000, 0x10000, MEMORY_ACPI_RECLAIMABLE},
    {0x1fff0000, 0x10000, MEMORY_ACPI_NVS},
    {0xb0000000, 0x10000000, MEMORY_RESERVED}, /* PCIe ECAM */
    {0xfeffc000, 0x4000, MEMORY_RESERVED},
    {0x100000000ull, 0x1000000, MEMORY_BAD},
    {0x200000000ull, 0x1000000, (enum memory_region_type)7}, /* persistent memory: a type this kernel does not know */
    {0x300000000ull, 0, MEMORY_USABLE},                      /* empty: describes nothing */
};

/* The kernel's own: the first MiB, its image, one boot module. */
static const struct phys_range kernel_reserved[] = {{0, MIB}, {2 * MIB, 3 * MIB}, {0x7000000, 0x7000800}};

static enum error check_device(uint64_t base, uint64_t end)
{
    return memory_map_check_device_range(q35_like, COUNT(q35_like), kernel_reserved, COUNT(kernel_reserved), PAGE,
                                         (struct phys_range){base, end});
}

static void test_device_ranges_outside_ram_are_device_memory(void **state)
{
    (void)state;
    assert_int_equal(check_device(0xfed00000, 0xfed01000), ERROR_NONE);                  /* HPET: in no region */
    assert_int_equal(check_device(0xfebf0000, 0xfec00000), ERROR_NONE);                  /* a PCI BAR */
    assert_int_equal(check_device(0xb0000000, 0xc0000000), ERROR_NONE);                  /* ECAM: a reserved region */
    assert_int_equal(check_device(0xfeffc000, 0xff000000), ERROR_NONE);                  /* reserved, exactly */
    assert_int_equal(check_device(0x20000000, 0x20001000), ERROR_NONE);                  /* just above RAM and ACPI */
    assert_int_equal(check_device(0x300000000ull, 0x300001000ull), ERROR_NONE);          /* an empty region is no RAM */
    assert_int_equal(check_device(0xffffffffff000ull, 0x10000000000000ull), ERROR_NONE); /* the top of 52 bits */
}

static void test_ram_and_firmware_memory_are_refused(void **state)
{
    (void)state;
    assert_int_equal(check_device(0x200000, 0x201000), ERROR_NOT_DEVICE_MEMORY);     /* usable RAM */
    assert_int_equal(check_device(0x1ffdf000, 0x1ffe0000), ERROR_NOT_DEVICE_MEMORY); /* RAM's partial last page */
    assert_int_equal(check_device(0x1ffe0000, 0x1ffe1000), ERROR_NOT_DEVICE_MEMORY); /* ACPI tables */
    assert_int_equal(check_device(0x1fff0000, 0x1fff1000), ERROR_NOT_DEVICE_MEMORY); /* ACPI NVS */
    assert_int_equal(check_device(0x100000000ull, 0x100001000ull), ERROR_NOT_DEVICE_MEMORY); /* bad RAM */
    assert_int_equal(check_device(0x200fff000ull, 0x201000000ull), ERROR_NOT_DEVICE_MEMORY); /* an unknown type */
    /* One page of RAM anywhere in a larger range is enough. */
    assert_int_equal(check_device(0x1f000000, 0x20000000), ERROR_NOT_DEVICE_MEMORY);
    assert_int_equal(check_device(0, 0x100000000ull), ERROR_NOT_DEVICE_MEMORY);
}

static void test_kernel_reservations_are_refused(void **state)
{
    (void)state;
    assert_int_equal(check_device(0xa0000, 0xc0000),
                     ERROR_NOT_DEVICE_MEMORY); /* VGA: in no region, but the first MiB */
    assert_int_equal(check_device(0xf0000, 0xf1000), ERROR_NOT_DEVICE_MEMORY); /* reserved, and the first MiB */
    /* A reservation counts by whole pages even where the map says nothing: the module's half page. */
    static const struct memory_region no_ram[] = {{0xb0000000, 0x10000000, MEMORY_RESERVED}};
    assert_int_equal(memory_map_check_device_range(no_ram, COUNT(no_ram), kernel_reserved, COUNT(kernel_reserved), PAGE,
                                                   (struct phys_range){0x7000000, 0x7001000}),
                     ERROR_NOT_DEVICE_MEMORY);
    assert_int_equal(memory_map_check_device_range(no_ram, COUNT(no_ram), kernel_reserved, COUNT(kernel_reserved), PAGE,
                                                   (struct phys_range){0x7001000, 0x7002000}),
                     ERROR_NONE);
    /* Usable RAM over a reserved region of the map: RAM wins, as it does for the free ranges. */
    static const struct memory_region overlapping[] = {
        {0xc0000000, 0x100000, MEMORY_RESERVED},
        {0xc0080000, 0x1000, MEMORY_USABLE},
    };
    assert_int_equal(memory_map_check_device_range(overlapping, COUNT(overlapping), NULL, 0, PAGE,
                                                   (struct phys_range){0xc0000000, 0xc0100000}),
                     ERROR_NOT_DEVICE_MEMORY);
    assert_int_equal(memory_map_check_device_range(overlapping, COUNT(overlapping), NULL, 0, PAGE,
                                                   (struct phys_range){0xc0000000, 0xc0080000}),
                     ERROR_NONE);
}

static void test_device_range_edges(void **state)
{
    (void)state;
    /* A region that wraps past 2^64 covers everything from its base up. */
    static const struct memory_region wrapping[] = {{0xfffffffffff00000ull, 0x200000, MEMORY_USABLE}};
    assert_int_equal(memory_map_check_device_range(wrapping, COUNT(wrapping), NULL, 0, PAGE,
                                                   (struct phys_range){0xffffffffffffe000ull, 0xfffffffffffff000ull}),
                     ERROR_NOT_DEVICE_MEMORY);
    assert_int_equal(memory_map_check_device_range(wrapping, COUNT(wrapping), NULL, 0, PAGE,
                                                   (struct phys_range){0xffffffffffe00000ull, 0xfffffffffff00000ull}),
                     ERROR_NONE);
    /* Empty, reversed or unaligned ranges, and a bad page size, are refused as arguments. */
    assert_int_equal(check_device(0xfed00000, 0xfed00000), ERROR_INVALID_ARGUMENT);
    assert_int_equal(check_device(0xfed01000, 0xfed00000), ERROR_INVALID_ARGUMENT);
    assert_int_equal(check_device(0xfed00800, 0xfed01000), ERROR_INVALID_ARGUMENT);
    assert_int_equal(check_device(0xfed00000, 0xfed00800), ERROR_INVALID_ARGUMENT);
    assert_int_equal(memory_map_check_device_range(q35_like, COUNT(q35_like), NULL, 0, 3000,
                                                   (struct phys_range){0xfed00000, 0xfed01000}),
                     ERROR_INVALID_ARGUMENT);
    assert_int_equal(memory_map_check_device_range(q35_like, COUNT(q35_like), NULL, 0, 0,
                                                   (struct phys_range){0xfed00000, 0xfed01000}),
                     ERROR_INVALID_ARGUMENT);
    /* Without any map or reservation, everything is device memory. */
    assert_int_equal(memory_map_check_device_range(NULL, 0, NULL, 0, PAGE, (struct phys_range){0, PAGE}), ERROR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable_without_reservations),
        cmocka_unit_test(test_reserved_in_middle_splits),
        cmocka_unit_test(test_reserved_at_start_and_end),
        cmocka_unit_test(test_reserved_covers_everything),
        cmocka_unit_test(test_reserved_spans_several_ranges),
        cmocka_unit_test(test_several_reservations),
        cmocka_unit_test(test_unaligned_usable_shrinks),
        cmocka_unit_test(test_unaligned_reserved_grows),
        cmocka_unit_test(test_overlapping_and_adjacent_usable_merge),
        cmocka_unit_test(test_unsorted_regions_sorted),
        cmocka_unit_test(test_non_usable_region_removed),
        cmocka_unit_test(test_no_usable_memory),
        cmocka_unit_test(test_large_page_size),
        cmocka_unit_test(test_capacity_too_small),
        cmocka_unit_test(test_page_size_not_power_of_two),
        cmocka_unit_test(test_top_of_address_space),
        cmocka_unit_test(test_device_ranges_outside_ram_are_device_memory),
        cmocka_unit_test(test_ram_and_firmware_memory_are_refused),
        cmocka_unit_test(test_kernel_reservations_are_refused),
        cmocka_unit_test(test_device_range_edges),
    };
    return cmocka_run_group_tests_name("memory_map_test", tests, NULL, NULL);
}
