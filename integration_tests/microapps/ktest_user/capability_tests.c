/* Capability tables: lookup errors, rights, map/grant/revoke, deletion. */
#include "user_test.h"
#include <kapsel/environment.h>

static void invalid_index_is_refused(void)
{
    struct invoke_result result = ipc_call(1u << 20, MESSAGE_TAG(1, 0, 0), NEVER);
    EXPECT_ERROR(result.error, ERROR_INVALID_CAPABILITY);
    EXPECT_ERROR(ipc_call(0, MESSAGE_TAG(1, 0, 0), NEVER).error, ERROR_INVALID_CAPABILITY);
}

static void empty_slot_is_refused(void)
{
    EXPECT_ERROR(ipc_call(slot_new(), MESSAGE_TAG(1, 0, 0), NEVER).error, ERROR_INVALID_CAPABILITY);
}

static void wrong_object_type_is_refused(void)
{
    /* A gate must be bound to a thread; naming a task there is the wrong type. */
    EXPECT_ERROR(factory_create_gate(resources.factory, slot_new(), APP_TASK, 1), ERROR_WRONG_OBJECT_TYPE);
    /* An operation number no task has. */
    EXPECT_ERROR(ipc_call(APP_TASK, MESSAGE_TAG(99, 0, 0), NEVER).error, ERROR_INVALID_OPERATION);
}

static void missing_rights_are_refused(void)
{
    uint64_t read_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(resources.factory, 0, RIGHT_READ, 0), read_only),
                 ERROR_NONE);
    uint64_t quota, used;
    EXPECT_ERROR(factory_info(read_only, &quota, &used), ERROR_NONE);
    EXPECT_ERROR(factory_create_thread(read_only, slot_new()), ERROR_MISSING_RIGHTS);
    /* Without GRANT the copy cannot be passed on. */
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(read_only, 0, RIGHT_READ, 0), slot_new()),
                 ERROR_MISSING_RIGHTS);
    task_unmap_capability(APP_TASK, read_only, UNMAP_SELF);
}

static void map_copies_with_fewer_rights(void)
{
    uint64_t copy = slot_new();
    enum object_type type;
    unsigned rights;
    EXPECT_ERROR(
        task_map_capability(APP_TASK, ITEM_CAPABILITY(resources.factory, 0, RIGHT_READ | RIGHT_GRANT, 0), copy),
        ERROR_NONE);
    EXPECT_ERROR(task_capability_info(APP_TASK, copy, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_FACTORY);
    EXPECT(rights == (RIGHT_READ | RIGHT_GRANT));
    /* The source keeps its capability. */
    EXPECT_ERROR(task_capability_info(APP_TASK, resources.factory, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_FACTORY);
    task_unmap_capability(APP_TASK, copy, UNMAP_SELF);
}

static void grant_moves_the_capability(void)
{
    uint64_t gate = gate_new(APP_THREAD, 5);
    uint64_t moved = slot_new();
    enum object_type type;
    unsigned rights;
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(gate, 0, RIGHTS_ALL, ITEM_GRANT), moved), ERROR_NONE);
    EXPECT_ERROR(task_capability_info(APP_TASK, gate, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_NONE);
    EXPECT_ERROR(task_capability_info(APP_TASK, moved, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_IPC_GATE);
    object_delete(moved);
}

static void occupied_destination_is_refused(void)
{
    uint64_t gate = gate_new(APP_THREAD, 6);
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(gate, 0, RIGHTS_ALL, 0), resources.scheduler),
                 ERROR_SLOT_OCCUPIED);
    object_delete(gate);
}

static void revoked_capability_is_invalid(void)
{
    uint64_t gate = gate_new(APP_THREAD, 7);
    uint64_t copy = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(gate, 0, RIGHTS_ALL, 0), copy), ERROR_NONE);
    EXPECT_ERROR(task_unmap_capability(APP_TASK, gate, 0), ERROR_NONE);
    EXPECT_ERROR(ipc_send(copy, MESSAGE_TAG(1, 0, 0), TIMEOUTS(0, 0)).error, ERROR_INVALID_CAPABILITY);
    /* The original survives an unmap without UNMAP_SELF. */
    enum object_type type;
    unsigned rights;
    EXPECT_ERROR(task_capability_info(APP_TASK, gate, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_IPC_GATE);
    object_delete(gate);
}

static void unmap_revokes_grandchildren_in_other_tasks(void)
{
    uint64_t gate = gate_new(APP_THREAD, 8);
    uint64_t child = slot_new();
    uint64_t task = task_sharing_image();
    EXPECT(task != 0);
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(gate, 0, RIGHTS_ALL, 0), child), ERROR_NONE);
    EXPECT_ERROR(task_map_capability(task, ITEM_CAPABILITY(child, 0, RIGHTS_ALL, 0), 20), ERROR_NONE);
    enum object_type type;
    unsigned rights;
    EXPECT_ERROR(task_capability_info(task, 20, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_IPC_GATE);
    EXPECT_ERROR(task_unmap_capability(APP_TASK, gate, 0), ERROR_NONE);
    EXPECT_ERROR(task_capability_info(task, 20, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_NONE);
    EXPECT_ERROR(task_capability_info(APP_TASK, child, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_NONE);
    object_delete(gate);
    object_delete(task);
}

static void deleting_an_object_invalidates_every_capability(void)
{
    uint64_t gate = gate_new(APP_THREAD, 9);
    uint64_t copy = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(gate, 0, RIGHT_WRITE | RIGHT_GRANT, 0), copy),
                 ERROR_NONE);
    /* The copy lacks RIGHT_DELETE. */
    EXPECT_ERROR(task_delete_object(APP_TASK, copy), ERROR_MISSING_RIGHTS);
    EXPECT_ERROR(task_delete_object(APP_TASK, gate), ERROR_NONE);
    enum object_type type;
    unsigned rights;
    EXPECT_ERROR(task_capability_info(APP_TASK, copy, &type, &rights), ERROR_NONE);
    EXPECT(type == OBJECT_NONE);
    EXPECT_ERROR(ipc_send(copy, MESSAGE_TAG(1, 0, 0), TIMEOUTS(0, 0)).error, ERROR_INVALID_CAPABILITY);
}

static void capability_info_rejects_bad_slots(void)
{
    enum object_type type;
    unsigned rights;
    EXPECT_ERROR(task_capability_info(APP_TASK, 1u << 30, &type, &rights), ERROR_INVALID_CAPABILITY);
    EXPECT_ERROR(task_delete_object(APP_TASK, slot_new()), ERROR_INVALID_CAPABILITY);
}

static const struct user_test tests[] = {
    {"capability_invalid_index_is_refused", invalid_index_is_refused},
    {"capability_empty_slot_is_refused", empty_slot_is_refused},
    {"capability_wrong_object_type_is_refused", wrong_object_type_is_refused},
    {"capability_missing_rights_are_refused", missing_rights_are_refused},
    {"capability_map_copies_with_fewer_rights", map_copies_with_fewer_rights},
    {"capability_grant_moves_the_capability", grant_moves_the_capability},
    {"capability_occupied_destination_is_refused", occupied_destination_is_refused},
    {"capability_revoked_capability_is_invalid", revoked_capability_is_invalid},
    {"capability_unmap_revokes_grandchildren_in_other_tasks", unmap_revokes_grandchildren_in_other_tasks},
    {"capability_delete_invalidates_every_capability", deleting_an_object_invalidates_every_capability},
    {"capability_info_rejects_bad_slots", capability_info_rejects_bad_slots},
};
TEST_TABLE(capability_tests, tests);
