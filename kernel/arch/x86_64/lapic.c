#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/memory_layout.h>
#include <arch/paging.h>
#include <arch/pit.h>
#include <arch/trap.h>
#include <kapsel/arch.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>
#include <kapsel/timer.h>

#define LAPIC_ID 0x020
#define LAPIC_TASK_PRIORITY 0x080
#define LAPIC_END_OF_INTERRUPT 0x0b0
#define LAPIC_SPURIOUS_VECTOR 0x0f0
#define LAPIC_INTERRUPT_COMMAND 0x300
#define LAPIC_TIMER_VECTOR 0x320
#define LAPIC_TIMER_INITIAL_COUNT 0x380
#define LAPIC_TIMER_CURRENT_COUNT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDRESS_MASK 0xffffff000ull
#define SPURIOUS_APIC_ENABLE 0x100
#define TIMER_PERIODIC (1u << 17)
#define TIMER_DIVIDE_BY_16 0x3
#define ICR_SHORTHAND_SELF (1u << 18)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_DELIVERY_POLLS 1000000
#define CALIBRATION_PIT_TICKS (PIT_FREQUENCY_HZ / 20) /* 50 ms */

#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_DATA 0xa1

static volatile uint32_t *lapic_registers;
static uint64_t timer_frequency;

static uint32_t lapic_read(uint32_t offset)
{
    return lapic_registers[offset / 4];
}

static void lapic_write(uint32_t offset, uint32_t value)
{
    lapic_registers[offset / 4] = value;
}

void lapic_init(void)
{
    if (!(cpuid(1, 0).edx & (1u << 9))) {
        boot_fail("this CPU has no local APIC");
    }
    uint64_t base = msr_read(MSR_APIC_BASE);
    msr_write(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    lapic_registers = paging_map_device(base & APIC_BASE_ADDRESS_MASK, PAGE_SIZE);
    if (!lapic_registers) {
        boot_fail("the local APIC registers at %#llx overlap RAM", (unsigned long long)(base & APIC_BASE_ADDRESS_MASK));
    }
    /* The legacy PICs would deliver on vectors that collide with exceptions: mask them all. */
    port_write8(PIC_MASTER_DATA, 0xff);
    port_write8(PIC_SLAVE_DATA, 0xff);
    lapic_write(LAPIC_TASK_PRIORITY, 0);
    lapic_write(LAPIC_SPURIOUS_VECTOR, SPURIOUS_APIC_ENABLE | VECTOR_SPURIOUS);
}

struct calibration {
    uint32_t samples[2];
    unsigned count;
};

static void sample_lapic_counter(void *context)
{
    struct calibration *calibration = context;
    calibration->samples[calibration->count++] = lapic_read(LAPIC_TIMER_CURRENT_COUNT);
}

void lapic_timer_start_periodic(uint8_t vector, unsigned hz)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_TIMER_VECTOR, 1u << 16); /* masked one-shot while calibrating */
    lapic_write(LAPIC_TIMER_INITIAL_COUNT, 0xffffffff);
    struct calibration calibration = {{0, 0}, 0};
    if (!pit_measure(CALIBRATION_PIT_TICKS, sample_lapic_counter, &calibration)) {
        boot_fail("no PIT found to calibrate the local APIC timer (QEMU microvm needs pit=on)");
    }
    uint64_t elapsed = calibration.samples[0] - calibration.samples[1];
    timer_frequency = elapsed * PIT_FREQUENCY_HZ / CALIBRATION_PIT_TICKS;
    if (timer_frequency < hz) {
        boot_fail("local APIC timer runs at %llu Hz, too slow for a %u Hz tick", (unsigned long long)timer_frequency,
                  hz);
    }
    lapic_write(LAPIC_TIMER_VECTOR, TIMER_PERIODIC | vector);
    lapic_write(LAPIC_TIMER_INITIAL_COUNT, (uint32_t)(timer_frequency / hz));
}

uint64_t lapic_timer_frequency(void)
{
    return timer_frequency;
}

void lapic_end_of_interrupt(void)
{
    lapic_write(LAPIC_END_OF_INTERRUPT, 0);
}

uint8_t lapic_id(void)
{
    return (uint8_t)(lapic_read(LAPIC_ID) >> 24);
}

void lapic_send_self_ipi(uint8_t vector)
{
    /* With the "self" shorthand the destination field (the high half) is ignored: one write sends. */
    lapic_write(LAPIC_INTERRUPT_COMMAND, ICR_SHORTHAND_SELF | ICR_LEVEL_ASSERT | vector);
    for (unsigned poll = 0; poll < ICR_DELIVERY_POLLS && (lapic_read(LAPIC_INTERRUPT_COMMAND) & ICR_DELIVERY_PENDING);
         poll++) {
        __asm__ volatile("pause");
    }
}

void arch_timer_init(void)
{
    lapic_init();
    lapic_timer_start_periodic(VECTOR_TIMER, TIMER_HZ);
    kprintf("Timer: local APIC %u at %llu kHz, %u Hz tick\n", lapic_read(LAPIC_ID) >> 24,
            (unsigned long long)(lapic_timer_frequency() / 1000), TIMER_HZ);
    interrupts_enable();
}
