/* Memory: map with fewer rights, grant, IPC map items and windows, recursive unmap. */
#include "user_test.h"
#include <kapsel/environment.h>

static uint8_t pages[8][4096] __attribute__((aligned(4096)));
static volatile uint64_t window_base;
static volatile uint64_t seen_value;

static uint64_t page_of(const void *address)
{
    return (uint64_t)(uintptr_t)address >> 12;
}

static bool mapped(uint64_t task, uint64_t address, unsigned *rights)
{
    bool is_mapped = false;
    unsigned unused;
    EXPECT_ERROR(task_memory_info(task, address, &is_mapped, rights ? rights : &unused), ERROR_NONE);
    return is_mapped;
}

static void map_shares_the_page_with_fewer_rights(void)
{
    uint64_t alias = address_new(1);
    pages[0][0] = 0x5a;
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(page_of(pages[0]), 0, MEMORY_READ, 0), alias), ERROR_NONE);
    unsigned rights = 0;
    EXPECT(mapped(APP_TASK, alias, &rights));
    EXPECT(rights == MEMORY_READ);
    EXPECT(*(volatile uint8_t *)(uintptr_t)alias == 0x5a);
    pages[0][0] = 0xa5;
    EXPECT(*(volatile uint8_t *)(uintptr_t)alias == 0xa5);
    EXPECT_ERROR(task_unmap(APP_TASK, ITEM_MEMORY(alias >> 12, 0, 0, 0), UNMAP_SELF), ERROR_NONE);
    EXPECT(!mapped(APP_TASK, alias, NULL));
    EXPECT(mapped(APP_TASK, (uint64_t)(uintptr_t)pages[0], NULL));
}

static void unmap_revokes_grandchildren_across_tasks(void)
{
    uint64_t child = address_new(1);
    uint64_t grandchild = address_new(1);
    uint64_t task = task_sharing_image();
    uint64_t far = 0x0000600000000000ull;
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(page_of(pages[1]), 0, MEMORY_ALL, 0), child), ERROR_NONE);
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(child >> 12, 0, MEMORY_ALL, 0), grandchild), ERROR_NONE);
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(grandchild >> 12, 0, MEMORY_ALL, 0), far), ERROR_NONE);
    EXPECT(mapped(task, far, NULL));
    /* Revoke everything derived from pages[1], but keep pages[1] itself. */
    EXPECT_ERROR(task_unmap(APP_TASK, ITEM_MEMORY(page_of(pages[1]), 0, 0, 0), 0), ERROR_NONE);
    EXPECT(!mapped(APP_TASK, child, NULL));
    EXPECT(!mapped(APP_TASK, grandchild, NULL));
    EXPECT(!mapped(task, far, NULL));
    EXPECT(mapped(APP_TASK, (uint64_t)(uintptr_t)pages[1], NULL));
    object_delete(task);
}

static void grant_moves_the_page(void)
{
    uint64_t source = address_new(1);
    uint64_t destination = address_new(1);
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(page_of(pages[2]), 0, MEMORY_ALL, 0), source), ERROR_NONE);
    *(volatile uint64_t *)(uintptr_t)source = 0x1234;
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(source >> 12, 0, MEMORY_ALL, ITEM_GRANT), destination), ERROR_NONE);
    EXPECT(!mapped(APP_TASK, source, NULL));
    EXPECT(mapped(APP_TASK, destination, NULL));
    EXPECT(*(volatile uint64_t *)(uintptr_t)destination == 0x1234);
    task_unmap(APP_TASK, ITEM_MEMORY(destination >> 12, 0, 0, 0), UNMAP_SELF);
}

static void bad_map_requests_are_refused(void)
{
    /* Misaligned destination for a 2-page item, kernel-half destination, and a UTCB in the way. */
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(page_of(pages[4]), 1, MEMORY_ALL, 0), address_new(3) + 4096),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(page_of(pages[4]), 0, MEMORY_ALL, 0), 0xffff800000000000ull),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(page_of(pages[4]), 0, MEMORY_ALL, 0), APP_UTCB_ADDRESS),
                 ERROR_SLOT_OCCUPIED);
    /* The UTCB itself is the kernel's: it cannot be mapped on (it has no mapping record: skipped). */
    uint64_t target = address_new(1);
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(APP_UTCB_ADDRESS >> 12, 0, MEMORY_ALL, 0), target), ERROR_NONE);
    EXPECT(!mapped(APP_TASK, target, NULL));
    bool is_mapped;
    unsigned rights;
    EXPECT_ERROR(task_memory_info(APP_TASK, 0xffffffff80000000ull, &is_mapped, &rights), ERROR_OUT_OF_RANGE);
}

/* Opens a receive window at window_base, takes one message and reports the first word it finds there. */
static void window_receiver(void)
{
    utcb()->memory_window = ITEM_MEMORY(window_base >> 12, 2, 0, 0);
    struct invoke_result result = ipc_wait(NEVER);
    for (;;) {
        seen_value = result.error == ERROR_NONE ? *(volatile uint64_t *)(uintptr_t)(window_base + 4096) : 0;
        result = ipc_reply_and_wait(MESSAGE_TAG(0, 0, 0), NEVER);
    }
}

static void ipc_map_item_lands_in_the_receive_window(void)
{
    uint64_t task = task_sharing_image();
    window_base = 0x0000610000000000ull;
    uint64_t receiver = thread_start_in(task, window_receiver, resources.priority + 1, 0);
    uint64_t gate = gate_new(receiver, 1);
    *(volatile uint64_t *)(uintptr_t)pages[3] = 0xfeedface;
    struct utcb *u = utcb();
    u->message[0] = ITEM_MEMORY(page_of(pages[3]), 0, MEMORY_READ, 0);
    u->message[1] = 4096; /* second page of the window */
    EXPECT_ERROR(ipc_call(gate, MESSAGE_TAG(1, 0, 1), NEVER).error, ERROR_NONE);
    EXPECT(seen_value == 0xfeedface);
    unsigned rights = 0;
    EXPECT(mapped(task, window_base + 4096, &rights));
    EXPECT(rights == MEMORY_READ);
    /* Outside the window (4 pages): refused, nothing mapped. */
    u->message[0] = ITEM_MEMORY(page_of(pages[3]), 0, MEMORY_READ, 0);
    u->message[1] = 4 * 4096;
    EXPECT_ERROR(ipc_call(gate, MESSAGE_TAG(1, 0, 1), NEVER).error, ERROR_OUT_OF_RANGE);
    EXPECT(!mapped(task, window_base + 4 * 4096, NULL));
    object_delete(gate);
    object_delete(task);
    object_delete(receiver);
}

static volatile uint64_t received_slot_type;
static void capability_receiver(void)
{
    utcb()->capability_window = ITEM_CAPABILITY(100, 2, 0, 0);
    struct invoke_result result = ipc_wait(NEVER);
    for (;;) {
        enum object_type type = OBJECT_NONE;
        unsigned rights;
        if (result.error == ERROR_NONE) {
            task_capability_info(APP_TASK, 101, &type, &rights);
        }
        received_slot_type = type;
        result = ipc_reply_and_wait(MESSAGE_TAG(0, 0, 0), NEVER);
    }
}

static void ipc_capability_item_lands_in_the_window(void)
{
    uint64_t task = task_sharing_image();
    /* The receiver inspects its own table through APP_TASK, so it needs its task capability there. */
    EXPECT_ERROR(task_map_capability(task, ITEM_CAPABILITY(task, 0, RIGHT_READ | RIGHT_WRITE, 0), APP_TASK),
                 ERROR_NONE);
    uint64_t receiver = thread_start_in(task, capability_receiver, resources.priority + 1, 0);
    uint64_t gate = gate_new(receiver, 1);
    uint64_t irq = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, irq), ERROR_NONE);
    struct utcb *u = utcb();
    u->message[0] = ITEM_CAPABILITY(irq, 0, RIGHT_WRITE, 0);
    u->message[1] = 1; /* slot 101 */
    EXPECT_ERROR(ipc_call(gate, MESSAGE_TAG(1, 0, 1), NEVER).error, ERROR_NONE);
    EXPECT(received_slot_type == OBJECT_IRQ);
    object_delete(irq);
    object_delete(gate);
    object_delete(task);
    object_delete(receiver);
}

static const struct user_test tests[] = {
    {"memory_map_shares_the_page_with_fewer_rights", map_shares_the_page_with_fewer_rights},
    {"memory_unmap_revokes_grandchildren_across_tasks", unmap_revokes_grandchildren_across_tasks},
    {"memory_grant_moves_the_page", grant_moves_the_page},
    {"memory_bad_map_requests_are_refused", bad_map_requests_are_refused},
    {"memory_ipc_map_item_lands_in_the_receive_window", ipc_map_item_lands_in_the_receive_window},
    {"memory_ipc_capability_item_lands_in_the_window", ipc_capability_item_lands_in_the_window},
};
TEST_TABLE(memory_tests, tests);
