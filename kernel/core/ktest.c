#include <kapsel/arch.h>
#include <kapsel/ktest.h>
#include <kapsel/print.h>
#include <stdint.h>
#include <string.h>

extern const struct ktest __start_ktests[];
extern const struct ktest __stop_ktests[];

void ktest_fail(struct ktest_context *context, const char *file, int line, const char *expression)
{
    context->failed = true;
    kprintf("    %s:%d: expected %s\n", file, line, expression);
}

void ktest_run_all(const char *filter)
{
    unsigned passed = 0;
    unsigned failed = 0;
    size_t filter_length = filter ? strlen(filter) : 0;
    kprintf("Running kernel self tests\n");
    /* The linker brackets the section with these symbols; count by address, not by comparing arrays. */
    size_t count = ((uintptr_t)__stop_ktests - (uintptr_t)__start_ktests) / sizeof(struct ktest);
    for (size_t index = 0; index < count; index++) {
        const struct ktest *test = &__start_ktests[index];
        if (filter_length && strncmp(test->name, filter, filter_length) != 0) {
            continue;
        }
        struct ktest_context context = {.test_name = test->name, .failed = false};
        kprintf("[ RUN  ] %s\n", test->name);
        test->run(&context);
        kprintf("[ %s ] %s\n", context.failed ? "FAIL" : " OK ", test->name);
        if (context.failed) {
            failed++;
        } else {
            passed++;
        }
    }
    kprintf("%u passed, %u failed\n", passed, failed);
}

void ktest_inject_failure(const char *kind)
{
    kprintf("Injecting failure: %s\n", kind);
    if (strcmp(kind, "page_fault") == 0) {
        /* Nothing is mapped in the lower half once the boot identity map is gone. */
        volatile const uint64_t *unmapped = (volatile const uint64_t *)(uintptr_t)0x1000;
        kprintf("read %llx\n", (unsigned long long)*unmapped);
    } else if (strcmp(kind, "hang") == 0) {
        for (;;) {
            arch_wait_for_interrupt();
        }
    } else if (strcmp(kind, "reset") == 0) {
        arch_reset_abruptly();
    }
    kprintf("unknown failure kind \"%s\" (known: page_fault, hang, reset)\n", kind);
}
