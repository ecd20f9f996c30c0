/*
 * In-kernel self tests, run when the command line says "ktest". Each test is
 * a function registered in the "ktests" section; the runner prints one line
 * per test and the closing "N passed, N failed" line the test harness reads.
 */
#ifndef KAPSEL_KTEST_H
#define KAPSEL_KTEST_H

#include <stdbool.h>

struct ktest_context {
    const char *test_name;
    bool failed;
};

struct ktest {
    const char *name;
    void (*run)(struct ktest_context *context);
};

#define KTEST(test_name)                                                                                               \
    static void ktest_run_##test_name(struct ktest_context *context);                                                  \
    static const struct ktest ktest_entry_##test_name __attribute__((used, section("ktests"), aligned(8))) = {         \
        .name = #test_name,                                                                                            \
        .run = ktest_run_##test_name,                                                                                  \
    };                                                                                                                 \
    static void ktest_run_##test_name(struct ktest_context *context)

/* Records a failure with its location; the test goes on so that one run shows every broken check. */
void ktest_fail(struct ktest_context *context, const char *file, int line, const char *expression);

#define KTEST_EXPECT(condition)                                                                                        \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            ktest_fail(context, __FILE__, __LINE__, #condition);                                                       \
        }                                                                                                              \
    } while (0)

/*
 * Breaks the kernel on purpose ("page_fault", "hang", "reset") so that the
 * harness's own failure detection is tested; says so and returns for unknown kinds.
 */
void ktest_inject_failure(const char *kind);

/* Runs every registered test (or only those whose name starts with filter) and prints the summary. */
void ktest_run_all(const char *filter);

#endif
