/* The retry schedule: growth, cap, jitter bounds, policy checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "backoff.h"

static const struct kapsel_retry_policy policy = KAPSEL_RETRY_POLICY_DEFAULT;

static void test_delays_double_until_the_cap(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(&policy, 1, 0), 100);
    assert_int_equal(backoff_delay_ms(&policy, 2, 0), 200);
    assert_int_equal(backoff_delay_ms(&policy, 3, 0), 400);
    assert_int_equal(backoff_delay_ms(&policy, 5, 0), 1600);
    assert_int_equal(backoff_delay_ms(&policy, 6, 0), 2000);
    assert_int_equal(backoff_delay_ms(&policy, 1000, 0), 2000);
}

static void test_jitter_takes_at_most_its_share(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(&policy, 1, 1), 80);
    assert_int_equal(backoff_delay_ms(&policy, 3, 0.5), 360);
    assert_int_equal(backoff_delay_ms(&policy, 6, 1), 1600);
    /* Out of range fractions are clamped. */
    assert_int_equal(backoff_delay_ms(&policy, 1, 7), 80);
    assert_int_equal(backoff_delay_ms(&policy, 1, -1), 100);
}

static void test_multiplier_three_without_jitter(void **state)
{
    (void)state;
    struct kapsel_retry_policy triple = {
        .max_attempts = 5, .initial_backoff_ms = 10, .max_backoff_ms = 100, .multiplier = 3, .jitter_percent = 0};
    assert_int_equal(backoff_delay_ms(&triple, 1, 1), 10);
    assert_int_equal(backoff_delay_ms(&triple, 2, 1), 30);
    assert_int_equal(backoff_delay_ms(&triple, 3, 1), 90);
    assert_int_equal(backoff_delay_ms(&triple, 4, 1), 100);
}

static void test_policy_checks(void **state)
{
    (void)state;
    assert_true(backoff_policy_valid(&policy));
    struct kapsel_retry_policy bad = policy;
    bad.max_attempts = 0;
    assert_false(backoff_policy_valid(&bad));
    bad = policy;
    bad.initial_backoff_ms = 3000; /* above max */
    assert_false(backoff_policy_valid(&bad));
    bad = policy;
    bad.multiplier = 0;
    assert_false(backoff_policy_valid(&bad));
    bad = policy;
    bad.jitter_percent = 101;
    assert_false(backoff_policy_valid(&bad));
    bad = policy;
    bad.initial_backoff_ms = 0;
    assert_false(backoff_policy_valid(&bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delays_double_until_the_cap),
        cmocka_unit_test(test_jitter_takes_at_most_its_share),
        cmocka_unit_test(test_multiplier_three_without_jitter),
        cmocka_unit_test(test_policy_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
