#include "fake_queue.h"

#include "drivers/virtio_net/virtqueue_driver.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *at(const struct fake_queue *queue, uint64_t address, size_t bytes)
{
    uint8_t *host = fake_dma_host(queue->dma, address, bytes);
    if (!host) {
        abort(); /* the queue's own areas: a broken test, not a finding */
    }
    return host;
}

static uint16_t read16(const struct fake_queue *queue, uint64_t address)
{
    uint16_t value;
    memcpy(&value, at(queue, address, 2), 2);
    return value;
}

static void write16(const struct fake_queue *queue, uint64_t address, uint16_t value)
{
    memcpy(at(queue, address, 2), &value, 2);
}

void fake_queue_init(struct fake_queue *queue, const struct fake_dma *dma, uint16_t size, uint64_t descriptors,
                     uint64_t driver, uint64_t device)
{
    *queue = (struct fake_queue){
        .dma = dma,
        .size = size,
        .descriptors = descriptors,
        .driver = driver,
        .device = device,
    };
    at(queue, descriptors, (size_t)VIRTQ_DESCRIPTOR_SIZE * size);
    at(queue, driver, VIRTQ_RING_HEADER_SIZE + (size_t)VIRTQ_AVAILABLE_ENTRY_SIZE * size + VIRTQ_EVENT_SIZE);
    at(queue, device, VIRTQ_RING_HEADER_SIZE + (size_t)VIRTQ_USED_ENTRY_SIZE * size + VIRTQ_EVENT_SIZE);
}

uint16_t fake_queue_available_index(const struct fake_queue *queue)
{
    return read16(queue, queue->driver + 2);
}

uint16_t fake_queue_available_flags(const struct fake_queue *queue)
{
    return read16(queue, queue->driver);
}

uint16_t fake_queue_pending(const struct fake_queue *queue)
{
    return (uint16_t)(fake_queue_available_index(queue) - queue->last_available);
}

void fake_queue_descriptor(const struct fake_queue *queue, uint16_t index, uint64_t *address, uint32_t *length,
                           uint16_t *flags, uint16_t *next)
{
    const uint8_t *descriptor = at(queue, queue->descriptors + (uint64_t)index * VIRTQ_DESCRIPTOR_SIZE, 16);
    memcpy(address, descriptor, 8);
    memcpy(length, descriptor + 8, 4);
    memcpy(flags, descriptor + 12, 2);
    memcpy(next, descriptor + 14, 2);
}

static bool fail(struct fake_queue *queue)
{
    queue->driver_errors++;
    return false;
}

bool fake_queue_pop(struct fake_queue *queue, struct fake_chain *chain)
{
    uint16_t pending = fake_queue_pending(queue);
    if (pending == 0) {
        return false;
    }
    if (pending > queue->size) {
        return fail(queue);
    }
    uint16_t head = read16(queue, queue->driver + VIRTQ_RING_HEADER_SIZE +
                                      VIRTQ_AVAILABLE_ENTRY_SIZE * (uint64_t)(queue->last_available % queue->size));
    if (head >= queue->size) {
        return fail(queue);
    }
    memset(chain, 0, sizeof(*chain));
    chain->head = head;
    uint16_t index = head;
    for (;;) {
        if (chain->count >= queue->size || chain->count >= FAKE_CHAIN_MAX) {
            return fail(queue);
        }
        uint64_t address;
        uint32_t length;
        uint16_t flags;
        uint16_t next;
        fake_queue_descriptor(queue, index, &address, &length, &flags, &next);
        bool writable = flags & VIRTQ_DESC_F_WRITE;
        uint8_t *host = fake_dma_host(queue->dma, address, length);
        if (length == 0 || !host || (flags & ~(uint16_t)(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE)) ||
            (!writable && chain->writable_bytes != 0)) {
            return fail(queue);
        }
        chain->segments[chain->count++] = (struct fake_segment){.host = host, .length = length, .writable = writable};
        if (writable) {
            chain->writable_bytes += length;
        } else {
            chain->readable_bytes += length;
        }
        if (!(flags & VIRTQ_DESC_F_NEXT)) {
            break;
        }
        if (next >= queue->size) {
            return fail(queue);
        }
        index = next;
    }
    queue->last_available++;
    return true;
}

void fake_queue_push(struct fake_queue *queue, uint32_t id, uint32_t length)
{
    uint64_t entry =
        queue->device + VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * (uint64_t)(queue->used_index % queue->size);
    memcpy(at(queue, entry, 4), &id, 4);
    memcpy(at(queue, entry + 4, 4), &length, 4);
    fake_queue_set_used_index(queue, (uint16_t)(queue->used_index + 1));
}

void fake_queue_set_used_index(struct fake_queue *queue, uint16_t index)
{
    queue->used_index = index;
    write16(queue, queue->device + 2, index);
}

void fake_queue_set_used_flags(struct fake_queue *queue, uint16_t flags)
{
    write16(queue, queue->device, flags);
}
