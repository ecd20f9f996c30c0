#include <arch/cpu.h>
#include <arch/pit.h>

#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define PIT_CHANNEL0_RATE_GENERATOR 0x34 /* channel 0, low/high byte, mode 2, binary */
#define PIT_CHANNEL0_LATCH 0x00
/* A PIT that has not moved after this many reads is not there. */
#define PIT_STUCK_READS 100000

static uint16_t pit_read_counter(void)
{
    port_write8(PIT_COMMAND, PIT_CHANNEL0_LATCH);
    uint8_t low = port_read8(PIT_CHANNEL0);
    uint8_t high = port_read8(PIT_CHANNEL0);
    return (uint16_t)(high << 8 | low);
}

bool pit_measure(uint32_t pit_ticks, void (*sample)(void *context), void *context)
{
    /* Free-running over the full 16-bit range; elapsed time is the sum of the decrements. */
    port_write8(PIT_COMMAND, PIT_CHANNEL0_RATE_GENERATOR);
    port_write8(PIT_CHANNEL0, 0);
    port_write8(PIT_CHANNEL0, 0);

    uint16_t previous = pit_read_counter();
    uint32_t unchanged_reads = 0;
    while (pit_read_counter() == previous) {
        if (++unchanged_reads > PIT_STUCK_READS) {
            return false;
        }
    }
    previous = pit_read_counter();
    sample(context);
    uint32_t elapsed = 0;
    while (elapsed < pit_ticks) {
        uint16_t now = pit_read_counter();
        elapsed += (uint16_t)(previous - now); /* the counter counts down and wraps */
        previous = now;
    }
    sample(context);
    return true;
}
