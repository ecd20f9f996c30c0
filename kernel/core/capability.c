#include <kapsel/object.h>
#include <kapsel/task.h>

#define container_of_slot(node) ((struct capability *)((char *)(node)-offsetof(struct capability, derivation)))

struct capability *capability_slot(struct task *task, uint64_t index)
{
    if (index == 0 || index >= task->slot_count) {
        return NULL;
    }
    return &task->slots[index];
}

enum error capability_lookup(struct task *task, uint64_t index, enum object_type type, uint32_t rights,
                             struct capability **capability)
{
    struct capability *slot = capability_slot(task, index);
    if (!slot || !slot->object) {
        return ERROR_INVALID_CAPABILITY;
    }
    if (type != OBJECT_NONE && slot->object->type != type) {
        return ERROR_WRONG_OBJECT_TYPE;
    }
    if ((slot->rights & rights) != rights) {
        return ERROR_MISSING_RIGHTS;
    }
    *capability = slot;
    return ERROR_NONE;
}

void capability_install(struct capability *slot, struct object *object, uint32_t rights)
{
    slot->object = object;
    slot->rights = rights;
    mapping_tree_insert_root(&object->capabilities, &slot->derivation);
}

/* Destroys an object whose last capability just went away. */
static void destroy_if_unreferenced(struct object *object)
{
    if (object && !object->capabilities.first) {
        object_destroy(object);
    }
}

static void clear_revoked_slot(struct mapping_node *node, void *context)
{
    (void)context;
    struct capability *slot = container_of_slot(node);
    slot->object = NULL;
    slot->rights = 0;
}

void capability_revoke_all(struct object *object)
{
    while (object->capabilities.first) {
        mapping_tree_revoke(&object->capabilities, object->capabilities.first, true, clear_revoked_slot, NULL);
    }
}

enum error capability_check_invocation(const struct capability *capability, uint64_t tag, uint64_t first, uint64_t last,
                                       uint64_t read_only_operation, const unsigned *minimum_words)
{
    uint64_t operation = MESSAGE_TAG_LABEL(tag);
    if (operation < first || operation > last) {
        return ERROR_INVALID_OPERATION;
    }
    uint32_t needed = operation == read_only_operation ? RIGHT_READ : RIGHT_WRITE;
    if ((capability->rights & needed) != needed) {
        return ERROR_MISSING_RIGHTS;
    }
    return MESSAGE_TAG_WORDS(tag) < minimum_words[operation] ? ERROR_INVALID_ARGUMENT : ERROR_NONE;
}

void capability_revoke(struct capability *slot, bool include_self)
{
    struct object *object = slot->object;
    if (!object) {
        return;
    }
    mapping_tree_revoke(&object->capabilities, &slot->derivation, include_self, clear_revoked_slot, NULL);
    destroy_if_unreferenced(object);
}

/* Checks a whole map request before changing anything, so that it either happens or fails cleanly. */
static enum error check_map(struct task *from, uint64_t from_index, uint64_t count, struct task *to, uint64_t to_index)
{
    if (from_index == 0 || from_index >= from->slot_count || count > from->slot_count - from_index) {
        return ERROR_INVALID_CAPABILITY;
    }
    if (to_index == 0 || to_index >= to->slot_count || count > to->slot_count - to_index) {
        return ERROR_OUT_OF_RANGE;
    }
    for (uint64_t i = 0; i < count; i++) {
        const struct capability *source = &from->slots[from_index + i];
        if (source->object && !(source->rights & RIGHT_GRANT)) {
            return ERROR_MISSING_RIGHTS;
        }
        if (source->object && to->slots[to_index + i].object && &to->slots[to_index + i] != source) {
            return ERROR_SLOT_OCCUPIED;
        }
    }
    return ERROR_NONE;
}

enum error capability_map(struct task *from, uint64_t from_index, unsigned order, uint32_t rights, bool grant,
                          struct task *to, uint64_t to_index)
{
    if (order > 16) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t count = (uint64_t)1 << order;
    enum error error = check_map(from, from_index, count, to, to_index);
    if (error != ERROR_NONE) {
        return error;
    }
    for (uint64_t i = 0; i < count; i++) {
        struct capability *source = &from->slots[from_index + i];
        struct capability *destination = &to->slots[to_index + i];
        if (!source->object || source == destination || source->object->dying) {
            continue;
        }
        destination->object = source->object;
        destination->rights = source->rights & rights;
        if (grant) {
            mapping_tree_replace(&source->object->capabilities, &source->derivation, &destination->derivation);
            source->object = NULL;
            source->rights = 0;
        } else {
            mapping_tree_insert_child(&source->derivation, &destination->derivation);
        }
    }
    return ERROR_NONE;
}
