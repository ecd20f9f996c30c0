/* Irq objects: delivery as a message, acknowledgement, pending while unbound or in service. */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>

static void triggered_irq_arrives_with_its_label(void)
{
    uint64_t irq = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, irq), ERROR_NONE);
    EXPECT_ERROR(irq_bind(irq, APP_THREAD, 0x1e), ERROR_NONE);
    EXPECT_ERROR(ipc_receive(irq, TIMEOUTS(0, TIMEOUT_POLL)).error, ERROR_TIMEOUT);
    EXPECT_ERROR(irq_trigger(irq), ERROR_NONE);
    struct invoke_result result = ipc_receive(irq, TIMEOUTS(0, TIMEOUT_POLL));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0x1e);
    object_delete(irq);
}

static void next_irq_waits_for_acknowledge(void)
{
    uint64_t irq = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, irq), ERROR_NONE);
    EXPECT_ERROR(irq_bind(irq, APP_THREAD, 0x2e), ERROR_NONE);
    irq_trigger(irq);
    EXPECT_ERROR(ipc_wait(TIMEOUTS(0, TIMEOUT_POLL)).error, ERROR_NONE);
    /* In service: later triggers become one pending Irq, held back until the acknowledge. */
    irq_trigger(irq);
    irq_trigger(irq);
    EXPECT_ERROR(ipc_wait(TIMEOUTS(0, TIMEOUT_POLL)).error, ERROR_TIMEOUT);
    EXPECT_ERROR(irq_acknowledge(irq), ERROR_NONE);
    struct invoke_result result = ipc_wait(TIMEOUTS(0, TIMEOUT_POLL));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0x2e);
    EXPECT_ERROR(irq_acknowledge(irq), ERROR_NONE);
    EXPECT_ERROR(ipc_wait(TIMEOUTS(0, TIMEOUT_POLL)).error, ERROR_TIMEOUT);
    object_delete(irq);
}

static void unbound_irq_is_kept_until_bound(void)
{
    uint64_t irq = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, irq), ERROR_NONE);
    EXPECT_ERROR(irq_trigger(irq), ERROR_NONE);
    EXPECT_ERROR(irq_bind(irq, APP_THREAD, 0x3e), ERROR_NONE);
    struct invoke_result result = ipc_receive(irq, TIMEOUTS(0, TIMEOUT_POLL));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0x3e);
    EXPECT_ERROR(irq_bind(irq, APP_TASK, 1), ERROR_WRONG_OBJECT_TYPE);
    object_delete(irq);
}

/*
 * The PIT keeps running after the kernel calibrated its timer with it (channel 0, about 18 Hz):
 * a real hardware interrupt source. QEMU wires it to I/O APIC pin 2 on q35 (whose MADT says so
 * with an ISA override) and on microvm (whose MADT has no override), so the test names GSI 2.
 */
static void hardware_line_delivers_and_waits_for_acknowledge(void)
{
    uint64_t icu = capability_named("icu");
    uint64_t lines = 0;
    EXPECT(icu != 0);
    EXPECT_ERROR(icu_info(icu, &lines), ERROR_NONE);
    EXPECT(lines >= 16);
    uint64_t irq = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, irq), ERROR_NONE);
    EXPECT_ERROR(irq_bind(irq, APP_THREAD, 0x50), ERROR_NONE);
    EXPECT_ERROR(icu_bind_line(icu, irq, 2, 0), ERROR_NONE);
    struct invoke_result result = ipc_receive(irq, TIMEOUTS(0, 500));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0x50);
    /* Not acknowledged: the line stays masked, nothing more arrives (the PIT fires every 55 ms). */
    EXPECT_ERROR(ipc_receive(irq, TIMEOUTS(0, 150)).error, ERROR_TIMEOUT);
    EXPECT_ERROR(irq_acknowledge(irq), ERROR_NONE);
    EXPECT_ERROR(ipc_receive(irq, TIMEOUTS(0, 500)).error, ERROR_NONE);
    /* One Irq per line, and lines are checked. */
    uint64_t second = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, second), ERROR_NONE);
    EXPECT_ERROR(icu_bind_line(icu, second, 2, 0), ERROR_BUSY);
    EXPECT_ERROR(icu_bind_line(icu, second, 16, ICU_LINE_ISA), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(icu_bind_line(icu, second, 99, 0), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(icu_bind_line(icu, second, 1, 0x80), ERROR_INVALID_ARGUMENT);
    object_delete(second);
    /* Deleting the Irq releases the line for the next driver. */
    object_delete(irq);
    uint64_t third = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, third), ERROR_NONE);
    EXPECT_ERROR(icu_bind_line(icu, third, 2, 0), ERROR_NONE);
    object_delete(third);
}

static const struct user_test tests[] = {
    {"irq_triggered_irq_arrives_with_its_label", triggered_irq_arrives_with_its_label},
    {"irq_next_irq_waits_for_acknowledge", next_irq_waits_for_acknowledge},
    {"irq_unbound_irq_is_kept_until_bound", unbound_irq_is_kept_until_bound},
    {"irq_hardware_line_delivers_and_waits_for_acknowledge", hardware_line_delivers_and_waits_for_acknowledge},
};
TEST_TABLE(irq_tests, tests);
