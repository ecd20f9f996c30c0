/*
 * The Scheduler's info reports the boot time the kernel read from the CMOS
 * clock. QEMU gives both test machines (q35, and microvm with its default
 * rtc=on under TCG) an RTC set to the host's time, so it must be known here.
 */
#include <kapsel/abi.h>
#include <kapsel/ktest.h>
#include <kapsel/object.h>
#include <kapsel/scheduler.h>
#include <kapsel/timer.h>
#include <kapsel/wall_clock.h>

#define UNIX_2020_01_01 1577836800ull
#define UNIX_2100_01_01 4102444800ull

KTEST(scheduler_info_reports_wall_clock_after_2020)
{
    struct capability capability = {.object = scheduler_object(), .rights = RIGHT_READ};
    uint64_t message[MESSAGE_REGISTERS] = {0};
    unsigned words = 0;
    KTEST_EXPECT(scheduler_invoke(&capability, MESSAGE_TAG(SCHEDULER_INFO, 0, 0), message, &words) == ERROR_NONE);
    KTEST_EXPECT(words == 4);
    KTEST_EXPECT(message[2] == TIMER_HZ);
    KTEST_EXPECT(message[3] == wall_clock_boot_seconds());
    KTEST_EXPECT(message[3] >= UNIX_2020_01_01);
    KTEST_EXPECT(message[3] < UNIX_2100_01_01);
}
