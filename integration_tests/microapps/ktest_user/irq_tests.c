/* Irq objects: delivery as a message, acknowledgement, pending while unbound or in service. */
#include "user_test.h"
#include <kapsel/environment.h>

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

static const struct user_test tests[] = {
    {"irq_triggered_irq_arrives_with_its_label", triggered_irq_arrives_with_its_label},
    {"irq_next_irq_waits_for_acknowledge", next_irq_waits_for_acknowledge},
    {"irq_unbound_irq_is_kept_until_bound", unbound_irq_is_kept_until_bound},
};
TEST_TABLE(irq_tests, tests);
