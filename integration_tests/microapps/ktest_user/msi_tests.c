/*
 * Message-signalled interrupts through the Icu: ICU_BIND_MSI hands out a vector of a pool with the
 * (address, data) pair a device is programmed with, ICU_UNBIND and deleting the Irq give it back.
 * User mode cannot write the local APIC's message window, so delivery itself is the kernel self
 * test's (kernel/tests/ktest_msi.c, a self-IPI); here: the invocation and its argument checks.
 */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>

#define MSI_ADDRESS_WINDOW 0xfee00000ull     /* x86: the local APICs' 1 MiB message window */
#define MSI_ADDRESS_FIXED_BITS 0xfff00fffull /* all but the destination APIC ID (bits 19:12) */
#define FIRST_INTERRUPT_VECTOR 0x20          /* below: CPU exceptions */
#define CHILD_SLOTS 256

static uint64_t new_irq(void)
{
    uint64_t irq = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, irq), ERROR_NONE);
    return irq;
}

static uint64_t free_vectors(uint64_t icu)
{
    uint64_t total = 0, available = 0;
    EXPECT_ERROR(icu_msi_info(icu, &total, &available), ERROR_NONE);
    EXPECT(available <= total);
    return available;
}

static void bind_msi_returns_address_and_data(void)
{
    uint64_t icu = capability_named("icu");
    uint64_t total = 0, available = 0;
    EXPECT_ERROR(icu_msi_info(icu, &total, &available), ERROR_NONE);
    EXPECT(total > 0);
    EXPECT(available > 0 && available <= total);
    uint64_t irq = new_irq();
    uint64_t address = 0;
    uint32_t data = 0;
    EXPECT_ERROR(icu_bind_msi(icu, irq, &address, &data), ERROR_NONE);
    EXPECT((address & MSI_ADDRESS_FIXED_BITS) == MSI_ADDRESS_WINDOW);
    EXPECT(data >= FIRST_INTERRUPT_VECTOR && data <= 0xff); /* the vector; edge-triggered, fixed delivery */
    EXPECT(free_vectors(icu) == available - 1);
    /* Still an Irq like any other: bound to a thread, it arrives with its label. */
    EXPECT_ERROR(irq_bind(irq, APP_THREAD, 0x4d), ERROR_NONE);
    EXPECT_ERROR(irq_trigger(irq), ERROR_NONE);
    struct invoke_result result = ipc_receive(irq, TIMEOUTS(0, TIMEOUT_POLL));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0x4d);
    EXPECT_ERROR(irq_acknowledge(irq), ERROR_NONE);
    /* One binding per Irq: a second vector, or a line, is refused. */
    uint64_t other_address = 0;
    uint32_t other_data = 0;
    EXPECT_ERROR(icu_bind_msi(icu, irq, &other_address, &other_data), ERROR_BUSY);
    EXPECT_ERROR(icu_bind_line(icu, irq, 2, 0), ERROR_BUSY);
    EXPECT(free_vectors(icu) == available - 1);
    /* Unbinding frees the vector; then there is nothing left to unbind. */
    EXPECT_ERROR(icu_unbind(icu, irq), ERROR_NONE);
    EXPECT(free_vectors(icu) == available);
    EXPECT_ERROR(icu_unbind(icu, irq), ERROR_NOT_FOUND);
    /* Deleting a bound Irq frees its vector too. */
    EXPECT_ERROR(icu_bind_msi(icu, irq, &address, &data), ERROR_NONE);
    EXPECT(free_vectors(icu) == available - 1);
    object_delete(irq);
    EXPECT(free_vectors(icu) == available);
}

/*
 * Every vector of the pool, bound: the Irqs live in a child task's table (granted there one by one),
 * so the test needs few of its own slots, and deleting that task deletes them all.
 */
static void pool_exhaustion_and_reuse(void)
{
    uint64_t icu = capability_named("icu");
    uint64_t total = 0, available = 0;
    EXPECT_ERROR(icu_msi_info(icu, &total, &available), ERROR_NONE);
    EXPECT(available > 0 && available < CHILD_SLOTS);
    uint64_t holder = slot_new();
    EXPECT_ERROR(factory_create_task(resources.factory, holder, CHILD_SLOTS), ERROR_NONE);
    uint64_t first = new_irq();
    uint64_t first_address = 0;
    uint32_t first_data = 0;
    EXPECT_ERROR(icu_bind_msi(icu, first, &first_address, &first_data), ERROR_NONE);
    uint64_t scratch = slot_new();
    uint64_t bound = 1, data_seen_twice = 0;
    uint32_t seen[256 / 32] = {0};
    seen[first_data / 32] |= 1u << (first_data % 32);
    enum error error = ERROR_NONE;
    while (bound <= available && error == ERROR_NONE) {
        EXPECT_ERROR(factory_create_irq(resources.factory, scratch), ERROR_NONE);
        uint64_t address = 0;
        uint32_t data = 0;
        error = icu_bind_msi(icu, scratch, &address, &data);
        if (error == ERROR_NONE) {
            bound++;
            data_seen_twice += (seen[data % 256 / 32] >> (data % 32)) & 1;
            seen[data % 256 / 32] |= 1u << (data % 32);
            EXPECT(address == first_address);
            EXPECT_ERROR(task_map_capability(holder, ITEM_CAPABILITY(scratch, 0, RIGHTS_ALL, ITEM_GRANT), bound),
                         ERROR_NONE);
        }
    }
    /* The pool ran out exactly when every free vector was taken, each one once. */
    EXPECT_ERROR(error, ERROR_TOO_MANY);
    EXPECT(bound == available);
    EXPECT(data_seen_twice == 0);
    EXPECT(free_vectors(icu) == 0);
    /* The Irq that found the pool empty is unchanged: bound to nothing. */
    EXPECT_ERROR(icu_unbind(icu, scratch), ERROR_NOT_FOUND);
    /* A vector given back is the one the next Irq gets. */
    EXPECT_ERROR(icu_unbind(icu, first), ERROR_NONE);
    uint64_t address = 0;
    uint32_t data = 0;
    EXPECT_ERROR(icu_bind_msi(icu, scratch, &address, &data), ERROR_NONE);
    EXPECT(address == first_address && data == first_data);
    EXPECT_ERROR(icu_bind_msi(icu, first, &address, &data), ERROR_TOO_MANY);
    /* Deleting the task deletes the Irqs only it held, and their vectors are free again. */
    object_delete(holder);
    EXPECT(free_vectors(icu) == available - 1);
    object_delete(scratch);
    object_delete(first);
    EXPECT(free_vectors(icu) == available);
}

static void bind_msi_checks_its_arguments(void)
{
    uint64_t icu = capability_named("icu");
    uint64_t available = free_vectors(icu);
    uint64_t irq = new_irq();
    uint64_t address = 0;
    uint32_t data = 0;
    /* Not an Irq, no capability at all. */
    EXPECT_ERROR(icu_bind_msi(icu, APP_THREAD, &address, &data), ERROR_WRONG_OBJECT_TYPE);
    EXPECT_ERROR(icu_bind_msi(icu, slot_new(), &address, &data), ERROR_INVALID_CAPABILITY);
    EXPECT_ERROR(icu_bind_msi(icu, 1u << 20, &address, &data), ERROR_INVALID_CAPABILITY);
    EXPECT_ERROR(icu_unbind(icu, APP_TASK), ERROR_WRONG_OBJECT_TYPE);
    /* The Irq word is missing. */
    utcb()->message[0] = irq;
    EXPECT_ERROR(ipc_call(icu, MESSAGE_TAG(ICU_BIND_MSI, 0, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)).error,
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_call(icu, MESSAGE_TAG(ICU_UNBIND, 0, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)).error,
                 ERROR_INVALID_ARGUMENT);
    /* An Irq the caller may only query, and an Icu it may only query (or only invoke). */
    uint64_t irq_read_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(irq, 0, RIGHT_READ, 0), irq_read_only), ERROR_NONE);
    EXPECT_ERROR(icu_bind_msi(icu, irq_read_only, &address, &data), ERROR_MISSING_RIGHTS);
    EXPECT_ERROR(icu_unbind(icu, irq_read_only), ERROR_MISSING_RIGHTS);
    uint64_t icu_read_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(icu, 0, RIGHT_READ, 0), icu_read_only), ERROR_NONE);
    EXPECT_ERROR(icu_bind_msi(icu_read_only, irq, &address, &data), ERROR_MISSING_RIGHTS);
    EXPECT_ERROR(icu_unbind(icu_read_only, irq), ERROR_MISSING_RIGHTS);
    EXPECT(free_vectors(icu_read_only) == available);
    uint64_t icu_write_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(icu, 0, RIGHT_WRITE, 0), icu_write_only), ERROR_NONE);
    uint64_t total = 0, free_count = 0;
    EXPECT_ERROR(icu_msi_info(icu_write_only, &total, &free_count), ERROR_MISSING_RIGHTS);
    /* None of the refusals took a vector. */
    EXPECT(free_vectors(icu) == available);
    /* The write-only Icu may bind; the Irq's query-only copy does not keep the vector once the Irq is deleted. */
    EXPECT_ERROR(icu_bind_msi(icu_write_only, irq, &address, &data), ERROR_NONE);
    EXPECT(free_vectors(icu) == available - 1);
    object_delete(irq);
    EXPECT(free_vectors(icu) == available);
    task_unmap_capability(APP_TASK, icu_read_only, UNMAP_SELF);
    task_unmap_capability(APP_TASK, icu_write_only, UNMAP_SELF);
}

/* ICU_UNBIND releases a hardware line as well: another Irq may take it at once. */
static void unbind_releases_a_line(void)
{
    uint64_t icu = capability_named("icu");
    uint64_t irq = new_irq();
    uint64_t other = new_irq();
    EXPECT_ERROR(icu_bind_line(icu, irq, 2, 0), ERROR_NONE);
    EXPECT_ERROR(icu_bind_line(icu, other, 2, 0), ERROR_BUSY);
    uint64_t address = 0;
    uint32_t data = 0;
    EXPECT_ERROR(icu_bind_msi(icu, irq, &address, &data), ERROR_BUSY);
    EXPECT_ERROR(icu_unbind(icu, irq), ERROR_NONE);
    EXPECT_ERROR(icu_unbind(icu, irq), ERROR_NOT_FOUND);
    EXPECT_ERROR(icu_bind_line(icu, other, 2, 0), ERROR_NONE);
    object_delete(other);
    object_delete(irq);
}

static const struct user_test tests[] = {
    {"msi_bind_returns_address_and_data", bind_msi_returns_address_and_data},
    {"msi_pool_exhaustion_and_reuse", pool_exhaustion_and_reuse},
    {"msi_bind_checks_its_arguments", bind_msi_checks_its_arguments},
    {"msi_unbind_releases_a_line", unbind_releases_a_line},
};
TEST_TABLE(msi_tests, tests);
