/* Threads and the scheduler: configuration errors, priorities, round robin, accounting. */
#include "user_test.h"
#include <kapsel/environment.h>

static volatile uint64_t counters[2];
static volatile uint64_t ran_first;

static void bad_configuration_is_refused(void)
{
    uint64_t thread = slot_new();
    EXPECT_ERROR(factory_create_thread(resources.factory, thread), ERROR_NONE);
    /* Not bound yet: it cannot be run. */
    EXPECT_ERROR(scheduler_run(resources.scheduler, thread, 1, 1), ERROR_BUSY);
    EXPECT_ERROR(thread_configure(thread, APP_TASK, 0xffff800000000000ull, 0, 0), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(thread_configure(thread, APP_TASK, address_new(1) + 8, 0, 0), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(thread_configure(thread, APP_TASK, APP_UTCB_ADDRESS, 0, 0), ERROR_SLOT_OCCUPIED);
    EXPECT_ERROR(thread_configure(thread, resources.factory, address_new(1), 0, 0), ERROR_WRONG_OBJECT_TYPE);
    EXPECT_ERROR(thread_configure(thread, APP_TASK, address_new(1), 0, 0), ERROR_NONE);
    EXPECT_ERROR(thread_configure(thread, APP_TASK, address_new(1), 0, 0), ERROR_BUSY);
    EXPECT_ERROR(thread_ex_regs(thread, 0xffffffff80000000ull, 0x1000, 0), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(scheduler_run(resources.scheduler, thread, 256, 1), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(scheduler_run(resources.scheduler, thread, 1, 0), ERROR_INVALID_ARGUMENT);
    object_delete(thread);
}

static void mark_first(void)
{
    if (!ran_first) {
        ran_first = 1;
    }
    block_forever();
}

static void higher_priority_runs_at_once(void)
{
    ran_first = 0;
    uint64_t thread = thread_start(mark_first, resources.priority + 5);
    /* The new thread preempted us before scheduler_run returned to this code. */
    EXPECT(ran_first == 1);
    object_delete(thread);
}

static void lower_priority_waits_until_we_block(void)
{
    ran_first = 0;
    uint64_t thread = thread_start(mark_first, resources.priority - 5);
    EXPECT(ran_first == 0);
    sleep_ms(20);
    EXPECT(ran_first == 1);
    object_delete(thread);
}

static void spin_first(void)
{
    for (;;) {
        counters[0]++;
    }
}

static void spin_second(void)
{
    for (;;) {
        counters[1]++;
    }
}

static void equal_priorities_share_the_cpu(void)
{
    counters[0] = counters[1] = 0;
    uint64_t first = thread_start(spin_first, resources.priority - 1);
    uint64_t second = thread_start(spin_second, resources.priority - 1);
    sleep_ms(200); /* ten 2-tick slices each */
    EXPECT(counters[0] > 0);
    EXPECT(counters[1] > 0);
    enum thread_state state;
    uint64_t ticks_run = 0;
    unsigned priority = 0;
    EXPECT_ERROR(thread_info(first, &state, &ticks_run, &priority), ERROR_NONE);
    EXPECT(ticks_run > 0);
    EXPECT(priority == resources.priority - 1);
    EXPECT(state == THREAD_READY || state == THREAD_RUNNING);
    object_delete(first);
    object_delete(second);
}

static void spinning_thread_cannot_starve_higher_priority(void)
{
    /* A spinner at our own priority: our sleeps still end, because the tick preempts it. */
    counters[0] = 0;
    uint64_t spinner = thread_start(spin_first, resources.priority);
    uint64_t before = ticks_now();
    sleep_ms(30);
    EXPECT(ticks_now() - before >= 3);
    EXPECT(counters[0] > 0);
    object_delete(spinner);
}

static volatile uint64_t sse_corruptions;
static volatile uint64_t sse_rounds[2];

/* Keeps a pattern in %xmm7 for many rounds while other threads (with their own patterns) are switched in. */
static void hold_sse_pattern(unsigned index, uint64_t pattern)
{
    __asm__ volatile("movq %0, %%xmm7" : : "r"(pattern) : "xmm7");
    for (;;) {
        uint64_t seen;
        __asm__ volatile("movq %%xmm7, %0" : "=r"(seen));
        if (seen != pattern) {
            sse_corruptions++;
            __asm__ volatile("movq %0, %%xmm7" : : "r"(pattern) : "xmm7");
        }
        sse_rounds[index]++;
    }
}

static void hold_first_pattern(void)
{
    hold_sse_pattern(0, 0x1111222233334444ull);
}

static void hold_second_pattern(void)
{
    hold_sse_pattern(1, 0x5555666677778888ull);
}

static void sse_registers_survive_preemption(void)
{
    sse_corruptions = sse_rounds[0] = sse_rounds[1] = 0;
    uint64_t first = thread_start(hold_first_pattern, resources.priority - 1);
    uint64_t second = thread_start(hold_second_pattern, resources.priority - 1);
    sleep_ms(100); /* several slices each: many switches between the two */
    EXPECT(sse_rounds[0] > 0 && sse_rounds[1] > 0);
    EXPECT(sse_corruptions == 0);
    object_delete(first);
    object_delete(second);
}

static const struct user_test tests[] = {
    {"thread_bad_configuration_is_refused", bad_configuration_is_refused},
    {"thread_higher_priority_runs_at_once", higher_priority_runs_at_once},
    {"thread_lower_priority_waits_until_we_block", lower_priority_waits_until_we_block},
    {"thread_equal_priorities_share_the_cpu", equal_priorities_share_the_cpu},
    {"thread_spinning_thread_cannot_starve_others", spinning_thread_cannot_starve_higher_priority},
    {"thread_sse_registers_survive_preemption", sse_registers_survive_preemption},
};
TEST_TABLE(thread_tests, tests);
