#include <kapsel/arch.h>
#include <kapsel/calendar.h>
#include <kapsel/print.h>
#include <kapsel/timer.h>
#include <kapsel/wall_clock.h>

/* What the clock said and the tick it said it at; 0 seconds: unknown. */
static uint64_t read_seconds;
static uint64_t read_ticks;

void wall_clock_init(void)
{
    struct calendar_time time = {0};
    const char *source = "the real-time clock";
    const char *reason = "";
    enum error error = arch_wall_clock_read(&time, &source, &reason);
    if (error != ERROR_NONE) {
        kprintf("Wall clock: not available (%s: %s)\n", source, reason);
        return;
    }
    uint64_t ticks = timer_ticks();
    uint64_t seconds = 0;
    error = calendar_to_unix_seconds(&time, &seconds, &reason);
    if (error == ERROR_NONE && seconds <= ticks / TIMER_HZ) {
        reason = "too early: the boot would be at or before 1970-01-01"; /* and 0 means unknown */
        error = ERROR_OUT_OF_RANGE;
    }
    if (error != ERROR_NONE) {
        kprintf("Wall clock: not available (%s: %04u-%02u-%02u %02u:%02u:%02u: %s)\n", source, time.year, time.month,
                time.day, time.hour, time.minute, time.second, reason);
        return;
    }
    read_seconds = seconds;
    read_ticks = ticks;
    kprintf("Wall clock: %04u-%02u-%02u %02u:%02u:%02u UTC from %s\n", time.year, time.month, time.day, time.hour,
            time.minute, time.second, source);
}

uint64_t wall_clock_boot_seconds(void)
{
    /* The clock counts whole seconds, so whole seconds of ticks are all the precision there is. */
    return read_seconds ? read_seconds - read_ticks / TIMER_HZ : 0;
}
