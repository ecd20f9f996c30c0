/*
 * A one-way ring of Ethernet frames in memory shared by two address spaces
 * (two uvmms whose VMs are linked): one producer, one consumer. The memory is
 * zeroed when shared, which is an empty ring, so neither side initialises it.
 *
 * The other side is not trusted: everything read from the shared memory (the
 * indices, a slot's length) is checked, and a frame is copied out before it is
 * used, so a peer that scribbles on the ring can at worst make this side see
 * the link as broken (FRAME_RING_CORRUPT), never read or write outside it.
 * Indices are published with release stores and read with acquire loads, so
 * the rings also work between processors.
 */
#ifndef VMM_NET_FRAME_RING_H
#define VMM_NET_FRAME_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_RING_SLOT_SIZE 2048u /* a length word and an Ethernet frame with a VLAN tag, rounded up */
#define FRAME_RING_MAX_FRAME (FRAME_RING_SLOT_SIZE - 4u)
#define FRAME_RING_HEADER_SIZE 128u /* the two indices, each on its own cache line */
#define FRAME_RING_MIN_SIZE (FRAME_RING_HEADER_SIZE + 2 * FRAME_RING_SLOT_SIZE)

struct frame_ring {
    uint32_t *produced; /* in the shared header: frames pushed so far (wrapping) */
    uint32_t *closed;   /* in the producer's half of the header: nonzero once it will push no more */
    uint32_t *consumed; /* frames taken so far (wrapping) */
    uint8_t *slots;
    uint32_t slot_count; /* a power of two */
};

enum frame_ring_result {
    FRAME_RING_OK,
    FRAME_RING_EMPTY,    /* nothing to take (peek), or no room (push) */
    FRAME_RING_TOO_LONG, /* push: a frame longer than FRAME_RING_MAX_FRAME */
    FRAME_RING_CORRUPT,  /* the other side broke the ring's invariants */
};

/*
 * Lays a ring over size bytes of shared memory at memory (8-byte aligned, at
 * least FRAME_RING_MIN_SIZE): as many slots as fit, rounded down to a power of
 * two. Both sides must use the same size. NULL, or why the memory is unusable.
 */
const char *frame_ring_attach(struct frame_ring *ring, void *memory, size_t size);

/* Producer: appends a frame of length bytes; FRAME_RING_EMPTY when the ring is full. */
enum frame_ring_result frame_ring_push(struct frame_ring *ring, const uint8_t *frame, size_t length);

/*
 * Consumer: copies the oldest frame into buffer (capacity bytes, at least FRAME_RING_MAX_FRAME) without taking
 * it, so that a frame the VM cannot receive yet stays; frame_ring_consume() then takes it.
 */
enum frame_ring_result frame_ring_peek(const struct frame_ring *ring, uint8_t *buffer, size_t capacity, size_t *length);

/* Consumer: drops the frame frame_ring_peek() returned. */
void frame_ring_consume(struct frame_ring *ring);

/* Producer: says it is done (its VM ended); the consumer sees it after the frames pushed before. */
void frame_ring_close(struct frame_ring *ring);

/* Consumer: whether the producer closed the ring (frames pushed before may still wait). */
bool frame_ring_closed(const struct frame_ring *ring);

/* Splits a link's shared memory into its two rings: ring 0 carries end 0's frames to end 1, ring 1 the reverse. */
const char *frame_ring_attach_link(struct frame_ring *to_peer, struct frame_ring *from_peer, void *memory, size_t size,
                                   unsigned end);

#endif
