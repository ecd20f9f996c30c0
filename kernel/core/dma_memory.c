#include <kapsel/address_space.h>
#include <kapsel/dma_memory.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/task.h>

static struct object dma_memory = {.type = OBJECT_DMA_MEMORY, .permanent = true};

struct object *dma_memory_object(void)
{
    return &dma_memory;
}

/*
 * DMA_MEMORY_ALLOCATE: the item names the destination in the caller (a user
 * range aligned to its size, rights read or read-write, no flags, order up to
 * DMA_MEMORY_MAX_ORDER); everything is checked before anything is allocated.
 */
static enum error allocate(struct task *caller, uint64_t item, uint64_t *phys)
{
    unsigned order = ITEM_ORDER(item);
    unsigned rights = ITEM_RIGHTS(item);
    uint64_t virt = ITEM_BASE(item) << PAGE_SHIFT_BITS;
    if (ITEM_TYPE(item) != ITEM_TYPE_MEMORY || ITEM_FLAGS(item) != 0 || order > DMA_MEMORY_MAX_ORDER ||
        !(rights & MEMORY_READ) || (rights & ~(MEMORY_READ | MEMORY_WRITE))) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t size = (uint64_t)FRAME_SIZE << order;
    if (virt % size != 0 || !address_space_valid_user_range(virt, size)) {
        return ERROR_INVALID_ARGUMENT;
    }
    return memory_allocate_dma(&caller->space, virt, order, rights, phys);
}

enum error dma_memory_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    static const unsigned minimum_words[] = {[DMA_MEMORY_ALLOCATE] = 1, [DMA_MEMORY_INFO] = 1};
    enum error error = capability_check_invocation(capability, tag, DMA_MEMORY_ALLOCATE, DMA_MEMORY_INFO,
                                                   DMA_MEMORY_INFO, minimum_words);
    if (error != ERROR_NONE) {
        return error;
    }
    if (MESSAGE_TAG_LABEL(tag) == DMA_MEMORY_ALLOCATE) {
        uint64_t phys = 0;
        error = allocate(capability->owner, message[0], &phys);
        if (error == ERROR_NONE) {
            message[0] = phys;
            *reply_words = 1;
        }
        return error;
    }
    uint64_t address = message[0];
    uint64_t page = address & ~(uint64_t)(FRAME_SIZE - 1);
    message[0] =
        address_space_valid_user_range(page, FRAME_SIZE) ? memory_dma_physical(&capability->owner->space, address) : 0;
    memory_dma_info(&message[1], &message[2]);
    *reply_words = 3;
    return ERROR_NONE;
}
