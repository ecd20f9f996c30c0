/* The configuration-access wrappers (drivers/pci/pci_config.c): argument checks, widths, errors. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_config.h"
#include "drivers/pci/pci_registers.h"
#include "fake_config.h"

#include <stdlib.h>

#define DEVICE ((struct pci_address){0, 3, 0})

struct fixture {
    struct fake_config fake;
    struct pci_config config;
    struct fake_function *fn;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_config_init(&f->fake);
    f->config = fake_config_access(&f->fake);
    f->fn = fake_function_add(&f->fake, DEVICE, 0x1234, 0xabcd, 0x020000, PCI_HEADER_DEVICE);
    fake_set32(f->fn, 0x40, 0x44332211);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void reads_every_width_little_endian(void **state)
{
    struct fixture *f = *state;
    uint8_t byte;
    uint16_t half;
    uint32_t word;
    assert_int_equal(pci_config_read32(&f->config, DEVICE, 0x40, &word), ERROR_NONE);
    assert_int_equal(word, 0x44332211);
    assert_int_equal(pci_config_read16(&f->config, DEVICE, 0x42, &half), ERROR_NONE);
    assert_int_equal(half, 0x4433);
    assert_int_equal(pci_config_read8(&f->config, DEVICE, 0x41, &byte), ERROR_NONE);
    assert_int_equal(byte, 0x22);
    assert_int_equal(pci_config_read16(&f->config, DEVICE, PCI_VENDOR_ID, &half), ERROR_NONE);
    assert_int_equal(half, 0x1234);
}

static void absent_function_reads_all_ones(void **state)
{
    struct fixture *f = *state;
    uint32_t word;
    assert_int_equal(pci_config_read32(&f->config, (struct pci_address){0, 4, 0}, 0, &word), ERROR_NONE);
    assert_int_equal(word, 0xffffffff);
}

static void misaligned_offsets_are_refused_as_all_ones(void **state)
{
    struct fixture *f = *state;
    uint16_t half = 0;
    uint32_t word = 0;
    assert_int_equal(pci_config_read16(&f->config, DEVICE, 0x41, &half), ERROR_INVALID_ARGUMENT);
    assert_int_equal(half, 0xffff);
    assert_int_equal(pci_config_read32(&f->config, DEVICE, 0x42, &word), ERROR_INVALID_ARGUMENT);
    assert_int_equal(word, 0xffffffff);
    assert_int_equal(pci_config_write32(&f->config, DEVICE, 0x06, 0), ERROR_INVALID_ARGUMENT);
    assert_int_equal(f->fake.reads + f->fake.writes, 0);
}

static void offsets_beyond_the_space_are_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t byte = 0;
    uint32_t word = 0;
    assert_int_equal(pci_config_read8(&f->config, DEVICE, 0x100, &byte), ERROR_OUT_OF_RANGE);
    assert_int_equal(byte, 0xff);
    assert_int_equal(pci_config_read32(&f->config, DEVICE, 0xffc, &word), ERROR_OUT_OF_RANGE);
    assert_int_equal(pci_config_write8(&f->config, DEVICE, 0x100, 0), ERROR_OUT_OF_RANGE);
    assert_int_equal(pci_config_read32(&f->config, DEVICE, 0xfc, &word), ERROR_NONE);
    assert_int_equal(f->fake.reads, 1);
    assert_int_equal(f->fake.writes, 0);
}

static void addresses_outside_a_bus_are_refused(void **state)
{
    struct fixture *f = *state;
    uint32_t word;
    assert_int_equal(pci_config_read32(&f->config, (struct pci_address){0, 32, 0}, 0, &word), ERROR_INVALID_ARGUMENT);
    assert_int_equal(pci_config_read32(&f->config, (struct pci_address){0, 0, 8}, 0, &word), ERROR_INVALID_ARGUMENT);
    assert_int_equal(pci_config_write16(&f->config, (struct pci_address){255, 31, 8}, 0, 0), ERROR_INVALID_ARGUMENT);
    assert_true(pci_address_valid((struct pci_address){255, 31, 7}));
    assert_false(pci_address_valid((struct pci_address){0, 0xff, 0}));
    assert_int_equal(f->fake.reads + f->fake.writes, 0);
}

static void a_missing_mechanism_is_refused(void **state)
{
    (void)state;
    uint32_t word = 0;
    assert_int_equal(pci_config_read32(NULL, DEVICE, 0, &word), ERROR_INVALID_ARGUMENT);
    assert_int_equal(word, 0xffffffff);
    struct pci_config empty = {.size = PCI_CONFIG_SIZE};
    assert_int_equal(pci_config_write32(&empty, DEVICE, 0, 0), ERROR_INVALID_ARGUMENT);
}

static void mechanism_errors_pass_through_as_all_ones(void **state)
{
    struct fixture *f = *state;
    f->fake.fail_address = DEVICE;
    f->fake.fail_from = 0x40;
    f->fake.fail_error = ERROR_UNSUPPORTED;
    uint16_t half = 0;
    assert_int_equal(pci_config_read16(&f->config, DEVICE, 0x40, &half), ERROR_UNSUPPORTED);
    assert_int_equal(half, 0xffff);
    assert_int_equal(pci_config_write32(&f->config, DEVICE, 0x40, 0), ERROR_UNSUPPORTED);
    assert_int_equal(pci_config_read16(&f->config, DEVICE, 0x3e, &half), ERROR_NONE);
}

static void writes_reach_the_function(void **state)
{
    struct fixture *f = *state;
    uint16_t command;
    assert_int_equal(pci_config_write16(&f->config, DEVICE, PCI_COMMAND, 0xffff), ERROR_NONE);
    assert_int_equal(pci_config_read16(&f->config, DEVICE, PCI_COMMAND, &command), ERROR_NONE);
    assert_int_equal(command, 0x0407); /* only the writable bits */
    assert_int_equal(pci_config_write8(&f->config, DEVICE, PCI_COMMAND, 0x00), ERROR_NONE);
    assert_int_equal(pci_config_read16(&f->config, DEVICE, PCI_COMMAND, &command), ERROR_NONE);
    assert_int_equal(command, 0x0400);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(reads_every_width_little_endian),
        TEST(absent_function_reads_all_ones),
        TEST(misaligned_offsets_are_refused_as_all_ones),
        TEST(offsets_beyond_the_space_are_refused),
        TEST(addresses_outside_a_bus_are_refused),
        TEST(a_missing_mechanism_is_refused),
        TEST(mechanism_errors_pass_through_as_all_ones),
        TEST(writes_reach_the_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
