/* The supervised driver's restart policy: how many, and the backoff before each. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/driver_restart.h"

static void test_backoff_doubles_up_to_the_cap(void **state)
{
    (void)state;
    struct driver_restart_policy policy = driver_restart_policy(5, 100, 500);
    const uint64_t expected[] = {100, 200, 400, 500, 500};
    for (unsigned i = 0; i < 5; i++) {
        uint64_t backoff = 0;
        assert_true(driver_restart_next(&policy, &backoff));
        assert_int_equal(backoff, expected[i]);
    }
    uint64_t backoff = 7;
    assert_false(driver_restart_next(&policy, &backoff));
    assert_int_equal(backoff, 7);
    assert_int_equal(policy.restarts, 5);
}

static void test_no_restarts(void **state)
{
    (void)state;
    struct driver_restart_policy policy = driver_restart_policy(0, 100, 500);
    uint64_t backoff = 0;
    assert_false(driver_restart_next(&policy, &backoff));
}

static void test_many_restarts_do_not_overflow(void **state)
{
    (void)state;
    struct driver_restart_policy policy = driver_restart_policy(1000, 1, UINT64_MAX);
    uint64_t backoff = 0;
    for (unsigned i = 0; i < 1000; i++) {
        assert_true(driver_restart_next(&policy, &backoff));
    }
    assert_true(backoff >= 1ull << 63);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_up_to_the_cap),
        cmocka_unit_test(test_no_restarts),
        cmocka_unit_test(test_many_restarts_do_not_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
