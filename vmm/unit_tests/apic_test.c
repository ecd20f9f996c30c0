/* The local APIC and the I/O APIC: register access, priorities and EOI, the timer's modes, routing from the I/O APIC.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/io_apic.h"
#include "arch/x86_64/local_apic.h"

static struct device_registry registry;
static struct local_apic apic;
static struct io_apic io_apic;
static uint64_t clock_now_ns;

static uint64_t test_clock(void *context)
{
    (void)context;
    return clock_now_ns;
}

static int set_up(void **state)
{
    (void)state;
    clock_now_ns = 1000;
    device_registry_init(&registry);
    local_apic_init(&apic, 0, test_clock, NULL);
    io_apic_init(&io_apic, 0, &apic);
    assert_int_equal(local_apic_register(&apic, &registry), ERROR_NONE);
    assert_int_equal(io_apic_register(&io_apic, &registry), ERROR_NONE);
    return 0;
}

static const char *mmio(uint64_t address, bool is_write, uint64_t *value)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_MMIO, address);
    assert_non_null(device);
    return device_access(device, address, 4, is_write, value);
}

static void apic_write(uint32_t offset, uint32_t value)
{
    assert_null(mmio(LOCAL_APIC_BASE + offset, true, &(uint64_t){value}));
}

static uint32_t apic_read(uint32_t offset)
{
    uint64_t value = 0;
    assert_null(mmio(LOCAL_APIC_BASE + offset, false, &value));
    return (uint32_t)value;
}

static void io_apic_write(uint32_t index, uint32_t value)
{
    assert_null(mmio(IO_APIC_BASE, true, &(uint64_t){index}));
    assert_null(mmio(IO_APIC_BASE + 0x10, true, &(uint64_t){value}));
}

static uint32_t io_apic_read(uint32_t index)
{
    uint64_t value = 0;
    assert_null(mmio(IO_APIC_BASE, true, &(uint64_t){index}));
    assert_null(mmio(IO_APIC_BASE + 0x10, false, &value));
    return (uint32_t)value;
}

static void software_enable(void)
{
    apic_write(0xf0, 0x1ff);
}

/* Delivers what the APIC has, as the VMM does on entry: the vector, now in service. */
static int take_interrupt(void)
{
    int vector = local_apic_pending_vector(&apic);
    if (vector >= 0) {
        local_apic_acknowledge(&apic, (uint8_t)vector);
    }
    return vector;
}

static void test_identity_registers(void **state)
{
    (void)state;
    assert_int_equal(apic_read(0x20), 0);
    assert_int_equal(apic_read(0x30) & 0xff, 0x14);
    assert_int_equal(apic_read(0x30) >> 16, 5); /* six LVT entries */
    apic_write(0xd0, 0x01000000);
    assert_int_equal(apic_read(0xd0), 0x01000000);
    assert_int_equal(io_apic_read(1), 0x00170020); /* 24 pins, version 0x20 */
    io_apic_write(0, 0x02000000);
    assert_int_equal(io_apic_read(0), 0x02000000);
    assert_non_null(mmio(LOCAL_APIC_BASE + 0x24, false, &(uint64_t){0})); /* not a register boundary */
}

static void test_software_disabled_delivers_nothing(void **state)
{
    (void)state;
    local_apic_accept(&apic, 0x40, false);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    assert_true(local_apic_passes_pic(&apic)); /* virtual wire as firmware leaves it */
    software_enable();
    assert_int_equal(local_apic_pending_vector(&apic), 0x40);
}

static void test_priorities_and_end_of_interrupt(void **state)
{
    (void)state;
    software_enable();
    local_apic_accept(&apic, 0x41, false);
    local_apic_accept(&apic, 0x61, false);
    assert_int_equal(take_interrupt(), 0x61);
    assert_int_equal(apic_read(0xa0), 0x60);                /* processor priority: the class in service */
    assert_int_equal(apic_read(0x100 + 0x30), 2);           /* ISR bit 0x61 */
    assert_int_equal(local_apic_pending_vector(&apic), -1); /* 0x41 is below the class in service */
    apic_write(0xb0, 0);
    assert_int_equal(take_interrupt(), 0x41);
    apic_write(0xb0, 0);
    apic_write(0x80, 0x50); /* task priority masks classes up to 5 */
    local_apic_accept(&apic, 0x52, false);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    apic_write(0x80, 0x40);
    assert_int_equal(local_apic_pending_vector(&apic), 0x52);
}

static void test_illegal_vector_sets_error(void **state)
{
    (void)state;
    software_enable();
    local_apic_accept(&apic, 3, false);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    apic_write(0x280, 0);
    assert_int_equal(apic_read(0x280), 1u << 6);
    apic_write(0x280, 0);
    assert_int_equal(apic_read(0x280), 0);
}

static void test_self_ipi(void **state)
{
    (void)state;
    software_enable();
    apic_write(0x300, 1u << 18 | 0xf3); /* shorthand self, fixed */
    assert_int_equal(take_interrupt(), 0xf3);
    apic_write(0x310, 5u << 24); /* another processor: none exists */
    apic_write(0x300, 0xf4);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
}

static void test_one_shot_and_periodic_timer(void **state)
{
    (void)state;
    software_enable();
    apic_write(0x3e0, 0xb); /* divide by 1 */
    apic_write(0x320, 0xec);
    apic_write(0x380, 1000); /* 1000 ns */
    clock_now_ns += 400;
    assert_int_equal(apic_read(0x390), 600);
    local_apic_timer_update(&apic, clock_now_ns);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    clock_now_ns += 600;
    local_apic_timer_update(&apic, clock_now_ns);
    assert_int_equal(take_interrupt(), 0xec);
    assert_int_equal(apic.timer_fire_ns, 0); /* one-shot: done */
    apic_write(0xb0, 0);

    apic_write(0x3e0, 0x0);             /* divide by 2 */
    apic_write(0x320, 1u << 17 | 0xed); /* periodic */
    apic_write(0x380, 500);             /* 1000 ns */
    clock_now_ns += 2500;               /* two and a half periods late */
    local_apic_timer_update(&apic, clock_now_ns);
    assert_int_equal(take_interrupt(), 0xed);
    assert_int_equal(apic.timer_fire_ns, clock_now_ns + 500); /* back on the period's grid */
}

static void test_tsc_deadline_timer(void **state)
{
    (void)state;
    software_enable();
    local_apic_write_tsc_deadline(&apic, 12345, 5000); /* ignored outside TSC-deadline mode */
    assert_int_equal(apic.timer_fire_ns, 0);
    apic_write(0x320, 2u << 17 | 0xef);
    local_apic_write_tsc_deadline(&apic, 12345, 5000);
    assert_int_equal(apic.tsc_deadline, 12345);
    apic_write(0x380, 77); /* the count is ignored in this mode */
    assert_int_equal(apic_read(0x380), 0);
    local_apic_timer_update(&apic, 4999);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    local_apic_timer_update(&apic, 5000);
    assert_int_equal(take_interrupt(), 0xef);
    assert_int_equal(apic.tsc_deadline, 0);
}

static void test_masked_timer_fires_silently(void **state)
{
    (void)state;
    software_enable();
    apic_write(0x3e0, 0xb);
    apic_write(0x320, 1u << 16 | 0xec);
    apic_write(0x380, 10);
    local_apic_timer_update(&apic, clock_now_ns + 10);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
}

static void test_base_msr(void **state)
{
    (void)state;
    assert_int_equal(apic.base_msr, 0xfee00900);
    assert_false(local_apic_write_base_msr(&apic, 0xfee00d00)); /* x2APIC: not offered */
    assert_false(local_apic_write_base_msr(&apic, 0xfed00900)); /* moving the window */
    software_enable();
    assert_true(local_apic_write_base_msr(&apic, 0xfee00100)); /* global disable */
    assert_false(local_apic_enabled(&apic));
    assert_true(local_apic_passes_pic(&apic));
    assert_int_equal(apic.spurious_vector, 0xff);
}

static void test_io_apic_routes_edge_input(void **state)
{
    (void)state;
    software_enable();
    io_apic_pulse(&io_apic, 4); /* masked at reset */
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    io_apic_write(0x10 + 2 * 4, 0x34);
    io_apic_write(0x11 + 2 * 4, 0);
    assert_int_equal(io_apic_read(0x10 + 2 * 4), 0x34);
    io_apic_pulse(&io_apic, 4);
    assert_int_equal(take_interrupt(), 0x34);
    assert_int_equal(apic_read(0x180 + 0x10), 0); /* edge: not in the TMR */
    io_apic_write(0x11 + 2 * 5, 7u << 24);        /* another destination */
    io_apic_write(0x10 + 2 * 5, 0x35);
    io_apic_pulse(&io_apic, 5);
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    io_apic_pulse(&io_apic, IO_APIC_PINS); /* no such pin: ignored */
}

static void test_io_apic_level_entry_waits_for_end_of_interrupt(void **state)
{
    (void)state;
    software_enable();
    io_apic_write(0x10 + 2 * 9, 1u << 15 | 0x49); /* level-triggered */
    io_apic_pulse(&io_apic, 9);
    assert_int_equal(take_interrupt(), 0x49);
    assert_true(io_apic_read(0x10 + 2 * 9) & (1u << 14)); /* remote IRR */
    io_apic_pulse(&io_apic, 9);                           /* again while in service: held */
    assert_int_equal(local_apic_pending_vector(&apic), -1);
    apic_write(0xb0, 0); /* EOI of a level vector reaches the I/O APIC, which delivers the held one */
    assert_int_equal(take_interrupt(), 0x49);
    assert_true(io_apic_read(0x10 + 2 * 9) & (1u << 14));
    apic_write(0xb0, 0);
    assert_false(io_apic_read(0x10 + 2 * 9) & (1u << 14));
    assert_int_equal(local_apic_pending_vector(&apic), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_identity_registers, set_up),
        cmocka_unit_test_setup(test_software_disabled_delivers_nothing, set_up),
        cmocka_unit_test_setup(test_priorities_and_end_of_interrupt, set_up),
        cmocka_unit_test_setup(test_illegal_vector_sets_error, set_up),
        cmocka_unit_test_setup(test_self_ipi, set_up),
        cmocka_unit_test_setup(test_one_shot_and_periodic_timer, set_up),
        cmocka_unit_test_setup(test_tsc_deadline_timer, set_up),
        cmocka_unit_test_setup(test_masked_timer_fires_silently, set_up),
        cmocka_unit_test_setup(test_base_msr, set_up),
        cmocka_unit_test_setup(test_io_apic_routes_edge_input, set_up),
        cmocka_unit_test_setup(test_io_apic_level_entry_waits_for_end_of_interrupt, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
