#include "kernel_dma.h"

#include <kapsel/syscall.h>
#include <stdio.h>

#define KERNEL_DMA_PAGE 4096ull
#define KERNEL_DMA_MAX_ORDER 10 /* 4 MiB: more than any queue or buffer block needs */

static void *allocate(void *context, size_t bytes, uint64_t *device_address)
{
    struct kernel_dma *dma = context;
    unsigned order = 0;
    while ((KERNEL_DMA_PAGE << order) < bytes) {
        if (++order > KERNEL_DMA_MAX_ORDER) {
            return NULL;
        }
    }
    uint64_t size = KERNEL_DMA_PAGE << order;
    uint64_t address = (dma->next + size - 1) & ~(size - 1); /* the item's pages aligned to their size */
    if (address < dma->next || address > dma->end || size > dma->end - address) {
        return NULL;
    }
    uint64_t physical = 0;
    enum error error = dma_memory_allocate(
        dma->capability, ITEM_MEMORY(address / KERNEL_DMA_PAGE, order, MEMORY_READ | MEMORY_WRITE, 0), &physical);
    if (error != ERROR_NONE || physical == 0 || physical % DMA_ALLOCATOR_ALIGN != 0) {
        printf("nic: DMA memory for %lu bytes: %s\n", (unsigned long)bytes,
               error != ERROR_NONE ? error_name(error) : "a misaligned physical address");
        return NULL;
    }
    dma->next = address + size;
    *device_address = physical;
    return (void *)(uintptr_t)address;
}

struct dma_allocator kernel_dma_allocator(struct kernel_dma *dma, uint64_t capability, uint64_t base, uint64_t size)
{
    *dma = (struct kernel_dma){.capability = capability, .next = base, .end = base + size};
    return (struct dma_allocator){.allocate = allocate, .context = dma};
}
