#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/memory_object.h>
#include <kapsel/task.h>

static struct object memory = {.type = OBJECT_MEMORY, .permanent = true};

struct object *memory_object(void)
{
    return &memory;
}

enum error memory_object_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    switch (MESSAGE_TAG_LABEL(tag)) {
    case MEMORY_ALLOCATE:
        if (!(capability->rights & RIGHT_WRITE)) {
            return ERROR_MISSING_RIGHTS;
        }
        if (MESSAGE_TAG_WORDS(tag) < 1 || ITEM_TYPE(message[0]) != ITEM_TYPE_MEMORY) {
            return ERROR_INVALID_ARGUMENT;
        }
        return memory_allocate(&capability->owner->space, ITEM_BASE(message[0]) << PAGE_SHIFT_BITS,
                               ITEM_ORDER(message[0]), ITEM_RIGHTS(message[0]));
    case MEMORY_INFO: {
        if (!(capability->rights & RIGHT_READ)) {
            return ERROR_MISSING_RIGHTS;
        }
        const struct frame_allocator *frames = physical_memory();
        message[0] = (uint64_t)frames->free_count * FRAME_SIZE;
        message[1] = (uint64_t)frames->frame_count * FRAME_SIZE;
        *reply_words = 2;
        return ERROR_NONE;
    }
    default:
        return ERROR_INVALID_OPERATION;
    }
}
