/*
 * The device's side of a split virtqueue, for tests: the areas the driver
 * laid out, reached through the fake DMA allocator's translation, with a
 * device's reads of the available ring and descriptor chains and its writes
 * of the used ring. It checks what the driver wrote (descriptor flags and
 * lengths, addresses inside DMA memory, readable before writable, chains no
 * longer than the queue, the available index never more than size ahead) and
 * counts each violation in driver_errors. It also writes what no honest device
 * would (any id, any length, any used index) for hostile-device tests.
 */
#ifndef DRIVERS_VIRTIO_NET_UNIT_TESTS_FAKE_QUEUE_H
#define DRIVERS_VIRTIO_NET_UNIT_TESTS_FAKE_QUEUE_H

#include "fake_dma.h"

#include <stdbool.h>
#include <stdint.h>

#define FAKE_CHAIN_MAX 16

struct fake_segment {
    uint8_t *host;
    uint32_t length;
    bool writable;
};

struct fake_chain {
    uint16_t head;
    uint16_t count;
    uint32_t readable_bytes;
    uint32_t writable_bytes;
    struct fake_segment segments[FAKE_CHAIN_MAX];
};

struct fake_queue {
    const struct fake_dma *dma;
    uint16_t size;
    uint64_t descriptors; /* device addresses of the three areas */
    uint64_t driver;
    uint64_t device;
    uint16_t last_available; /* the next available entry the device takes */
    uint16_t used_index;     /* as the device last published it */
    unsigned driver_errors;
};

/* A queue of size entries at the given device addresses (which must lie in dma's memory: the test aborts if not). */
void fake_queue_init(struct fake_queue *queue, const struct fake_dma *dma, uint16_t size, uint64_t descriptors,
                     uint64_t driver, uint64_t device);

/* Chains available and not yet taken. */
uint16_t fake_queue_pending(const struct fake_queue *queue);

/* Takes the next available chain; false if there is none or it is malformed (counted in driver_errors). */
bool fake_queue_pop(struct fake_queue *queue, struct fake_chain *chain);

/* Puts (id, length) in the next used entry and publishes it: any id and length, honest or not. */
void fake_queue_push(struct fake_queue *queue, uint32_t id, uint32_t length);

/* Writes the used index directly (a device that lies about how much it used). */
void fake_queue_set_used_index(struct fake_queue *queue, uint16_t index);

void fake_queue_set_used_flags(struct fake_queue *queue, uint16_t flags);
uint16_t fake_queue_available_flags(const struct fake_queue *queue);
uint16_t fake_queue_available_index(const struct fake_queue *queue);

/* Descriptor index of the table as the driver wrote it. */
void fake_queue_descriptor(const struct fake_queue *queue, uint16_t index, uint64_t *address, uint32_t *length,
                           uint16_t *flags, uint16_t *next);

#endif
