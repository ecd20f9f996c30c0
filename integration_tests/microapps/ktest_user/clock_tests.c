/*
 * The wall clock: the Scheduler reports the boot time the kernel read from
 * the CMOS clock, and the runtime's gettimeofday()/time() count from it.
 * QEMU gives both test machines (q35, and microvm with its default rtc=on
 * under TCG) an RTC set to the host's time, so the boot time must be known.
 *
 * The manifest's "capability clock" is the same Scheduler with RIGHT_READ only: it reads the clock, and it cannot
 * run a thread.
 */
#include "user_test.h"
#include <kapsel/runtime.h>
#include <sys/time.h>
#include <time.h>

#define UNIX_2020_01_01 1577836800ull
#define UNIX_2100_01_01 4102444800ull

static void scheduler_reports_wall_clock_after_2020(void)
{
    uint64_t boot_seconds = 0;
    EXPECT_ERROR(scheduler_wall_clock(resources.scheduler, &boot_seconds), ERROR_NONE);
    EXPECT(boot_seconds >= UNIX_2020_01_01);
    EXPECT(boot_seconds < UNIX_2100_01_01);
}

static void gettimeofday_is_boot_time_plus_ticks(void)
{
    uint64_t boot_seconds = 0;
    uint64_t before, after, idle, per_second = 0;
    EXPECT_ERROR(scheduler_wall_clock(resources.scheduler, &boot_seconds), ERROR_NONE);
    EXPECT_ERROR(scheduler_info(resources.scheduler, &before, &idle, &per_second), ERROR_NONE);
    struct timeval now;
    EXPECT(gettimeofday(&now, NULL) == 0);
    EXPECT_ERROR(scheduler_info(resources.scheduler, &after, &idle, &per_second), ERROR_NONE);
    EXPECT(per_second > 0);
    if (per_second == 0) {
        return;
    }
    EXPECT((uint64_t)now.tv_sec >= boot_seconds + before / per_second);
    EXPECT((uint64_t)now.tv_sec <= boot_seconds + after / per_second);
    EXPECT(now.tv_usec >= 0 && now.tv_usec < 1000000);
    time_t seconds = time(NULL);
    EXPECT(seconds >= now.tv_sec && seconds <= now.tv_sec + 1);
}

static void a_clock_reads_and_runs_nothing(void)
{
    uint64_t clock = capability_named("clock");
    EXPECT(clock != 0);
    uint64_t ticks = 0, idle = 0, per_second = 0, boot_seconds = 0;
    EXPECT_ERROR(scheduler_info(clock, &ticks, &idle, &per_second), ERROR_NONE);
    EXPECT(ticks > 0 && per_second > 0);
    EXPECT_ERROR(scheduler_wall_clock(clock, &boot_seconds), ERROR_NONE);
    EXPECT(boot_seconds >= UNIX_2020_01_01);
    EXPECT_ERROR(scheduler_run(clock, APP_THREAD, 1, 1), ERROR_MISSING_RIGHTS);
}

static const struct user_test tests[] = {
    {"clock_scheduler_reports_wall_clock_after_2020", scheduler_reports_wall_clock_after_2020},
    {"clock_gettimeofday_is_boot_time_plus_ticks", gettimeofday_is_boot_time_plus_ticks},
    {"clock_a_clock_capability_reads_and_runs_nothing", a_clock_reads_and_runs_nothing},
};
TEST_TABLE(clock_tests, tests);
