/*
 * Access to one memory-mapped register region of a device (for virtio over
 * PCI: one of the structures a virtio capability places in a BAR), behind
 * function pointers so the driver logic runs unchanged against a real BAR
 * mapping in a Micro-App and against a fake device in a host test.
 *
 * Offsets count from the start of the region. An implementation over real
 * MMIO makes every call exactly one uncached access of the stated width, in
 * program order with the caller's other accesses (a volatile access to an
 * uncached mapping on x86); the registers are little-endian and so is the
 * host. The callers here never access beyond the region's length and always
 * align an access to its width. The virtio transport uses 8-, 16- and 32-bit
 * accesses only (64-bit fields as two halves, as the spec asks), so its
 * regions may leave read64 and write64 NULL.
 */
#ifndef DRIVERS_VIRTIO_NET_MMIO_H
#define DRIVERS_VIRTIO_NET_MMIO_H

#include <stdint.h>

struct mmio {
    uint8_t (*read8)(void *context, uint64_t offset);
    uint16_t (*read16)(void *context, uint64_t offset);
    uint32_t (*read32)(void *context, uint64_t offset);
    uint64_t (*read64)(void *context, uint64_t offset);
    void (*write8)(void *context, uint64_t offset, uint8_t value);
    void (*write16)(void *context, uint64_t offset, uint16_t value);
    void (*write32)(void *context, uint64_t offset, uint32_t value);
    void (*write64)(void *context, uint64_t offset, uint64_t value);
    void *context;
};

#endif
