/* Unit tests for decoding the CMOS clock's registers (kernel/arch/x86_64/cmos_clock_decode.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <arch/cmos_clock.h>
#include <kapsel/calendar.h>

#define BCD_24_HOUR CMOS_STATUS_B_24_HOUR
#define BINARY_24_HOUR (CMOS_STATUS_B_BINARY | CMOS_STATUS_B_24_HOUR)
#define BCD_12_HOUR 0x00
#define BINARY_12_HOUR CMOS_STATUS_B_BINARY

/* The registers to Unix seconds the way the kernel does it: decode, then the calendar's range checks. */
static enum error to_seconds(struct cmos_clock_registers registers, uint64_t *seconds)
{
    struct calendar_time time;
    const char *reason = NULL;
    enum error error = cmos_clock_decode(&registers, &time, &reason);
    if (error == ERROR_NONE) {
        error = calendar_to_unix_seconds(&time, seconds, &reason);
    }
    if (error != ERROR_NONE) {
        assert_non_null(reason);
    }
    return error;
}

static uint64_t seconds_of(struct cmos_clock_registers registers)
{
    uint64_t seconds = 0;
    assert_int_equal(to_seconds(registers, &seconds), ERROR_NONE);
    return seconds;
}

static void assert_decodes_to(struct cmos_clock_registers registers, struct calendar_time expected)
{
    struct calendar_time time;
    const char *reason = NULL;
    assert_int_equal(cmos_clock_decode(&registers, &time, &reason), ERROR_NONE);
    assert_int_equal(time.year, expected.year);
    assert_int_equal(time.month, expected.month);
    assert_int_equal(time.day, expected.day);
    assert_int_equal(time.hour, expected.hour);
    assert_int_equal(time.minute, expected.minute);
    assert_int_equal(time.second, expected.second);
}

/* Fields in register order: second, minute, hour, day, month, year, century, status B. */
static void test_bcd_24_hour(void **state)
{
    (void)state;
    assert_decodes_to((struct cmos_clock_registers){0x56, 0x34, 0x12, 0x25, 0x11, 0x26, 0x20, BCD_24_HOUR},
                      (struct calendar_time){2026, 11, 25, 12, 34, 56});
    assert_int_equal(seconds_of((struct cmos_clock_registers){0x56, 0x34, 0x12, 0x25, 0x11, 0x26, 0x20, BCD_24_HOUR}),
                     1795610096);
    assert_int_equal(seconds_of((struct cmos_clock_registers){0x00, 0x00, 0x00, 0x29, 0x02, 0x00, 0x20, BCD_24_HOUR}),
                     951782400); /* 2000-02-29 */
    assert_int_equal(seconds_of((struct cmos_clock_registers){0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x20, BCD_24_HOUR}),
                     4102444799ull); /* 2099-12-31 23:59:59 */
    assert_int_equal(seconds_of((struct cmos_clock_registers){0x00, 0x00, 0x00, 0x01, 0x01, 0x70, 0x19, BCD_24_HOUR}),
                     0); /* the epoch */
}

static void test_binary_24_hour(void **state)
{
    (void)state;
    assert_int_equal(seconds_of((struct cmos_clock_registers){56, 34, 12, 25, 11, 26, 20, BINARY_24_HOUR}), 1795610096);
    assert_int_equal(seconds_of((struct cmos_clock_registers){59, 59, 23, 31, 12, 99, 20, BINARY_24_HOUR}),
                     4102444799ull);
}

static void test_12_hour_mode(void **state)
{
    (void)state;
    /* 12:34:56 PM is noon, 12:34:56 AM the first hour of the day, 11 PM the last. */
    assert_int_equal(
        seconds_of((struct cmos_clock_registers){0x56, 0x34, 0x12 | CMOS_HOUR_PM, 0x25, 0x11, 0x26, 0x20, BCD_12_HOUR}),
        1795610096);
    assert_int_equal(seconds_of((struct cmos_clock_registers){0x56, 0x34, 0x12, 0x25, 0x11, 0x26, 0x20, BCD_12_HOUR}),
                     1795566896);
    assert_int_equal(
        seconds_of((struct cmos_clock_registers){0x56, 0x34, 0x11 | CMOS_HOUR_PM, 0x25, 0x11, 0x26, 0x20, BCD_12_HOUR}),
        1795649696);
    assert_int_equal(seconds_of((struct cmos_clock_registers){9, 5, 1 | CMOS_HOUR_PM, 29, 2, 24, 20, BINARY_12_HOUR}),
                     1709211909); /* 2024-02-29 13:05:09 */
    assert_decodes_to((struct cmos_clock_registers){0, 0, 0x01, 1, 1, 0x26, 0x20, BCD_12_HOUR},
                      (struct calendar_time){2026, 1, 1, 1, 0, 0});
}

static void test_century_register_absent(void **state)
{
    (void)state;
    /* Not 19..21 in the clock's encoding: other CMOS data, and the year is read as 1970..2069. */
    assert_decodes_to((struct cmos_clock_registers){0, 0, 0, 1, 1, 0x26, 0x00, BCD_24_HOUR},
                      (struct calendar_time){2026, 1, 1, 0, 0, 0});
    assert_decodes_to((struct cmos_clock_registers){0, 0, 0, 1, 1, 0x99, 0xff, BCD_24_HOUR},
                      (struct calendar_time){1999, 1, 1, 0, 0, 0});
    assert_decodes_to((struct cmos_clock_registers){0, 0, 0, 1, 1, 0x69, 0x5a, BCD_24_HOUR},
                      (struct calendar_time){2069, 1, 1, 0, 0, 0});
    assert_decodes_to((struct cmos_clock_registers){0, 0, 0, 1, 1, 70, 0x20, BINARY_24_HOUR},
                      (struct calendar_time){1970, 1, 1, 0, 0, 0}); /* BCD 20 is 32 in binary: not a century */
    assert_decodes_to((struct cmos_clock_registers){0, 0, 0, 1, 1, 0x05, 0x21, BCD_24_HOUR},
                      (struct calendar_time){2105, 1, 1, 0, 0, 0});
}

static void assert_malformed(struct cmos_clock_registers registers)
{
    struct calendar_time time;
    const char *reason = NULL;
    assert_int_equal(cmos_clock_decode(&registers, &time, &reason), ERROR_MALFORMED);
    assert_non_null(reason);
}

static void assert_out_of_range(struct cmos_clock_registers registers)
{
    uint64_t seconds = 0;
    assert_int_equal(to_seconds(registers, &seconds), ERROR_OUT_OF_RANGE);
}

static void test_invalid_registers_refused(void **state)
{
    (void)state;
    assert_malformed((struct cmos_clock_registers){0x5a, 0x34, 0x12, 0x25, 0x11, 0x26, 0x20, BCD_24_HOUR});
    assert_malformed((struct cmos_clock_registers){0x56, 0x34, 0x12, 0x25, 0x11, 0xa6, 0x20, BCD_24_HOUR});
    assert_malformed((struct cmos_clock_registers){0x56, 0x34, 0x13, 0x25, 0x11, 0x26, 0x20, BCD_12_HOUR});
    assert_malformed(
        (struct cmos_clock_registers){0x56, 0x34, 0x00 | CMOS_HOUR_PM, 0x25, 0x11, 0x26, 0x20, BCD_12_HOUR});
    assert_malformed((struct cmos_clock_registers){56, 34, 12, 25, 11, 100, 20, BINARY_24_HOUR});
    /* Decodable, but no such time: the calendar refuses it. */
    assert_out_of_range((struct cmos_clock_registers){0x60, 0x34, 0x12, 0x25, 0x11, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x60, 0x12, 0x25, 0x11, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x34, 0x24, 0x25, 0x11, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x34, 0x00, 0x00, 0x11, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x34, 0x00, 0x31, 0x11, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x34, 0x00, 0x29, 0x02, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x34, 0x00, 0x25, 0x13, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0x56, 0x34, 0x00, 0x25, 0x00, 0x26, 0x20, BCD_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){56, 34, 12 | CMOS_HOUR_PM, 25, 11, 26, 20, BINARY_24_HOUR});
    assert_out_of_range((struct cmos_clock_registers){0, 0, 0, 1, 1, 0x69, 0x19, BCD_24_HOUR}); /* 1969 */
}

/* A machine without the clock reads 0xff from every register: binary, 24-hour, and nonsense. */
static void test_all_ones_refused(void **state)
{
    (void)state;
    uint64_t seconds = 0;
    assert_int_not_equal(
        to_seconds((struct cmos_clock_registers){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, &seconds),
        ERROR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bcd_24_hour),
        cmocka_unit_test(test_binary_24_hour),
        cmocka_unit_test(test_12_hour_mode),
        cmocka_unit_test(test_century_register_absent),
        cmocka_unit_test(test_invalid_registers_refused),
        cmocka_unit_test(test_all_ones_refused),
    };
    return cmocka_run_group_tests_name("cmos_clock_decode_test", tests, NULL, NULL);
}
