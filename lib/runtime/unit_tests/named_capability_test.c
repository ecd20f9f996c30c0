/* Unit tests for finding named capabilities in a Micro-App's environment (lib/runtime/named_capability.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "named_capability.h"

#include <string.h>

static struct app_environment environment;

static void add(const char *name, size_t name_length, uint64_t slot)
{
    struct app_named_capability *entry = &environment.named[environment.named_count++];
    memcpy(entry->name, name, name_length);
    entry->slot = slot;
}

static int set_up(void **state)
{
    (void)state;
    memset(&environment, 0, sizeof(environment));
    environment.magic = APP_ENVIRONMENT_MAGIC;
    add("log", 3, 8);
    add("scheduler", 9, 9);
    add("logger", 6, 10);
    return 0;
}

static void test_finds_each_name(void **state)
{
    (void)state;
    assert_int_equal(named_capability_slot(&environment, "log"), 8);
    assert_int_equal(named_capability_slot(&environment, "scheduler"), 9);
    assert_int_equal(named_capability_slot(&environment, "logger"), 10);
}

static void test_unknown_names_give_zero(void **state)
{
    (void)state;
    assert_int_equal(named_capability_slot(&environment, "network"), 0);
    assert_int_equal(named_capability_slot(&environment, "lo"), 0);
    assert_int_equal(named_capability_slot(&environment, "logg"), 0);
    assert_int_equal(named_capability_slot(&environment, "Log"), 0);
}

static void test_empty_name_matches_nothing(void **state)
{
    (void)state;
    add("", 0, 11); /* an entry left blank must not answer to "" */
    assert_int_equal(named_capability_slot(&environment, ""), 0);
}

static void test_first_duplicate_wins(void **state)
{
    (void)state;
    add("log", 3, 12);
    assert_int_equal(named_capability_slot(&environment, "log"), 8);
}

static void test_entries_beyond_the_count_are_ignored(void **state)
{
    (void)state;
    add("hidden", 6, 13);
    environment.named_count--;
    assert_int_equal(named_capability_slot(&environment, "hidden"), 0);
}

static void test_count_is_clamped_to_the_table(void **state)
{
    (void)state;
    while (environment.named_count < APP_MAX_NAMED_CAPABILITIES - 1) {
        add("filler", 6, 14);
    }
    add("last", 4, 15);                   /* the table's last entry */
    environment.named_count = UINT64_MAX; /* a corrupt count must not walk off the table */
    assert_int_equal(named_capability_slot(&environment, "last"), 15);
    assert_int_equal(named_capability_slot(&environment, "missing"), 0);
}

static void test_name_filling_the_whole_field(void **state)
{
    (void)state;
    char full[APP_CAPABILITY_NAME_SIZE + 2];
    memset(full, 'n', sizeof(full));
    add(full, APP_CAPABILITY_NAME_SIZE, 16); /* no NUL inside the field */

    full[APP_CAPABILITY_NAME_SIZE] = '\0';
    assert_int_equal(named_capability_slot(&environment, full), 16);

    full[APP_CAPABILITY_NAME_SIZE] = 'n';
    full[APP_CAPABILITY_NAME_SIZE + 1] = '\0';
    assert_int_equal(named_capability_slot(&environment, full), 0); /* longer than any field */

    full[APP_CAPABILITY_NAME_SIZE - 1] = '\0';
    assert_int_equal(named_capability_slot(&environment, full), 0); /* a prefix of it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_finds_each_name, set_up),
        cmocka_unit_test_setup(test_unknown_names_give_zero, set_up),
        cmocka_unit_test_setup(test_empty_name_matches_nothing, set_up),
        cmocka_unit_test_setup(test_first_duplicate_wins, set_up),
        cmocka_unit_test_setup(test_entries_beyond_the_count_are_ignored, set_up),
        cmocka_unit_test_setup(test_count_is_clamped_to_the_table, set_up),
        cmocka_unit_test_setup(test_name_filling_the_whole_field, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
