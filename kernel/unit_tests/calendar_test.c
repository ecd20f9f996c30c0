/* Unit tests for civil time to Unix seconds (kernel/core/calendar.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/calendar.h>
#include <time.h>

#define UNTOUCHED 0x5a5a5a5a5a5a5a5aull

static uint64_t seconds_of(uint32_t year, uint8_t month, uint8_t day, uint8_t hour, uint8_t minute, uint8_t second)
{
    struct calendar_time time = {year, month, day, hour, minute, second};
    uint64_t seconds = UNTOUCHED;
    const char *reason = NULL;
    assert_int_equal(calendar_to_unix_seconds(&time, &seconds, &reason), ERROR_NONE);
    return seconds;
}

static void assert_refused(uint32_t year, uint8_t month, uint8_t day, uint8_t hour, uint8_t minute, uint8_t second)
{
    struct calendar_time time = {year, month, day, hour, minute, second};
    uint64_t seconds = UNTOUCHED;
    const char *reason = NULL;
    assert_int_equal(calendar_to_unix_seconds(&time, &seconds, &reason), ERROR_OUT_OF_RANGE);
    assert_non_null(reason);
    assert_int_equal(seconds, UNTOUCHED);
}

static void test_known_dates(void **state)
{
    (void)state;
    assert_int_equal(seconds_of(1970, 1, 1, 0, 0, 0), 0);
    assert_int_equal(seconds_of(1970, 1, 1, 0, 0, 1), 1);
    assert_int_equal(seconds_of(1999, 12, 31, 23, 59, 59), 946684799);
    assert_int_equal(seconds_of(2000, 1, 1, 0, 0, 0), 946684800);
    assert_int_equal(seconds_of(2000, 2, 29, 0, 0, 0), 951782400);
    assert_int_equal(seconds_of(2026, 11, 25, 12, 34, 56), 1795610096);
    assert_int_equal(seconds_of(2038, 1, 19, 3, 14, 8), 2147483648ull); /* past the 32-bit signed time_t */
    assert_int_equal(seconds_of(2099, 12, 31, 23, 59, 59), 4102444799ull);
    assert_int_equal(seconds_of(9999, 12, 31, 23, 59, 59), 253402300799ull);
}

/* Every day from 1970 to 2401 (three kinds of leap rule, a 400-year cycle and more) agrees with the host's timegm. */
static void test_every_day_agrees_with_timegm(void **state)
{
    (void)state;
    for (uint32_t year = 1970; year <= 2401; year++) {
        for (uint8_t month = 1; month <= 12; month++) {
            for (uint8_t day = 1; day <= 31; day++) {
                struct tm host = {.tm_year = (int)year - 1900,
                                  .tm_mon = month - 1,
                                  .tm_mday = day,
                                  .tm_hour = 23,
                                  .tm_min = 59,
                                  .tm_sec = 58};
                time_t expected = timegm(&host);
                struct calendar_time time = {year, month, day, 23, 59, 58};
                uint64_t seconds = UNTOUCHED;
                const char *reason = NULL;
                enum error error = calendar_to_unix_seconds(&time, &seconds, &reason);
                if (host.tm_mday != day) { /* timegm normalised it: the day does not exist in this month */
                    assert_int_equal(error, ERROR_OUT_OF_RANGE);
                    continue;
                }
                assert_int_equal(error, ERROR_NONE);
                assert_int_equal(seconds, (uint64_t)expected);
            }
        }
    }
}

static void test_leap_days(void **state)
{
    (void)state;
    assert_int_equal(seconds_of(2024, 2, 29, 13, 5, 9), 1709211909);
    assert_int_equal(seconds_of(2000, 3, 1, 0, 0, 0) - seconds_of(2000, 2, 28, 0, 0, 0), 2 * 86400);
    assert_refused(2023, 2, 29, 0, 0, 0);
    assert_refused(2100, 2, 29, 0, 0, 0); /* divisible by 100, not by 400 */
    assert_refused(2000, 2, 30, 0, 0, 0);
}

static void test_invalid_fields_refused(void **state)
{
    (void)state;
    assert_refused(1969, 12, 31, 23, 59, 59);
    assert_refused(10000, 1, 1, 0, 0, 0);
    assert_refused(0, 1, 1, 0, 0, 0);
    assert_refused(2026, 0, 1, 0, 0, 0);
    assert_refused(2026, 13, 1, 0, 0, 0);
    assert_refused(2026, 1, 0, 0, 0, 0);
    assert_refused(2026, 1, 32, 0, 0, 0);
    assert_refused(2026, 4, 31, 0, 0, 0);
    assert_refused(2026, 1, 1, 24, 0, 0);
    assert_refused(2026, 1, 1, 0, 60, 0);
    assert_refused(2026, 1, 1, 0, 0, 60); /* no leap seconds in Unix time */
    assert_refused(2026, 255, 255, 255, 255, 255);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),
        cmocka_unit_test(test_every_day_agrees_with_timegm),
        cmocka_unit_test(test_leap_days),
        cmocka_unit_test(test_invalid_fields_refused),
    };
    return cmocka_run_group_tests_name("calendar_test", tests, NULL, NULL);
}
