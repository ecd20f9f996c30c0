/* Unit tests for the emulated devices (vmm/devices/), through the registry as the exit handlers use them. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "devices/serial.h"
#include "devices/test_device.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct device_registry registry;
static struct serial serial;
static struct test_device test_device;
static char output[4096];
static int saved_stdout = -1;

/* Printed lines go to a temporary file, read back by captured(). */
static FILE *capture_file;

static int set_up(void **state)
{
    (void)state;
    device_registry_init(&registry);
    assert_int_equal(serial_register(&serial, &registry, SERIAL_COM1_PORT), ERROR_NONE);
    assert_int_equal(test_device_register(&test_device, &registry), ERROR_NONE);
    fflush(stdout);
    capture_file = tmpfile();
    assert_non_null(capture_file);
    saved_stdout = dup(STDOUT_FILENO);
    dup2(fileno(capture_file), STDOUT_FILENO);
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    fclose(capture_file);
    return 0;
}

static const char *captured(void)
{
    fflush(stdout);
    rewind(capture_file);
    size_t length = fread(output, 1, sizeof(output) - 1, capture_file);
    output[length] = '\0';
    return output;
}

static const char *port(uint16_t number, bool is_write, uint64_t *value)
{
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, number);
    assert_non_null(device);
    return device_access(device, number, 1, is_write, value);
}

static void transmit(const char *text)
{
    for (; *text; text++) {
        uint64_t value = (uint8_t)*text;
        assert_null(port(SERIAL_COM1_PORT, true, &value));
    }
}

static void test_serial_prints_whole_lines(void **state)
{
    (void)state;
    transmit("hello");
    assert_string_equal(captured(), "");
    transmit(" world\r\nsecond\n");
    assert_string_equal(captured(), "guest: hello world\nguest: second\n");
    transmit("tail\a");
    serial_flush(&serial);
    serial_flush(&serial);
    assert_string_equal(captured(), "guest: hello world\nguest: second\nguest: tail?\n");
}

static void test_serial_splits_long_lines(void **state)
{
    (void)state;
    char line[CONSOLE_LINE_MAX + 2];
    memset(line, 'x', CONSOLE_LINE_MAX + 1);
    line[CONSOLE_LINE_MAX + 1] = '\0';
    transmit(line);
    transmit("\n");
    char expected[2 * CONSOLE_LINE_MAX + 32];
    snprintf(expected, sizeof(expected), "guest: %.*s\nguest: x\n", CONSOLE_LINE_MAX, line);
    assert_string_equal(captured(), expected);
}

static char observed[4][CONSOLE_LINE_MAX + 1];
static unsigned observed_count;

static void observe(void *context, const char *line)
{
    assert_ptr_equal(context, &serial);
    if (observed_count < 4) {
        strcpy(observed[observed_count], line);
    }
    observed_count++;
}

/* An observer (--shutdown-after-line) sees each line as printed: split, without CR, control bytes as '?'. */
static void test_serial_lines_observed(void **state)
{
    (void)state;
    observed_count = 0;
    console_lines_observe(&serial.output, observe, &serial);
    char line[CONSOLE_LINE_MAX + 2];
    memset(line, 'x', CONSOLE_LINE_MAX + 1);
    line[CONSOLE_LINE_MAX + 1] = '\0';
    transmit("KAPSEL-READY\a\r\n");
    transmit(line);
    assert_int_equal(observed_count, 2);
    transmit("\n");
    serial_flush(&serial);
    assert_int_equal(observed_count, 3);
    assert_string_equal(observed[0], "KAPSEL-READY?");
    assert_int_equal(strlen(observed[1]), CONSOLE_LINE_MAX);
    assert_string_equal(observed[2], "x");
}

static void test_serial_registers(void **state)
{
    (void)state;
    uint64_t value = 0xff;
    assert_null(port(SERIAL_COM1_PORT + 5, false, &value));
    assert_int_equal(value, 0x60); /* transmitter empty */
    assert_null(port(SERIAL_COM1_PORT + 2, false, &value));
    assert_int_equal(value, 0x01); /* no interrupt pending */
    assert_null(port(SERIAL_COM1_PORT, false, &value));
    assert_int_equal(value, 0); /* no input */
    /* Divisor latch: with DLAB set, offsets 0 and 1 hold the divisor and print nothing. */
    value = 0x83;
    assert_null(port(SERIAL_COM1_PORT + 3, true, &value));
    value = 0x01;
    assert_null(port(SERIAL_COM1_PORT, true, &value));
    value = 0x00;
    assert_null(port(SERIAL_COM1_PORT + 1, true, &value));
    assert_null(port(SERIAL_COM1_PORT, false, &value));
    assert_int_equal(value, 0x01);
    value = 0x03;
    assert_null(port(SERIAL_COM1_PORT + 3, true, &value));
    assert_null(port(SERIAL_COM1_PORT + 3, false, &value));
    assert_int_equal(value, 0x03);
    /* IER and scratch read back what was written. */
    value = 0x0f;
    assert_null(port(SERIAL_COM1_PORT + 1, true, &value));
    assert_null(port(SERIAL_COM1_PORT + 1, false, &value));
    assert_int_equal(value, 0x0f);
    value = 0x5a;
    assert_null(port(SERIAL_COM1_PORT + 7, true, &value));
    assert_null(port(SERIAL_COM1_PORT + 7, false, &value));
    assert_int_equal(value, 0x5a);
    assert_string_equal(captured(), "");
    /* Only byte accesses. */
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_PORT, SERIAL_COM1_PORT);
    assert_non_null(device_access(device, SERIAL_COM1_PORT, 2, false, &value));
    assert_non_null(device_access(device, SERIAL_COM1_PORT + 4, 4, true, &value));
}

static void test_test_device_registers(void **state)
{
    (void)state;
    const struct device *device = device_registry_find(&registry, DEVICE_SPACE_MMIO, TEST_DEVICE_BASE);
    assert_non_null(device);
    uint64_t value = 0x1234abcd;
    assert_null(device_access(device, TEST_DEVICE_BASE, 4, true, &value));
    value = 0;
    assert_null(device_access(device, TEST_DEVICE_BASE, 4, false, &value));
    assert_int_equal(value, 0x1234abcd);
    assert_null(device_access(device, TEST_DEVICE_BASE + 4, 4, false, &value));
    assert_int_equal(value, 0x4b415053);
    assert_non_null(strstr(device_access(device, TEST_DEVICE_BASE + 4, 4, true, &value), "read-only"));
    assert_non_null(strstr(device_access(device, TEST_DEVICE_BASE + 8, 4, false, &value), "no register"));
    assert_non_null(device_access(device, TEST_DEVICE_BASE, 1, false, &value));
    assert_non_null(device_access(device, TEST_DEVICE_BASE + 2, 4, false, &value));
    assert_null(device_registry_find(&registry, DEVICE_SPACE_MMIO, TEST_DEVICE_BASE + TEST_DEVICE_SIZE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serial_prints_whole_lines, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_serial_splits_long_lines, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_serial_lines_observed, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_serial_registers, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_test_device_registers, set_up, tear_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
