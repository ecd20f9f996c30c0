/*
 * The in-system test Micro-App: tests of every kernel object and error path,
 * run from user mode. Each file contributes a table of tests; main runs them
 * all and prints one line per test and the closing "N passed, N failed".
 */
#ifndef USER_TEST_H
#define USER_TEST_H

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

/* Records a failed expectation (the test goes on, so one run shows every broken check). */
void test_fail(const char *file, int line, const char *expression, long long actual);

#define EXPECT(condition)                                                                                              \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            test_fail(__FILE__, __LINE__, #condition, 0);                                                              \
        }                                                                                                              \
    } while (0)

/* Compares an enum error with the expected one and prints both names when they differ. */
#define EXPECT_ERROR(actual, expected)                                                                                 \
    do {                                                                                                               \
        long long actual_value = (long long)(actual);                                                                  \
        if (actual_value != (long long)(expected)) {                                                                   \
            test_fail(__FILE__, __LINE__, #actual " == " #expected, actual_value);                                     \
        }                                                                                                              \
    } while (0)

#define NEVER TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)

/* Capabilities and resources of the test app. */
struct test_resources {
    uint64_t factory;
    uint64_t scheduler;
    unsigned priority; /* of the main thread */
};
extern struct test_resources resources;

/* A fresh empty slot in the app's capability table. */
uint64_t slot_new(void);

/* A fresh, never-used page-aligned user address range (for UTCBs and mapping targets). */
uint64_t address_new(unsigned pages);

/* A thread in this task running entry at priority; returns its capability slot. */
uint64_t thread_start(void (*entry)(void), unsigned priority);

/* Starts an already configured thread at entry on a fresh stack. */
uint64_t test_thread_start_existing(uint64_t thread, void (*entry)(void), unsigned priority);

/* A fresh thread stack (its top, ready for a function entry). */
uint64_t test_stack_top(void);

/* A new task (with its own address space) sharing this app's image, stack pages and data. */
uint64_t task_sharing_image(void);

/* A thread in that task running entry, its UTCB at APP_UTCB_ADDRESS; exception handler slot in that task. */
uint64_t thread_start_in(uint64_t task, void (*entry)(void), unsigned priority, uint64_t exception_slot);

/* A gate in the factory, bound to thread, with label. */
uint64_t gate_new(uint64_t thread, uint64_t label);

/* Deletes the object in slot (the slot must hold RIGHT_DELETE). */
void object_delete(uint64_t slot);

/* Blocks the calling thread for good (threads cannot end themselves; they are deleted). */
_Noreturn void block_forever(void);

/* Sleeps by waiting for a message that never comes, for about ms milliseconds. */
void sleep_ms(uint32_t ms);

uint64_t ticks_now(void);

#endif
