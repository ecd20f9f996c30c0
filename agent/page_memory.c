#include "page_memory.h"

#include <stdint.h>
#include <stdlib.h>

/* newlib has no aligned allocation here: take alignment more and keep the block's start just below the aligned part. */
void *page_memory_allocate_aligned(size_t bytes, size_t alignment)
{
    if (bytes == 0 || bytes % PAGE_MEMORY_PAGE_BYTES != 0 || alignment < PAGE_MEMORY_PAGE_BYTES ||
        (alignment & (alignment - 1)) != 0 || bytes > SIZE_MAX - alignment - sizeof(void *)) {
        return NULL;
    }
    uint8_t *block = malloc(bytes + alignment + sizeof(void *));
    if (!block) {
        return NULL;
    }
    uintptr_t aligned = ((uintptr_t)block + sizeof(void *) + alignment - 1) & ~(uintptr_t)(alignment - 1);
    ((void **)aligned)[-1] = block;
    return (void *)aligned;
}

void *page_memory_allocate(void *context, size_t bytes)
{
    (void)context;
    return page_memory_allocate_aligned(bytes, PAGE_MEMORY_PAGE_BYTES);
}

void page_memory_release(void *context, void *memory, size_t bytes)
{
    (void)context;
    (void)bytes;
    if (memory) {
        free(((void **)memory)[-1]);
    }
}
