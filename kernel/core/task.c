#include <kapsel/address_space.h>
#include <kapsel/factory.h>
#include <kapsel/io_ports.h>
#include <kapsel/kmem.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>

static bool power_of_two(uint64_t value)
{
    return value && !(value & (value - 1));
}

enum error task_create(struct factory *factory, uint64_t slot_count, struct task **task)
{
    if (!power_of_two(slot_count) || slot_count < TASK_MIN_SLOTS || slot_count > TASK_MAX_SLOTS) {
        return ERROR_INVALID_ARGUMENT;
    }
    size_t table_size = slot_count * sizeof(struct capability);
    enum error error = factory_charge(factory, kmem_charge_size(table_size));
    if (error != ERROR_NONE) {
        return error;
    }
    struct object *object;
    error = object_allocate(factory, OBJECT_TASK, sizeof(struct task), &object);
    if (error != ERROR_NONE) {
        factory_refund(factory, kmem_charge_size(table_size));
        return error;
    }
    struct task *created = (struct task *)object;
    created->object.charged_bytes += kmem_charge_size(table_size);
    created->space.quota = factory;
    created->slot_count = slot_count;
    list_init(&created->threads);
    created->slots = kmem_alloc(table_size);
    if (created->slots) {
        error = address_space_create(factory, true, &created->space.root);
    } else {
        error = ERROR_OUT_OF_MEMORY;
    }
    if (error != ERROR_NONE) {
        kmem_free(created->slots, table_size);
        factory_refund(factory, created->object.charged_bytes);
        kmem_free(created, sizeof(*created));
        return error;
    }
    for (uint64_t i = 0; i < slot_count; i++) {
        created->slots[i].owner = created;
    }
    *task = created;
    return ERROR_NONE;
}

void task_teardown(struct task *task)
{
    struct list_node *node, *next;
    list_for_each_safe(node, next, &task->threads)
    {
        thread_kill(container_of(node, struct thread, task_link), NULL);
    }
    for (uint64_t i = 1; i < task->slot_count; i++) {
        capability_revoke(&task->slots[i], true);
    }
    memory_unmap_space(&task->space);
    io_ports_release(task);
    address_space_destroy(task->space.root, task->space.quota);
    kmem_free(task->slots, task->slot_count * sizeof(struct capability));
}

static enum error map_memory_item(struct task *caller, struct task *target, uint64_t item, uint64_t destination)
{
    if (ITEM_TYPE(item) != ITEM_TYPE_MEMORY) {
        return ERROR_INVALID_ARGUMENT;
    }
    return memory_map(&caller->space, ITEM_BASE(item) << PAGE_SHIFT_BITS, ITEM_ORDER(item), ITEM_RIGHTS(item),
                      ITEM_FLAGS(item) & ITEM_GRANT, &target->space, destination);
}

static enum error map_capability_item(struct task *caller, struct task *target, uint64_t item, uint64_t destination)
{
    if (ITEM_TYPE(item) != ITEM_TYPE_CAPABILITY) {
        return ERROR_INVALID_ARGUMENT;
    }
    return capability_map(caller, ITEM_BASE(item), ITEM_ORDER(item), ITEM_RIGHTS(item), ITEM_FLAGS(item) & ITEM_GRANT,
                          target, destination);
}

static enum error capability_info(struct task *target, uint64_t *message, unsigned *reply_words)
{
    struct capability *slot = capability_slot(target, message[0]);
    if (!slot) {
        return ERROR_INVALID_CAPABILITY;
    }
    message[0] = slot->object ? slot->object->type : OBJECT_NONE;
    message[1] = slot->object ? slot->rights : 0;
    *reply_words = 2;
    return ERROR_NONE;
}

static enum error delete_object(struct task *target, uint64_t index)
{
    struct capability *slot;
    enum error error = capability_lookup(target, index, OBJECT_NONE, RIGHT_DELETE, &slot);
    if (error != ERROR_NONE) {
        return error;
    }
    object_destroy(slot->object);
    return ERROR_NONE;
}

static enum error memory_info(struct task *target, uint64_t *message, unsigned *reply_words)
{
    uint64_t phys;
    unsigned rights = 0;
    if (!address_space_valid_user_range(message[0] & ~(uint64_t)0xfff, 0x1000)) {
        return ERROR_OUT_OF_RANGE;
    }
    message[0] = address_space_lookup(target->space.root, message[0], &phys, &rights);
    message[1] = rights & MEMORY_ALL;
    message[2] = (rights & ADDRESS_SPACE_UNCACHED) != 0;
    *reply_words = 3;
    return ERROR_NONE;
}

enum error task_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    struct task *target = (struct task *)capability->object;
    struct task *caller = capability->owner;
    uint64_t operation = MESSAGE_TAG_LABEL(tag);
    unsigned words = MESSAGE_TAG_WORDS(tag);
    bool queries = operation == TASK_CAPABILITY_INFO || operation == TASK_MEMORY_INFO;
    uint32_t needed = queries ? RIGHT_READ : RIGHT_WRITE;
    if (operation < TASK_MAP || operation > TASK_MEMORY_INFO) {
        return ERROR_INVALID_OPERATION;
    }
    if ((capability->rights & needed) != needed) {
        return ERROR_MISSING_RIGHTS;
    }
    if (words < (operation == TASK_DELETE_OBJECT || queries ? 1u : 2u)) {
        return ERROR_INVALID_ARGUMENT;
    }
    switch (operation) {
    case TASK_MAP:
        return map_memory_item(caller, target, message[0], message[1]);
    case TASK_UNMAP:
        if (ITEM_TYPE(message[0]) != ITEM_TYPE_MEMORY) {
            return ERROR_INVALID_ARGUMENT;
        }
        return memory_unmap(&target->space, ITEM_BASE(message[0]) << PAGE_SHIFT_BITS, ITEM_ORDER(message[0]),
                            message[1] & UNMAP_SELF);
    case TASK_MAP_CAPABILITY:
        return map_capability_item(caller, target, message[0], message[1]);
    case TASK_UNMAP_CAPABILITY: {
        struct capability *slot = capability_slot(target, message[0]);
        if (!slot || !slot->object) {
            return ERROR_INVALID_CAPABILITY;
        }
        capability_revoke(slot, message[1] & UNMAP_SELF);
        return ERROR_NONE;
    }
    case TASK_DELETE_OBJECT:
        return delete_object(target, message[0]);
    case TASK_CAPABILITY_INFO:
        return capability_info(target, message, reply_words);
    default:
        return memory_info(target, message, reply_words);
    }
}
