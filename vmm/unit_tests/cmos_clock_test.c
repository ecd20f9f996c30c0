/* The CMOS clock: the host's time in BCD and binary, 12- and 24-hour form; a guest's own setting; storage bytes. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/cmos_clock.h"

static struct device_registry registry;
static struct cmos_clock clock;
static uint64_t host_time;

static uint64_t test_time(void *context)
{
    (void)context;
    return host_time;
}

static int set_up(void **state)
{
    (void)state;
    host_time = 1795610096; /* 2026-11-25 12:34:56 UTC, a Wednesday */
    device_registry_init(&registry);
    assert_int_equal(cmos_clock_register(&clock, &registry, test_time, NULL), ERROR_NONE);
    return 0;
}

static void port_write(uint16_t port, uint8_t value)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, port);
    assert_non_null(device);
    assert_null(device_access(device, port, 1, true, &(uint64_t){value}));
}

static uint8_t cmos_read(uint8_t index)
{
    port_write(0x70, index);
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, 0x71);
    uint64_t value = 0;
    assert_null(device_access(device, 0x71, 1, false, &value));
    return (uint8_t)value;
}

static void cmos_write(uint8_t index, uint8_t value)
{
    port_write(0x70, index);
    port_write(0x71, value);
}

static void test_reads_host_time_in_bcd(void **state)
{
    (void)state;
    assert_int_equal(cmos_read(0x0a) & 0x80, 0); /* never an update in progress */
    assert_int_equal(cmos_read(0x0d), 0x80);     /* valid */
    assert_int_equal(cmos_read(0x00), 0x56);
    assert_int_equal(cmos_read(0x02), 0x34);
    assert_int_equal(cmos_read(0x04), 0x12);
    assert_int_equal(cmos_read(0x06), 0x04); /* Sunday is 1 */
    assert_int_equal(cmos_read(0x07), 0x25);
    assert_int_equal(cmos_read(0x08), 0x11);
    assert_int_equal(cmos_read(0x09), 0x26);
    assert_int_equal(cmos_read(0x32), 0x20);
    host_time = 951868799; /* 2000-02-29 23:59:59 */
    assert_int_equal(cmos_read(0x07), 0x29);
    assert_int_equal(cmos_read(0x08), 0x02);
    assert_int_equal(cmos_read(0x04), 0x23);
    assert_int_equal(cmos_read(0x09), 0x00);
    assert_int_equal(cmos_read(0x80 | 0x00), 0x59); /* the NMI-mask bit of the index is not part of it */
}

static void test_binary_and_twelve_hour_forms(void **state)
{
    (void)state;
    cmos_write(0x0b, 0x04); /* binary, 12-hour */
    assert_int_equal(cmos_read(0x00), 56);
    assert_int_equal(cmos_read(0x04), 0x80 | 12); /* 12 PM */
    host_time += 3 * 3600;
    assert_int_equal(cmos_read(0x04), 0x80 | 3);
    host_time -= 15 * 3600; /* 00:34: 12 AM */
    assert_int_equal(cmos_read(0x04), 12);
}

static void test_guest_sets_its_own_time(void **state)
{
    (void)state;
    cmos_write(0x0b, 0x82); /* SET, 24-hour, BCD */
    cmos_write(0x09, 0x31);
    cmos_write(0x08, 0x01);
    cmos_write(0x07, 0x02);
    cmos_write(0x04, 0x03);
    cmos_write(0x02, 0x04);
    cmos_write(0x00, 0x05);
    assert_int_equal(cmos_read(0x09), 0x31); /* while SET: what was written */
    cmos_write(0x0b, 0x02);
    assert_int_equal(clock.guest_offset, 1925089445 - 1795610096); /* 2031-01-02 03:04:05 */
    host_time += 10;
    assert_int_equal(cmos_read(0x00), 0x15); /* and it runs on */
    assert_int_equal(cmos_read(0x09), 0x31);
}

static void test_nonsense_time_not_adopted(void **state)
{
    (void)state;
    cmos_write(0x0b, 0x82);
    cmos_write(0x08, 0x13); /* month 13 */
    cmos_write(0x0b, 0x02);
    assert_int_equal(clock.guest_offset, 0);
    cmos_write(0x02, 0x99); /* minute 99 while running */
    assert_int_equal(clock.guest_offset, 0);
    assert_int_equal(cmos_read(0x02), 0x34);
}

static void test_storage_and_read_only_registers(void **state)
{
    (void)state;
    cmos_write(0x40, 0xa5);
    assert_int_equal(cmos_read(0x40), 0xa5);
    cmos_write(0x0a, 0xa6); /* UIP cannot be set */
    assert_int_equal(cmos_read(0x0a), 0x26);
    cmos_write(0x0d, 0x00);
    assert_int_equal(cmos_read(0x0d), 0x80);
    assert_int_equal(cmos_read(0x0c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reads_host_time_in_bcd, set_up),
        cmocka_unit_test_setup(test_binary_and_twelve_hour_forms, set_up),
        cmocka_unit_test_setup(test_guest_sets_its_own_time, set_up),
        cmocka_unit_test_setup(test_nonsense_time_not_adopted, set_up),
        cmocka_unit_test_setup(test_storage_and_read_only_registers, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
