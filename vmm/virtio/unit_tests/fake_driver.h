/*
 * The driver's side of a split virtqueue, for tests: guest RAM as a block of
 * host memory, and one queue laid out in it as Linux's virtio_ring does
 * (descriptor table, then the available ring, then the used ring on the next
 * 4 KiB boundary), with the driver's writes and reads of the rings. Plus the
 * register sequence Linux's virtio-mmio driver uses to bring a device up.
 */
#ifndef VMM_VIRTIO_FAKE_DRIVER_H
#define VMM_VIRTIO_FAKE_DRIVER_H

#include "vmm/virtio/virtio_mmio.h"
#include "vmm/virtio/virtqueue.h"

#include <stdint.h>
#include <vmm/guest_memory.h>

#define FAKE_RAM_SIZE (1ull << 20)
#define FAKE_QUEUE_BASE 0x10000ull /* where fake_driver_init puts the queue by default */
#define FAKE_BUFFERS 0x40000ull    /* where tests put their buffers and indirect tables */

/* Guest RAM of size bytes, page-aligned and zeroed; reserved, not committed, so large sizes are cheap. */
struct guest_memory fake_ram_create(uint64_t size);
void fake_ram_destroy(struct guest_memory *memory);

/* The VMM's pointer to guest-physical address (which the test knows is RAM). */
uint8_t *fake_ram_at(const struct guest_memory *memory, uint64_t address);

struct fake_driver {
    const struct guest_memory *memory;
    uint16_t size;
    uint64_t descriptor_table;
    uint64_t available_ring;
    uint64_t used_ring;
    uint16_t available_index; /* the driver's copy of avail idx */
};

/* A queue of size entries at guest-physical base, zeroed as Linux allocates it. */
void fake_driver_init(struct fake_driver *driver, const struct guest_memory *memory, uint64_t base, uint16_t size);

/* What the driver writes to QueueNum and the three area registers. */
struct virtq_layout fake_driver_layout(const struct fake_driver *driver);

/* Writes descriptor index of the table at guest-physical table (the queue's, or an indirect one). */
void fake_write_descriptor(const struct guest_memory *memory, uint64_t table, uint16_t index, uint64_t address,
                           uint32_t length, uint16_t flags, uint16_t next);

/* The same, in the queue's descriptor table. */
void fake_driver_set_descriptor(struct fake_driver *driver, uint16_t index, uint64_t address, uint32_t length,
                                uint16_t flags, uint16_t next);

/* Puts head in the next available-ring entry and publishes it (avail idx + 1). */
void fake_driver_make_available(struct fake_driver *driver, uint16_t head);

/* Writes avail idx directly (for a driver that lies about it). */
void fake_driver_set_available_index(struct fake_driver *driver, uint16_t index);

void fake_driver_set_available_flags(struct fake_driver *driver, uint16_t flags);
void fake_driver_set_used_event(struct fake_driver *driver, uint16_t used_event);

uint16_t fake_driver_used_index(const struct fake_driver *driver);
uint16_t fake_driver_used_flags(const struct fake_driver *driver);
struct virtq_used_element fake_driver_used_element(const struct fake_driver *driver, uint16_t ring_index);
uint16_t fake_driver_available_event(const struct fake_driver *driver);

/*
 * What Linux's virtio_mmio and virtio core do to bring a device up with
 * queue 0 at driver's layout: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK,
 * queue setup, DRIVER_OK. NULL, or the first refusal (or "features refused").
 */
const char *fake_driver_bring_up(struct virtio_mmio_device *transport, const struct fake_driver *driver,
                                 uint64_t features);

#endif
