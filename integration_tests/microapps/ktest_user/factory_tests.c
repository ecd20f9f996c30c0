/* Factories: every object type, quotas and their refund, bad arguments. */
#include "user_test.h"
#include <kapsel/environment.h>

static void creates_every_object_type(void)
{
    struct {
        enum object_type type;
        uint64_t slot;
    } made[5];
    uint64_t thread = slot_new();
    made[0].type = OBJECT_TASK;
    made[0].slot = slot_new();
    EXPECT_ERROR(factory_create_task(resources.factory, made[0].slot, 16), ERROR_NONE);
    made[1].type = OBJECT_THREAD;
    made[1].slot = thread;
    EXPECT_ERROR(factory_create_thread(resources.factory, thread), ERROR_NONE);
    made[2].type = OBJECT_IPC_GATE;
    made[2].slot = slot_new();
    EXPECT_ERROR(factory_create_gate(resources.factory, made[2].slot, thread, 1), ERROR_NONE);
    made[3].type = OBJECT_IRQ;
    made[3].slot = slot_new();
    EXPECT_ERROR(factory_create_irq(resources.factory, made[3].slot), ERROR_NONE);
    made[4].type = OBJECT_FACTORY;
    made[4].slot = slot_new();
    EXPECT_ERROR(factory_create_factory(resources.factory, made[4].slot, 65536), ERROR_NONE);
    for (int i = 0; i < 5; i++) {
        enum object_type type;
        unsigned rights;
        EXPECT_ERROR(task_capability_info(APP_TASK, made[i].slot, &type, &rights), ERROR_NONE);
        EXPECT(type == made[i].type);
        EXPECT(rights == RIGHTS_ALL);
    }
    for (int i = 4; i >= 0; i--) {
        object_delete(made[i].slot);
    }
}

static void quota_exhaustion_is_an_error_and_deletion_refunds(void)
{
    uint64_t small = slot_new();
    EXPECT_ERROR(factory_create_factory(resources.factory, small, 64 * 1024), ERROR_NONE);
    uint64_t quota, used_before, used;
    EXPECT_ERROR(factory_info(small, &quota, &used_before), ERROR_NONE);
    EXPECT(quota == 64 * 1024);
    uint64_t tasks[64];
    unsigned created = 0;
    enum error error = ERROR_NONE;
    while (created < 64) {
        tasks[created] = slot_new();
        error = factory_create_task(small, tasks[created], 16);
        if (error != ERROR_NONE) {
            break;
        }
        created++;
    }
    EXPECT_ERROR(error, ERROR_QUOTA_EXCEEDED);
    EXPECT(created > 0);
    EXPECT_ERROR(factory_info(small, &quota, &used), ERROR_NONE);
    EXPECT(used <= quota);
    for (unsigned i = 0; i < created; i++) {
        object_delete(tasks[i]);
    }
    EXPECT_ERROR(factory_info(small, &quota, &used), ERROR_NONE);
    EXPECT(used == used_before);
    object_delete(small);
}

static void child_quota_cannot_exceed_parent(void)
{
    uint64_t parent = slot_new();
    EXPECT_ERROR(factory_create_factory(resources.factory, parent, 32 * 1024), ERROR_NONE);
    EXPECT_ERROR(factory_create_factory(parent, slot_new(), 64 * 1024), ERROR_QUOTA_EXCEEDED);
    uint64_t child = slot_new();
    EXPECT_ERROR(factory_create_factory(parent, child, 8 * 1024), ERROR_NONE);
    uint64_t quota, used;
    EXPECT_ERROR(factory_info(parent, &quota, &used), ERROR_NONE);
    EXPECT(used >= 8 * 1024);
    object_delete(child);
    object_delete(parent);
}

static void bad_arguments_are_refused(void)
{
    EXPECT_ERROR(factory_create_task(resources.factory, slot_new(), 17), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(factory_create_task(resources.factory, slot_new(), 1u << 20), ERROR_INVALID_ARGUMENT);
    utcb()->message[0] = 99; /* no such object type */
    utcb()->message[1] = slot_new();
    EXPECT_ERROR(ipc_call(resources.factory, MESSAGE_TAG(FACTORY_CREATE, 2, 0), NEVER).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_call(resources.factory, MESSAGE_TAG(77, 0, 0), NEVER).error, ERROR_INVALID_OPERATION);
    /* Destination outside the table, and an occupied one. */
    EXPECT_ERROR(factory_create_thread(resources.factory, 1u << 30), ERROR_INVALID_CAPABILITY);
    EXPECT_ERROR(factory_create_thread(resources.factory, APP_TASK), ERROR_SLOT_OCCUPIED);
}

static const struct user_test tests[] = {
    {"factory_creates_every_object_type", creates_every_object_type},
    {"factory_quota_exhaustion_is_an_error_and_deletion_refunds", quota_exhaustion_is_an_error_and_deletion_refunds},
    {"factory_child_quota_cannot_exceed_parent", child_quota_cannot_exceed_parent},
    {"factory_bad_arguments_are_refused", bad_arguments_are_refused},
};
TEST_TABLE(factory_tests, tests);
