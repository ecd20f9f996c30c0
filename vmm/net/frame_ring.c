#include "frame_ring.h"

#include <stdatomic.h>
#include <string.h>

#define CACHE_LINE 64u

static uint32_t load_acquire(const uint32_t *index)
{
    return atomic_load_explicit((const _Atomic uint32_t *)index, memory_order_acquire);
}

static void store_release(uint32_t *index, uint32_t value)
{
    atomic_store_explicit((_Atomic uint32_t *)index, value, memory_order_release);
}

/* Each side reads its own index relaxed: only it writes that one. */
static uint32_t load_own(const uint32_t *index)
{
    return atomic_load_explicit((const _Atomic uint32_t *)index, memory_order_relaxed);
}

static uint8_t *slot_at(const struct frame_ring *ring, uint32_t index)
{
    return ring->slots + (size_t)(index & (ring->slot_count - 1)) * FRAME_RING_SLOT_SIZE;
}

const char *frame_ring_attach(struct frame_ring *ring, void *memory, size_t size)
{
    if ((uintptr_t)memory % 8 != 0) {
        return "the ring's memory is not 8-byte aligned";
    }
    if (size < FRAME_RING_MIN_SIZE) {
        return "the ring's memory is too small for two frames";
    }
    size_t slots = (size - FRAME_RING_HEADER_SIZE) / FRAME_RING_SLOT_SIZE;
    uint32_t count = 1;
    while ((size_t)count * 2 <= slots && count < (1u << 30)) {
        count *= 2;
    }
    uint8_t *base = memory;
    ring->produced = (uint32_t *)base;
    ring->closed = (uint32_t *)(base + sizeof(uint32_t));
    ring->consumed = (uint32_t *)(base + CACHE_LINE);
    ring->slots = base + FRAME_RING_HEADER_SIZE;
    ring->slot_count = count;
    return NULL;
}

const char *frame_ring_attach_link(struct frame_ring *to_peer, struct frame_ring *from_peer, void *memory, size_t size,
                                   unsigned end)
{
    if (end > 1) {
        return "a link has ends 0 and 1";
    }
    size_t half = size / 2 & ~(size_t)7;
    uint8_t *rings[2] = {memory, (uint8_t *)memory + half};
    const char *problem = frame_ring_attach(to_peer, rings[end], half);
    return problem ? problem : frame_ring_attach(from_peer, rings[1 - end], half);
}

enum frame_ring_result frame_ring_push(struct frame_ring *ring, const uint8_t *frame, size_t length)
{
    uint32_t produced = load_own(ring->produced);
    uint32_t in_flight = produced - load_acquire(ring->consumed);
    if (in_flight > ring->slot_count) {
        return FRAME_RING_CORRUPT;
    }
    if (length > FRAME_RING_MAX_FRAME) {
        return FRAME_RING_TOO_LONG;
    }
    if (in_flight == ring->slot_count) {
        return FRAME_RING_EMPTY;
    }
    uint8_t *slot = slot_at(ring, produced);
    uint32_t length32 = (uint32_t)length;
    memcpy(slot, &length32, sizeof(length32));
    memcpy(slot + sizeof(length32), frame, length);
    store_release(ring->produced, produced + 1);
    return FRAME_RING_OK;
}

enum frame_ring_result frame_ring_peek(const struct frame_ring *ring, uint8_t *buffer, size_t capacity, size_t *length)
{
    uint32_t consumed = load_own(ring->consumed);
    uint32_t in_flight = load_acquire(ring->produced) - consumed;
    if (in_flight == 0) {
        return FRAME_RING_EMPTY;
    }
    if (in_flight > ring->slot_count) {
        return FRAME_RING_CORRUPT;
    }
    const uint8_t *slot = slot_at(ring, consumed);
    uint32_t frame_length;
    memcpy(&frame_length, slot, sizeof(frame_length)); /* read once: the peer may change it meanwhile */
    if (frame_length > FRAME_RING_MAX_FRAME || frame_length > capacity) {
        return FRAME_RING_CORRUPT;
    }
    memcpy(buffer, slot + sizeof(frame_length), frame_length);
    *length = frame_length;
    return FRAME_RING_OK;
}

void frame_ring_consume(struct frame_ring *ring)
{
    store_release(ring->consumed, load_own(ring->consumed) + 1);
}

void frame_ring_close(struct frame_ring *ring)
{
    store_release(ring->closed, 1);
}

bool frame_ring_closed(const struct frame_ring *ring)
{
    return load_acquire(ring->closed) != 0;
}
