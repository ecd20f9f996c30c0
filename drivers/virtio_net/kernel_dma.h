/*
 * struct dma_allocator over the kernel's DMA memory (DMA_MEMORY_ALLOCATE,
 * the manifest's "capability dma_memory"): each allocation is a block of
 * 2^order zeroed, physically contiguous pages of its own, mapped one after
 * another from a window of this Micro-App's address space; the device address
 * is the block's physical address. Nothing is given back (dma_allocator.h).
 */
#ifndef DRIVERS_VIRTIO_NET_KERNEL_DMA_H
#define DRIVERS_VIRTIO_NET_KERNEL_DMA_H

#include "dma_allocator.h"

#include <stdint.h>

struct kernel_dma {
    uint64_t capability; /* the dma_memory capability */
    uint64_t next;       /* the next free address of the window */
    uint64_t end;
};

/* An allocator for dma (capability, window [base, base + size), base page-aligned). */
struct dma_allocator kernel_dma_allocator(struct kernel_dma *dma, uint64_t capability, uint64_t base, uint64_t size);

#endif
