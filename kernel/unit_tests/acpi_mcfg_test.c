/* Unit tests for reading the ACPI MCFG's ECAM allocations (kernel/core/acpi_mcfg.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/acpi.h>
#include <string.h>

#define MAX_ENTRIES 12
#define TABLE_SIZE (ACPI_MCFG_ENTRIES_OFFSET + MAX_ENTRIES * ACPI_MCFG_ENTRY_SIZE)

struct table {
    uint8_t bytes[TABLE_SIZE];
    uint32_t length;
};

static void table_init(struct table *table)
{
    memset(table->bytes, 0xee, sizeof(table->bytes)); /* header and reserved bytes: the parser must not read them */
    table->length = ACPI_MCFG_ENTRIES_OFFSET;
}

static void add_entry(struct table *table, uint64_t base, uint16_t segment, uint8_t first_bus, uint8_t last_bus)
{
    assert_true(table->length + ACPI_MCFG_ENTRY_SIZE <= sizeof(table->bytes));
    uint8_t *entry = table->bytes + table->length;
    memset(entry, 0, ACPI_MCFG_ENTRY_SIZE);
    memcpy(entry, &base, sizeof(base));
    memcpy(entry + 8, &segment, sizeof(segment));
    entry[10] = first_bus;
    entry[11] = last_bus;
    table->length += ACPI_MCFG_ENTRY_SIZE;
}

static void test_q35_allocation(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    add_entry(&table, 0xb0000000, 0, 0, 255);
    struct acpi_pci_ecam regions[ACPI_MAX_PCI_ECAM];
    uint32_t count = 99;
    assert_int_equal(acpi_parse_mcfg(table.bytes, table.length, regions, ACPI_MAX_PCI_ECAM, &count), ERROR_NONE);
    assert_int_equal(count, 1);
    assert_int_equal(regions[0].base, 0xb0000000);
    assert_int_equal(regions[0].segment, 0);
    assert_int_equal(regions[0].first_bus, 0);
    assert_int_equal(regions[0].last_bus, 255);
}

static void test_segments_and_partial_bus_ranges(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    add_entry(&table, 0xe0000000, 0, 0, 63);
    add_entry(&table, 0x4000000000ull, 1, 128, 191);
    struct acpi_pci_ecam regions[ACPI_MAX_PCI_ECAM];
    uint32_t count;
    assert_int_equal(acpi_parse_mcfg(table.bytes, table.length, regions, ACPI_MAX_PCI_ECAM, &count), ERROR_NONE);
    assert_int_equal(count, 2);
    assert_int_equal(regions[1].base, 0x4000000000ull);
    assert_int_equal(regions[1].segment, 1);
    assert_int_equal(regions[1].first_bus, 128);
    assert_int_equal(regions[1].last_bus, 191);
}

static void test_no_entries(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    struct acpi_pci_ecam regions[1];
    uint32_t count = 5;
    assert_int_equal(acpi_parse_mcfg(table.bytes, table.length, regions, 1, &count), ERROR_NONE);
    assert_int_equal(count, 0);
}

static void test_shorter_than_its_header(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    struct acpi_pci_ecam regions[1];
    uint32_t count = 5;
    assert_int_equal(acpi_parse_mcfg(table.bytes, ACPI_MCFG_ENTRIES_OFFSET - 1, regions, 1, &count), ERROR_MALFORMED);
    assert_int_equal(count, 0);
}

static void test_partial_entry_is_malformed(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    add_entry(&table, 0xb0000000, 0, 0, 255);
    struct acpi_pci_ecam regions[1];
    uint32_t count = 5;
    assert_int_equal(acpi_parse_mcfg(table.bytes, table.length - 1, regions, 1, &count), ERROR_MALFORMED);
    assert_int_equal(count, 0);
}

static void test_bad_entries_skipped(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    add_entry(&table, 0xb0000000, 0, 10, 9);           /* buses reversed */
    add_entry(&table, 0xb0080000, 0, 0, 0);            /* base not aligned to 1 MiB */
    add_entry(&table, 0xfffffffffff00000ull, 0, 0, 1); /* bus 1 would pass 2^64 */
    add_entry(&table, 0xfffffffffff00000ull, 0, 0, 0); /* bus 0 ends exactly at 2^64 */
    add_entry(&table, 0xc0000000, 2, 5, 5);            /* a single bus */
    struct acpi_pci_ecam regions[ACPI_MAX_PCI_ECAM];
    uint32_t count;
    assert_int_equal(acpi_parse_mcfg(table.bytes, table.length, regions, ACPI_MAX_PCI_ECAM, &count), ERROR_NONE);
    assert_int_equal(count, 2);
    assert_int_equal(regions[0].base, 0xfffffffffff00000ull);
    assert_int_equal(regions[0].last_bus, 0);
    assert_int_equal(regions[1].base, 0xc0000000);
    assert_int_equal(regions[1].segment, 2);
    assert_int_equal(regions[1].first_bus, 5);
    assert_int_equal(regions[1].last_bus, 5);
}

static void test_capacity_limits_the_count(void **state)
{
    (void)state;
    struct table table;
    table_init(&table);
    for (unsigned i = 0; i < MAX_ENTRIES; i++) {
        add_entry(&table, 0x100000000ull * (i + 1), (uint16_t)i, 0, 255);
    }
    struct acpi_pci_ecam regions[3];
    memset(regions, 0, sizeof(regions));
    uint32_t count;
    assert_int_equal(acpi_parse_mcfg(table.bytes, table.length, regions, 3, &count), ERROR_NONE);
    assert_int_equal(count, 3);
    assert_int_equal(regions[2].segment, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q35_allocation),
        cmocka_unit_test(test_segments_and_partial_bus_ranges),
        cmocka_unit_test(test_no_entries),
        cmocka_unit_test(test_shorter_than_its_header),
        cmocka_unit_test(test_partial_entry_is_malformed),
        cmocka_unit_test(test_bad_entries_skipped),
        cmocka_unit_test(test_capacity_limits_the_count),
    };
    return cmocka_run_group_tests_name("acpi_mcfg_test", tests, NULL, NULL);
}
