/*
 * The 8042 keyboard controller and its PS/2 keyboard (vmm/arch/x86_64/i8042.c, ps2_keyboard.c), through the registry
 * as the exit handlers use them: the command and answer sequences Linux's i8042 and atkbd drivers use to probe them,
 * Ctrl-Alt-Del in each scan code set, IRQ 1 only when enabled and one edge per byte, and garbage.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/i8042.h"

#include <string.h>

#define DATA 0x60
#define STATUS 0x64
#define COMMAND 0x64

#define STATUS_OUTPUT_FULL 0x01
#define STATUS_INPUT_FULL 0x02
#define STATUS_SYSTEM_FLAG 0x04
#define STATUS_LAST_WRITE_COMMAND 0x08
#define STATUS_NOT_LOCKED 0x10
#define STATUS_AUX_DATA 0x20

#define CTR_KEYBOARD_INTERRUPT 0x01
#define CTR_SYSTEM_FLAG 0x04
#define CTR_KEYBOARD_DISABLED 0x10
#define CTR_TRANSLATE 0x40

#define ACK 0xfa
#define RESEND 0xfe

static struct device_registry registry;
static struct power_control power;
static struct i8042 controller;
static unsigned interrupts; /* rising edges on IRQ 1 */

static void count_interrupt(void *context)
{
    assert_ptr_equal(context, &controller);
    interrupts++;
}

static int set_up(void **state)
{
    (void)state;
    device_registry_init(&registry);
    power = (struct power_control){0};
    interrupts = 0;
    assert_int_equal(i8042_register(&controller, &registry, &power, count_interrupt, &controller), ERROR_NONE);
    return 0;
}

static void port_write(uint16_t port, uint8_t value)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, port);
    assert_non_null(device);
    assert_null(device_access(device, port, 1, true, &(uint64_t){value}));
}

static uint8_t port_read(uint16_t port)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, port);
    uint64_t value = 0x5a5a;
    assert_non_null(device);
    assert_null(device_access(device, port, 1, false, &value));
    assert_true(value <= 0xff);
    return (uint8_t)value;
}

static bool output_full(void)
{
    return port_read(STATUS) & STATUS_OUTPUT_FULL;
}

/*
 * Linux's __i8042_command(): waits for the input buffer to be empty before the command and each parameter, then for
 * each answer byte waits for the output buffer (a wait that would time out fails the test) and reads it.
 */
static void i8042_command(uint8_t command, const uint8_t *parameters, unsigned parameter_count, uint8_t *answers,
                          unsigned answer_count)
{
    assert_int_equal(port_read(STATUS) & STATUS_INPUT_FULL, 0);
    port_write(COMMAND, command);
    for (unsigned i = 0; i < parameter_count; i++) {
        assert_int_equal(port_read(STATUS) & STATUS_INPUT_FULL, 0);
        port_write(DATA, parameters[i]);
    }
    for (unsigned i = 0; i < answer_count; i++) {
        uint8_t status = port_read(STATUS);
        assert_true(status & STATUS_OUTPUT_FULL);
        assert_int_equal(status & STATUS_AUX_DATA, 0); /* nothing ever comes from an AUX port */
        answers[i] = port_read(DATA);
    }
}

static uint8_t read_command_byte(void)
{
    uint8_t value;
    i8042_command(0x20, NULL, 0, &value, 1);
    return value;
}

static void write_command_byte(uint8_t value)
{
    i8042_command(0x60, &value, 1, NULL, 0);
}

/* Reads what the keyboard sends, as i8042_interrupt() does: one byte per rising edge of IRQ 1, then nothing more. */
static void expect_sent(const uint8_t *expected, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        assert_int_equal(interrupts, 1);
        interrupts = 0;
        uint8_t status = port_read(STATUS);
        assert_true(status & STATUS_OUTPUT_FULL);
        assert_int_equal(status & STATUS_AUX_DATA, 0);
        assert_int_equal(port_read(DATA), expected[i]);
    }
    assert_int_equal(interrupts, 0);
    assert_false(output_full());
}

#define EXPECT_SENT(...)                                                                                               \
    do {                                                                                                               \
        const uint8_t expected[] = {__VA_ARGS__};                                                                      \
        expect_sent(expected, sizeof(expected));                                                                       \
    } while (0)

/* A byte to the keyboard, as atkbd's ps2_command() sends one through i8042_kbd_write(). */
static void to_keyboard(uint8_t byte)
{
    assert_int_equal(port_read(STATUS) & STATUS_INPUT_FULL, 0);
    port_write(DATA, byte);
}

/* Linux's probe with ACPI (the DSDT's PNP0303 device and no AUX device: i8042.noaux implied): i8042_controller_check,
 * i8042_platform_init's A20 and null commands, i8042_controller_init, then i8042_enable_kbd_port. */
static uint8_t linux_controller_probe(void)
{
    assert_false(output_full()); /* the flush finds a controller that is there, with nothing to read */
    uint8_t a20_on = 0xdf;
    i8042_command(0xd1, &a20_on, 1, NULL, 0);
    i8042_command(0xff, NULL, 0, NULL, 0);
    assert_null(power.request);
    uint8_t first = read_command_byte(), second = read_command_byte();
    assert_int_equal(first, second); /* a stable read */
    assert_int_equal(first, CTR_KEYBOARD_INTERRUPT | CTR_SYSTEM_FLAG | CTR_TRANSLATE);
    assert_true(port_read(STATUS) & STATUS_NOT_LOCKED); /* else "Warning: Keylock active" */
    uint8_t ctr = (uint8_t)((first | CTR_KEYBOARD_DISABLED) & ~CTR_KEYBOARD_INTERRUPT);
    write_command_byte(ctr);
    assert_int_equal(read_command_byte(), ctr);
    assert_false(output_full());
    ctr = (uint8_t)((ctr & ~CTR_KEYBOARD_DISABLED) | CTR_KEYBOARD_INTERRUPT);
    write_command_byte(ctr);
    interrupts = 0; /* the command byte reads above were answers with the interrupt still on: edges Linux ignores */
    return ctr;
}

static void test_linux_controller_probe(void **state)
{
    (void)state;
    linux_controller_probe();
    uint8_t answer;
    i8042_command(0xaa, NULL, 0, &answer, 1); /* i8042_controller_selftest (i8042.reset, suspend) */
    assert_int_equal(answer, 0x55);
    i8042_command(0xab, NULL, 0, &answer, 1);
    assert_int_equal(answer, 0x00);
    assert_null(power.request);
    /* Answers fill the output buffer too: with the interrupt on, each raises IRQ 1, which Linux's handler then finds
     * empty (it runs after i8042_command has read the answer). */
    assert_int_equal(interrupts, 2);
}

/*
 * Without ACPI Linux probes the AUX port (i8042_check_aux): the loop command 0xD3 is not understood, so its 0x5a goes
 * to the keyboard, which answers 0xFE without the AUX bit: the loop fails; the interface test 0xA9 (not understood)
 * then reads that 0xFE, which is neither 0x00, 0xFA nor 0xFF: "no AUX port", at once, and nothing is left over.
 */
static void test_linux_aux_probe_finds_no_aux_port_at_once(void **state)
{
    (void)state;
    write_command_byte(CTR_SYSTEM_FLAG | CTR_TRANSLATE |
                       CTR_KEYBOARD_DISABLED); /* as i8042_controller_init leaves it */
    port_write(COMMAND, 0xd3);
    port_write(DATA, 0x5a);
    uint8_t status = port_read(STATUS);
    assert_true(status & STATUS_OUTPUT_FULL);      /* an answer at once: no 500 ms timeout */
    assert_int_equal(status & STATUS_AUX_DATA, 0); /* "auxerr": the loop failed */
    uint8_t answer;
    i8042_command(0xa9, NULL, 0, &answer, 1);
    assert_int_equal(answer, RESEND);
    assert_false(output_full());
    i8042_command(0xa7, NULL, 0, NULL, 0); /* the other AUX commands change nothing either */
    i8042_command(0xa8, NULL, 0, NULL, 0);
    assert_false(output_full());
    assert_int_equal(interrupts, 0); /* the keyboard interrupt is off during the probe */
}

/* atkbd_probe (identify, deactivate), atkbd_select_set (translated: set 2, no command), atkbd_reset_state (LEDs off,
 * fastest repeat), atkbd_activate; each byte the keyboard sends raises IRQ 1 once. */
static void test_atkbd_probe_translated(void **state)
{
    (void)state;
    linux_controller_probe();
    to_keyboard(0xf2);
    EXPECT_SENT(ACK, 0xab, 0x41); /* an MF2 keyboard behind a translating controller */
    to_keyboard(0xf5);
    EXPECT_SENT(ACK);
    to_keyboard(0xed);
    EXPECT_SENT(ACK);
    to_keyboard(0x00);
    EXPECT_SENT(ACK);
    assert_int_equal(controller.keyboard.leds, 0);
    to_keyboard(0xf3);
    EXPECT_SENT(ACK);
    to_keyboard(0x00);
    EXPECT_SENT(ACK);
    assert_int_equal(controller.keyboard.typematic, 0);
    to_keyboard(0xf4);
    EXPECT_SENT(ACK);
    to_keyboard(0xed); /* later, from the input core: Num Lock and Caps Lock on */
    EXPECT_SENT(ACK);
    to_keyboard(0x06);
    EXPECT_SENT(ACK);
    assert_int_equal(controller.keyboard.leds, 0x06);
    to_keyboard(0xf0); /* the set, as a translating controller reports it */
    EXPECT_SENT(ACK);
    to_keyboard(0x00);
    EXPECT_SENT(ACK, 0x41);
}

/* With i8042.direct (no translation) atkbd sees the keyboard's own identity and sets (atkbd.set=3 selects set 3). */
static void test_atkbd_probe_untranslated_and_scan_code_sets(void **state)
{
    (void)state;
    uint8_t ctr = linux_controller_probe();
    write_command_byte(ctr & (uint8_t)~CTR_TRANSLATE);
    interrupts = 0;
    to_keyboard(0xf2);
    EXPECT_SENT(ACK, 0xab, 0x83);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x03);
    EXPECT_SENT(ACK);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x00);
    EXPECT_SENT(ACK, 0x03);
    to_keyboard(0xfa); /* set 3: every key typematic and make/break */
    EXPECT_SENT(ACK);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x04); /* there is no set 4 */
    EXPECT_SENT(RESEND);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x00);
    EXPECT_SENT(ACK, 0x03);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0xf2); /* a command instead of the argument: the command is carried out */
    EXPECT_SENT(ACK, 0xab, 0x83);
}

static void test_keyboard_reset_echo_resend_and_unknown_commands(void **state)
{
    (void)state;
    linux_controller_probe();
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x01);
    EXPECT_SENT(ACK);
    to_keyboard(0xff); /* reset: acknowledged, then the self test passed; set 2 again */
    EXPECT_SENT(ACK, 0xaa);
    assert_int_equal(controller.keyboard.scan_code_set, 2);
    to_keyboard(0xee);
    EXPECT_SENT(0xee);
    to_keyboard(0xfe); /* resend: the last byte again */
    EXPECT_SENT(0xee);
    to_keyboard(0x12); /* not a command */
    EXPECT_SENT(RESEND);
    to_keyboard(0xef);
    EXPECT_SENT(RESEND);
    to_keyboard(0xfb); /* set 3 per-key types, which take key lists: not offered */
    EXPECT_SENT(RESEND);
    to_keyboard(0xf6); /* defaults, scanning on */
    EXPECT_SENT(ACK);
    assert_true(controller.keyboard.scanning);
}

static void press(void)
{
    assert_null(i8042_press_ctrl_alt_del(&controller));
}

/* Linux's default: translation on, so set 1 (Delete is an extended key: 0xE0 0x53). */
static void test_ctrl_alt_del_in_set_1_when_translated(void **state)
{
    (void)state;
    linux_controller_probe();
    press();
    EXPECT_SENT(0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
}

static void test_ctrl_alt_del_in_sets_2_and_3_without_translation(void **state)
{
    (void)state;
    uint8_t ctr = linux_controller_probe();
    write_command_byte(ctr & (uint8_t)~CTR_TRANSLATE);
    interrupts = 0;
    press();
    EXPECT_SENT(0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x03);
    EXPECT_SENT(ACK);
    press();
    EXPECT_SENT(0x11, 0x19, 0x64, 0xf0, 0x64, 0xf0, 0x19, 0xf0, 0x11);
    to_keyboard(0xf0);
    EXPECT_SENT(ACK);
    to_keyboard(0x01);
    EXPECT_SENT(ACK);
    press();
    EXPECT_SENT(0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
}

/* With the keyboard interrupt off a guest polls: the bytes are there, IRQ 1 stays quiet until the interrupt is
 * enabled with a byte waiting (a rising edge); a disabled keyboard interface holds the keyboard's bytes back. */
static void test_interrupt_only_when_enabled(void **state)
{
    (void)state;
    uint8_t ctr = linux_controller_probe();
    write_command_byte(ctr & (uint8_t)~CTR_KEYBOARD_INTERRUPT);
    press();
    assert_int_equal(interrupts, 0);
    assert_true(output_full());
    assert_int_equal(port_read(DATA), 0x1d);
    assert_int_equal(interrupts, 0);
    write_command_byte(ctr); /* enabled with 0x38 waiting */
    assert_int_equal(interrupts, 1);
    interrupts = 0;
    assert_int_equal(port_read(DATA), 0x38);
    assert_int_equal(interrupts, 1);
    interrupts = 0;
    port_write(COMMAND, 0xad); /* keyboard interface off: 0xE0 is already in the output buffer, the rest waits */
    assert_int_equal(port_read(DATA), 0xe0);
    assert_false(output_full());
    assert_int_equal(interrupts, 0);
    port_write(COMMAND, 0xae);
    EXPECT_SENT(0x53, 0xe0, 0xd3, 0xb8, 0x9d);
    /* Reading an empty output buffer gives the last byte again and raises nothing. */
    assert_int_equal(port_read(DATA), 0x9d);
    assert_int_equal(interrupts, 0);
}

static void test_press_refused_without_scanning_or_unread_keys(void **state)
{
    (void)state;
    linux_controller_probe();
    to_keyboard(0xf5); /* atkbd_deactivate */
    EXPECT_SENT(ACK);
    const char *refused = i8042_press_ctrl_alt_del(&controller);
    assert_non_null(refused);
    assert_non_null(strstr(refused, "scanning"));
    assert_false(output_full());
    assert_int_equal(interrupts, 0);
    to_keyboard(0xf4);
    EXPECT_SENT(ACK);
    press(); /* 8 bytes: one in the output buffer, 7 in the keyboard's */
    refused = i8042_press_ctrl_alt_del(&controller);
    assert_non_null(refused);
    assert_non_null(strstr(refused, "not read"));
    assert_int_equal(interrupts, 1);
    interrupts = 0;
    assert_int_equal(port_read(DATA), 0x1d);
    assert_non_null(i8042_press_ctrl_alt_del(&controller)); /* 6 keyboard bytes still unread */
    EXPECT_SENT(0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
    press(); /* all read: the keys again */
    EXPECT_SENT(0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d);
}

/* However often the VMM presses before Linux's i8042 driver starts, its flush (at most 16 bytes read) finds the
 * output buffer empty in the end, or it would take the controller for absent. */
static void test_presses_before_the_driver_leave_a_controller_to_find(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++) {
        i8042_press_ctrl_alt_del(&controller);
    }
    unsigned flushed = 0;
    while (output_full() && flushed < 16) {
        port_read(DATA);
        flushed++;
    }
    assert_true(flushed < 16);
    assert_false(output_full());
}

static void test_status_command_byte_and_output_port(void **state)
{
    (void)state;
    assert_int_equal(port_read(STATUS), STATUS_NOT_LOCKED | STATUS_SYSTEM_FLAG);
    port_write(COMMAND, 0x60);
    assert_int_equal(port_read(STATUS) & STATUS_LAST_WRITE_COMMAND, STATUS_LAST_WRITE_COMMAND);
    port_write(DATA, 0xff); /* the reserved bit 7 stays 0 */
    assert_int_equal(port_read(STATUS) & STATUS_LAST_WRITE_COMMAND, 0);
    assert_int_equal(read_command_byte(), 0x7f);
    interrupts = 0;
    write_command_byte(0x00); /* no system flag */
    assert_int_equal(port_read(STATUS) & STATUS_SYSTEM_FLAG, 0);
    uint8_t output_port;
    i8042_command(0xd0, NULL, 0, &output_port, 1);
    assert_int_equal(output_port, 0x03); /* CPU running, A20 on */
    uint8_t value = 0x01;
    i8042_command(0xd1, &value, 1, NULL, 0);
    i8042_command(0xd0, NULL, 0, &output_port, 1);
    assert_int_equal(output_port, 0x01);
    assert_null(power.request);
    port_write(COMMAND, 0xd1); /* a new command abandons the one waiting for its data byte */
    port_write(COMMAND, 0x20);
    port_write(DATA, 0x00); /* so this goes to the keyboard, not to the output port */
    assert_null(power.request);
    port_write(COMMAND, 0xf1); /* pulses bits 1-3, not the reset line */
    assert_null(power.request);
    value = 0x00; /* the reset line low */
    i8042_command(0xd1, &value, 1, NULL, 0);
    assert_non_null(power.request);
    assert_non_null(strstr(power.request, "keyboard controller's output port"));
}

static void test_every_pulse_of_the_reset_line_resets(void **state)
{
    (void)state;
    for (unsigned command = 0xf0; command <= 0xff; command++) {
        power.request = NULL;
        port_write(COMMAND, (uint8_t)command);
        if (command & 1) {
            assert_null(power.request);
        } else {
            assert_non_null(power.request);
            assert_non_null(strstr(power.request, "pulse-reset"));
        }
    }
}

/* xorshift32: a fixed sequence of garbage. */
static uint32_t next_random(uint32_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    return *seed;
}

/* Any bytes in any order: only the defined status bits, a bounded keyboard buffer, wider accesses refused; after
 * it all the controller and keyboard still work. */
static void test_garbage_is_survived(void **state)
{
    (void)state;
    uint32_t seed = 0x8042;
    for (int i = 0; i < 200000; i++) {
        uint32_t random = next_random(&seed);
        uint8_t byte = (uint8_t)(random >> 8);
        switch (random & 7) {
        case 0:
        case 1:
            port_write(COMMAND, byte);
            break;
        case 2:
        case 3:
            port_write(DATA, byte);
            break;
        case 4:
            port_read(DATA);
            break;
        case 5:
            assert_int_equal(port_read(STATUS) & 0xe2, 0); /* no AUX, timeout, parity, never busy */
            break;
        case 6:
            i8042_press_ctrl_alt_del(&controller);
            break;
        default: {
            const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, byte & 1 ? DATA : STATUS);
            uint64_t value = byte;
            assert_non_null(device_access(device, device->base, 2, random & 8, &value));
            break;
        }
        }
        assert_true(controller.keyboard.count <= PS2_KEYBOARD_BUFFER_SIZE);
        assert_true(controller.keyboard.head < PS2_KEYBOARD_BUFFER_SIZE);
    }
    power.request = NULL;
    write_command_byte(CTR_SYSTEM_FLAG | CTR_TRANSLATE);
    while (output_full()) { /* what the garbage left: at most the output buffer and the keyboard's */
        port_read(DATA);
    }
    write_command_byte(CTR_KEYBOARD_INTERRUPT | CTR_SYSTEM_FLAG | CTR_TRANSLATE);
    interrupts = 0;
    to_keyboard(0xff);
    EXPECT_SENT(ACK, 0xaa);
    to_keyboard(0xf2);
    EXPECT_SENT(ACK, 0xab, 0x41);
    assert_null(power.request);
}

#define I8042_TEST(name) cmocka_unit_test_setup(name, set_up)

int main(void)
{
    const struct CMUnitTest tests[] = {
        I8042_TEST(test_linux_controller_probe),
        I8042_TEST(test_linux_aux_probe_finds_no_aux_port_at_once),
        I8042_TEST(test_atkbd_probe_translated),
        I8042_TEST(test_atkbd_probe_untranslated_and_scan_code_sets),
        I8042_TEST(test_keyboard_reset_echo_resend_and_unknown_commands),
        I8042_TEST(test_ctrl_alt_del_in_set_1_when_translated),
        I8042_TEST(test_ctrl_alt_del_in_sets_2_and_3_without_translation),
        I8042_TEST(test_interrupt_only_when_enabled),
        I8042_TEST(test_press_refused_without_scanning_or_unread_keys),
        I8042_TEST(test_presses_before_the_driver_leave_a_controller_to_find),
        I8042_TEST(test_status_command_byte_and_output_port),
        I8042_TEST(test_every_pulse_of_the_reset_line_resets),
        I8042_TEST(test_garbage_is_survived),
    };
    return cmocka_run_group_tests_name("i8042_test", tests, NULL, NULL);
}
