/*
 * Memory a device reads and writes by DMA (virtqueue rings, frame buffers):
 * the driver's pointer to it and the address the device uses for it. In the
 * host's driver Micro-App the two name the same RAM (guest-physical is
 * host-physical for now); a test hands out host memory under made-up device
 * addresses and translates them back in its fake device.
 *
 * allocate returns bytes of memory, physically contiguous, aligned to at least
 * DMA_ALLOCATOR_ALIGN both as a pointer and as a device address, and sets
 * *device_address; or NULL if there is none. The drivers zero what they get
 * and never give it back: it lives as long as the driver (the Micro-App).
 */
#ifndef DRIVERS_VIRTIO_NET_DMA_ALLOCATOR_H
#define DRIVERS_VIRTIO_NET_DMA_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>

/* The alignment every allocation must have (the strictest of a split virtqueue's areas: the descriptor table). */
#define DMA_ALLOCATOR_ALIGN 16u

struct dma_allocator {
    void *(*allocate)(void *context, size_t bytes, uint64_t *device_address);
    void *context;
};

#endif
