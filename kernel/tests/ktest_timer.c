/* The periodic tick is running and wakes a halted CPU. */
#include <kapsel/arch.h>
#include <kapsel/ktest.h>
#include <kapsel/timer.h>

#define TICKS_TO_WAIT 5

KTEST(timer_ticks_advance_while_halted)
{
    uint64_t start_ticks = timer_ticks();
    uint64_t start_cycles = arch_cycle_counter();
    unsigned wakeups = 0;
    while (timer_ticks() < start_ticks + TICKS_TO_WAIT) {
        arch_wait_for_interrupt();
        wakeups++;
    }
    KTEST_EXPECT(timer_ticks() >= start_ticks + TICKS_TO_WAIT);
    KTEST_EXPECT(wakeups >= TICKS_TO_WAIT);
    KTEST_EXPECT(arch_cycle_counter() > start_cycles);
}
