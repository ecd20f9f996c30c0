/* The PC platform devices: 8259 PIC programming, priorities and EOI; 8254 PIT counting and periodic ticks; power-off
 * and reset requests. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/i8042.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/pit.h"
#include "arch/x86_64/power_control.h"

#include <string.h>

static struct device_registry registry;

static void port_write(uint16_t port, uint8_t value)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, port);
    assert_non_null(device);
    assert_null(device_access(device, port, 1, true, &(uint64_t){value}));
}

static uint8_t port_read(uint16_t port)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, port);
    uint64_t value = 0;
    assert_non_null(device);
    assert_null(device_access(device, port, 1, false, &value));
    return (uint8_t)value;
}

/* The sequence Linux's init_8259A uses: vectors 0x30 (master) and 0x38 (slave), cascade on line 2. */
static void initialise_pics(void)
{
    port_write(0x20, 0x11);
    port_write(0x21, 0x30);
    port_write(0x21, 0x04);
    port_write(0x21, 0x01);
    port_write(0xa0, 0x11);
    port_write(0xa1, 0x38);
    port_write(0xa1, 0x02);
    port_write(0xa1, 0x01);
}

static void test_pic_delivers_by_priority_and_waits_for_eoi(void **state)
{
    (void)state;
    struct pic pic;
    device_registry_init(&registry);
    assert_int_equal(pic_register(&pic, &registry), ERROR_NONE);
    initialise_pics();
    port_write(0x21, 0xff); /* ICW1 clears the mask; Linux masks everything itself */
    pic_raise(&pic, 4);
    assert_int_equal(pic_pending_vector(&pic), -1); /* masked, but remembered */
    port_write(0x21, 0x00);                         /* unmask all master lines */
    pic_raise(&pic, 0);
    assert_int_equal(pic_pending_vector(&pic), 0x30); /* line 0 outranks line 4 */
    pic_acknowledge(&pic);
    assert_int_equal(pic_pending_vector(&pic), -1); /* line 4 waits behind line 0 in service */
    port_write(0x20, 0x20);                         /* non-specific EOI */
    assert_int_equal(pic_pending_vector(&pic), 0x34);
    port_write(0x20, 0x0b); /* OCW3: read ISR */
    pic_acknowledge(&pic);
    assert_int_equal(port_read(0x20), 0x10);
}

static void test_pic_cascades_slave_lines(void **state)
{
    (void)state;
    struct pic pic;
    device_registry_init(&registry);
    assert_int_equal(pic_register(&pic, &registry), ERROR_NONE);
    initialise_pics();
    port_write(0x21, 0xfb); /* only the cascade line open on the master */
    port_write(0xa1, 0x00);
    pic_raise(&pic, 9);
    assert_int_equal(pic_pending_vector(&pic), 0x39);
    port_write(0xa1, 0xff);
    assert_int_equal(pic_pending_vector(&pic), -1);
}

static uint64_t fake_now;

static uint64_t fake_clock(void *context)
{
    (void)context;
    return fake_now;
}

static void test_pit_periodic_channel0_and_counter_reads(void **state)
{
    (void)state;
    struct pit pit;
    device_registry_init(&registry);
    fake_now = 1000;
    assert_int_equal(pit_register(&pit, &registry, fake_clock, NULL), ERROR_NONE);
    assert_false(pit_channel0_due(&pit, fake_now)); /* not programmed */
    port_write(0x43, 0x34);                         /* channel 0, low/high, rate generator */
    port_write(0x40, 0xa9);                         /* 4777 (0x12a9): about 4 ms */
    port_write(0x40, 0x12);
    uint64_t period = 4777ull * 1000000000ull / PIT_FREQUENCY_HZ;
    assert_false(pit_channel0_due(&pit, fake_now + period - 1));
    assert_true(pit_channel0_due(&pit, fake_now + period));
    assert_false(pit_channel0_due(&pit, fake_now + period)); /* once per period */
    /* Three periods late: one tick, the missed ones coalesced. */
    assert_true(pit_channel0_due(&pit, fake_now + 4 * period));
    assert_false(pit_channel0_due(&pit, fake_now + 4 * period));
    /* A latched count reads low then high byte and lies within the reload value. */
    fake_now += period / 2;
    port_write(0x43, 0x00);
    uint8_t low = port_read(0x40);
    uint8_t high = port_read(0x40);
    uint16_t count = (uint16_t)(low | high << 8);
    assert_true(count > 0 && count <= 4777);
}

static void test_pit_channel2_gate_and_output(void **state)
{
    (void)state;
    struct pit pit;
    device_registry_init(&registry);
    fake_now = 0;
    assert_int_equal(pit_register(&pit, &registry, fake_clock, NULL), ERROR_NONE);
    port_write(0x61, 0x00);
    port_write(0x43, 0xb0); /* channel 2, low/high, mode 0 */
    port_write(0x42, 0xff);
    port_write(0x42, 0xff);
    port_write(0x61, 0x01); /* gate on: counting starts */
    assert_int_equal(port_read(0x61) & 0x20, 0);
    fake_now += 60000000; /* 60 ms: past 65535 counts (55 ms) */
    assert_int_equal(port_read(0x61) & 0x20, 0x20);
}

static void no_interrupt(void *context)
{
    (void)context;
}

static void test_reset_through_keyboard_controller(void **state)
{
    (void)state;
    struct power_control control;
    struct i8042 keyboard_controller;
    device_registry_init(&registry);
    assert_int_equal(power_control_register(&control, &registry), ERROR_NONE);
    assert_int_equal(i8042_register(&keyboard_controller, &registry, &control, no_interrupt, NULL), ERROR_NONE);
    port_write(0x64, 0xaa); /* self test: answered, no reset */
    assert_int_equal(port_read(0x60), 0x55);
    port_write(0x64, 0xff); /* Linux's null command: pulses no line */
    assert_null(control.request);
    port_write(0x64, 0xfe);
    assert_non_null(control.request);
    assert_non_null(strstr(control.request, "keyboard controller's pulse-reset"));
}

static void test_reset_through_port_cf9(void **state)
{
    (void)state;
    struct power_control control;
    device_registry_init(&registry);
    assert_int_equal(power_control_register(&control, &registry), ERROR_NONE);
    port_write(0xcf9, 0x02); /* choose a full reset, as Linux's reboot=pci does first */
    assert_null(control.request);
    assert_int_equal(port_read(0xcf9), 0x02);
    port_write(0xcf9, 0x06);
    assert_non_null(control.request);
    assert_non_null(strstr(control.request, "0xcf9"));
    assert_int_equal(port_read(0xcf9), 0x02); /* the reset bit does not stick */
}

static void test_power_off_through_acpi_sleep_control(void **state)
{
    (void)state;
    struct power_control control;
    device_registry_init(&registry);
    assert_int_equal(power_control_register(&control, &registry), ERROR_NONE);
    port_write(0x601, 0x80);   /* Linux clears the wake status first */
    port_write(0x600, 5 << 2); /* the sleep type alone does nothing until SLP_EN */
    assert_null(control.request);
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, 0x600);
    assert_non_null(device);
    assert_non_null(device_access(device, 0x600, 1, true, &(uint64_t){(3 << 2) | 0x20})); /* S3: not offered */
    assert_null(control.request);
    port_write(0x600, (5 << 2) | 0x20);
    assert_non_null(control.request);
    assert_non_null(strstr(control.request, "powered off"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pic_delivers_by_priority_and_waits_for_eoi),
        cmocka_unit_test(test_pic_cascades_slave_lines),
        cmocka_unit_test(test_pit_periodic_channel0_and_counter_reads),
        cmocka_unit_test(test_pit_channel2_gate_and_output),
        cmocka_unit_test(test_reset_through_keyboard_controller),
        cmocka_unit_test(test_reset_through_port_cf9),
        cmocka_unit_test(test_power_off_through_acpi_sleep_control),
    };
    return cmocka_run_group_tests_name("pc_platform_test", tests, NULL, NULL);
}
