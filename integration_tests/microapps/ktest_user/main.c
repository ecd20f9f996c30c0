/* Runs every test table and prints the summary the harness reads. */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <stdio.h>
#include <string.h>

extern const struct user_test_table capability_tests, factory_tests, ipc_tests, memory_tests, thread_tests, irq_tests,
    msi_tests, fault_tests, vm_tests, clock_tests, device_memory_tests, dma_memory_tests;

static const struct user_test_table *const tables[] = {
    &capability_tests, &factory_tests, &ipc_tests, &memory_tests, &thread_tests,        &irq_tests,
    &msi_tests,        &fault_tests,   &vm_tests,  &clock_tests,  &device_memory_tests, &dma_memory_tests,
};

static bool current_failed;
static const char *current_skip_reason;

void test_skip(const char *reason)
{
    current_skip_reason = reason;
}

void test_fail(const char *file, int line, const char *expression, long long actual)
{
    current_failed = true;
    printf("    %s:%d: expected %s (got %lld)\n", file, line, expression, actual);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!support_init(10)) {
        printf("ktest_user needs capabilities named factory and scheduler\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    unsigned passed = 0, failed = 0, skipped = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (size_t i = 0; i < tables[t]->count; i++) {
            const struct user_test *test = &tables[t]->tests[i];
            current_failed = false;
            current_skip_reason = NULL;
            test->run();
            if (current_skip_reason && !current_failed) {
                printf("[ SKIP ] %s: %s\n", test->name, current_skip_reason);
                skipped++;
                continue;
            }
            printf("[ %s ] %s\n", current_failed ? "FAIL" : " OK ", test->name);
            if (current_failed) {
                failed++;
            } else {
                passed++;
            }
        }
    }
    if (skipped) {
        printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
    } else {
        printf("%u passed, %u failed\n", passed, failed);
    }
    return failed ? 1 : 0;
}
