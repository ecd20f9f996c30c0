#include "fake_dma.h"

#include <stdlib.h>
#include <string.h>

#define PAGE 4096u

void fake_dma_init(struct fake_dma *dma)
{
    memset(dma, 0, sizeof(*dma));
    dma->next_device = FAKE_DMA_BASE;
    dma->fail_after = SIZE_MAX;
}

void fake_dma_destroy(struct fake_dma *dma)
{
    for (size_t i = 0; i < dma->count; i++) {
        free(dma->blocks[i].allocation);
    }
    fake_dma_init(dma);
}

static void *allocate(void *context, size_t bytes, uint64_t *device_address)
{
    struct fake_dma *dma = context;
    if (dma->count >= FAKE_DMA_MAX_BLOCKS || dma->count >= dma->fail_after || bytes == 0) {
        return NULL;
    }
    size_t offset = dma->misalign ? 8 : 0;
    size_t rounded = (bytes + offset + PAGE - 1) / PAGE * PAGE;
    void *allocation = aligned_alloc(PAGE, rounded);
    if (!allocation) {
        return NULL;
    }
    memset(allocation, 0xa5, rounded); /* not zero: the driver zeroes what it needs zeroed */
    struct fake_dma_block *block = &dma->blocks[dma->count++];
    *block = (struct fake_dma_block){
        .allocation = allocation,
        .host = (uint8_t *)allocation + offset,
        .device = dma->next_device + offset,
        .bytes = bytes,
    };
    dma->next_device += rounded + PAGE; /* a gap: running off the end of one block finds nothing */
    *device_address = block->device;
    return block->host;
}

struct dma_allocator fake_dma_allocator(struct fake_dma *dma)
{
    return (struct dma_allocator){.allocate = allocate, .context = dma};
}

uint8_t *fake_dma_host(const struct fake_dma *dma, uint64_t address, size_t bytes)
{
    for (size_t i = 0; i < dma->count; i++) {
        const struct fake_dma_block *block = &dma->blocks[i];
        if (address >= block->device && bytes <= block->bytes && address - block->device <= block->bytes - bytes) {
            return block->host + (address - block->device);
        }
    }
    return NULL;
}
