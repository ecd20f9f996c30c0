/*
 * The in-system test Micro-App: tests of every kernel object and error path,
 * run from user mode. Each file contributes a table of tests; main runs them
 * all and prints one line per test and the closing "N passed, N failed".
 */
#ifndef USER_TEST_H
#define USER_TEST_H

#include "support.h"
#include <kapsel/abi.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct user_test {
    const char *name;
    void (*run)(void);
};

struct user_test_table {
    const struct user_test *tests;
    size_t count;
};

#define TEST_TABLE(table_name, array)                                                                                  \
    const struct user_test_table table_name = {array, sizeof(array) / sizeof(array[0])}

/* Marks the running test skipped, with the reason printed (it counts as skipped, never as passed). */
void test_skip(const char *reason);

/* Records a failed expectation (the test goes on, so one run shows every broken check). */
void test_fail(const char *file, int line, const char *expression, long long actual);

#define EXPECT(condition)                                                                                              \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            test_fail(__FILE__, __LINE__, #condition, 0);                                                              \
        }                                                                                                              \
    } while (0)

/* Compares an enum error with the expected one; a mismatch prints the code it got. */
#define EXPECT_ERROR(actual, expected)                                                                                 \
    do {                                                                                                               \
        long long actual_value = (long long)(actual);                                                                  \
        if (actual_value != (long long)(expected)) {                                                                   \
            test_fail(__FILE__, __LINE__, #actual " == " #expected, actual_value);                                     \
        }                                                                                                              \
    } while (0)

#endif
