/*
 * A DMA allocator for tests: host memory handed out under made-up device
 * addresses (far from any host pointer, so a driver that confuses the two is
 * caught), and the translation back that a fake device uses. It can be told to
 * run out after some allocations, or to return memory 8 bytes off alignment.
 */
#ifndef DRIVERS_VIRTIO_NET_UNIT_TESTS_FAKE_DMA_H
#define DRIVERS_VIRTIO_NET_UNIT_TESTS_FAKE_DMA_H

#include "drivers/virtio_net/dma_allocator.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_DMA_MAX_BLOCKS 16
#define FAKE_DMA_BASE 0x100000000000ull /* the first device address handed out */

struct fake_dma_block {
    void *allocation; /* what to free */
    uint8_t *host;
    uint64_t device;
    size_t bytes;
};

struct fake_dma {
    struct fake_dma_block blocks[FAKE_DMA_MAX_BLOCKS];
    size_t count;
    uint64_t next_device;
    size_t fail_after; /* allocations that succeed before the rest fail (SIZE_MAX: all succeed) */
    bool misalign;     /* hand out memory (and device addresses) 8 bytes past 16-byte alignment */
};

void fake_dma_init(struct fake_dma *dma);
void fake_dma_destroy(struct fake_dma *dma);

/* The allocator interface over dma. */
struct dma_allocator fake_dma_allocator(struct fake_dma *dma);

/* The host bytes at device address [address, address + bytes), or NULL unless wholly inside one allocation. */
uint8_t *fake_dma_host(const struct fake_dma *dma, uint64_t address, size_t bytes);

#endif
