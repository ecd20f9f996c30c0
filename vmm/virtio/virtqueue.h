/*
 * One split virtqueue (VIRTIO 1.2 section 2.7), seen from the device, independent of
 * the transport. The three areas live in guest RAM, written by a driver the
 * VMM does not trust: every index, address and length read from them is
 * checked, every guest address goes through guest_memory_at(), and a
 * malformed queue yields an error (for the device to set DEVICE_NEEDS_RESET),
 * never an access outside guest RAM.
 *
 * The queue holds no host pointers, only guest addresses and indices, so a
 * reset is a plain assignment. Rings are little-endian; the host is too (the
 * source checks).
 */
#ifndef VMM_VIRTIO_VIRTQUEUE_H
#define VMM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

/* The largest queue this VMM offers (a power of two; the spec allows 32768), and so the longest chain. */
#define VIRTQ_MAX_SIZE 256u

/*
 * A chain's readable and writable bytes together: the spec allows 2^32; one
 * byte less keeps every count expressible in the used ring's 32-bit length.
 */
#define VIRTQ_CHAIN_MAX_BYTES 0xffffffffull

/* The layout of the three areas (spec: Split Virtqueues): sizes and alignments. */
#define VIRTQ_DESCRIPTOR_SIZE 16u
#define VIRTQ_DESCRIPTOR_TABLE_ALIGN 16u
#define VIRTQ_AVAILABLE_RING_ALIGN 2u
#define VIRTQ_USED_RING_ALIGN 4u
#define VIRTQ_RING_HEADER_SIZE 4u /* flags and idx, 16 bits each, before the entries */
#define VIRTQ_AVAILABLE_ENTRY_SIZE 2u
#define VIRTQ_USED_ENTRY_SIZE 8u
#define VIRTQ_EVENT_SIZE 2u /* used_event / avail_event after the entries, with VIRTIO_F_EVENT_IDX */

/* Descriptor flags (spec: The Virtqueue Descriptor Table). */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u

/* Available ring flag: the driver wants no used-buffer notifications (spec: Used Buffer Notification Suppression). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* A descriptor as it lies in guest RAM. */
struct virtq_descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};

/* A used-ring entry: the chain's head and the bytes the device wrote into it. */
struct virtq_used_element {
    uint32_t head;
    uint32_t written_length;
};

/* Where the driver put the queue: QueueNum and the three area addresses of the transport. */
struct virtq_layout {
    uint32_t size; /* entries: a power of two, at most VIRTQ_MAX_SIZE */
    uint64_t descriptor_table;
    uint64_t available_ring;
    uint64_t used_ring;
};

struct virtq {
    bool ready;
    bool indirect_descriptors; /* VIRTIO_F_INDIRECT_DESC negotiated */
    bool event_index;          /* VIRTIO_F_EVENT_IDX negotiated */
    struct virtq_layout layout;
    uint16_t last_available; /* the next available-ring entry the device will take */
    uint16_t next_used;      /* the used-ring index the device publishes (used idx) */
    uint16_t signalled_used; /* next_used when the driver was last considered for an interrupt */
};

/* One buffer of a chain, checked to lie in guest RAM. */
struct virtq_segment {
    uint64_t guest_address;
    uint8_t *host; /* the VMM's view of it, from guest_memory_at() */
    uint32_t length;
    bool device_writable;
};

/* A validated descriptor chain: all device-readable segments first, then all device-writable ones. */
struct virtq_chain {
    uint16_t head; /* the descriptor index to hand back in the used ring */
    uint16_t segment_count;
    uint16_t readable_count; /* segments[0, readable_count) are readable, the rest writable */
    uint64_t readable_bytes;
    uint64_t writable_bytes;
    struct virtq_segment segments[VIRTQ_MAX_SIZE];
};

enum virtq_result {
    VIRTQ_OK = 0,
    VIRTQ_EMPTY, /* no chain available: not an error */
    VIRTQ_ERROR_NOT_READY,
    VIRTQ_ERROR_BAD_SIZE,
    VIRTQ_ERROR_RING_MISALIGNED,
    VIRTQ_ERROR_RING_OUTSIDE_RAM,
    VIRTQ_ERROR_AVAILABLE_INDEX_JUMP,
    VIRTQ_ERROR_DESCRIPTOR_INDEX,
    VIRTQ_ERROR_BUFFER_OUTSIDE_RAM,
    VIRTQ_ERROR_CHAIN_TOO_LONG,
    VIRTQ_ERROR_CHAIN_TOO_MANY_BYTES,
    VIRTQ_ERROR_READABLE_AFTER_WRITABLE,
    VIRTQ_ERROR_INDIRECT_NOT_NEGOTIATED,
    VIRTQ_ERROR_INDIRECT_NESTED,
    VIRTQ_ERROR_INDIRECT_WITH_NEXT,
    VIRTQ_ERROR_INDIRECT_BAD_LENGTH,
    VIRTQ_ERROR_INDIRECT_OUTSIDE_RAM,
    VIRTQ_ERROR_USED_HEAD,
    VIRTQ_ERROR_NOTHING_IN_FLIGHT,
};

/* A sentence saying what went wrong, for DEVICE_NEEDS_RESET and the VM's end reason. */
const char *virtq_result_reason(enum virtq_result result);

/*
 * Makes the queue ready (QueueReady = 1) after checking the layout: the size,
 * each area aligned as the spec says and wholly inside guest RAM (with the event
 * fields if VIRTIO_F_EVENT_IDX is among negotiated_features). On error the
 * queue stays stopped.
 */
enum virtq_result virtq_start(struct virtq *queue, const struct guest_memory *memory, const struct virtq_layout *layout,
                              uint64_t negotiated_features);

/* Forgets the queue (QueueReady = 0, or a device reset); the device no longer touches its areas. */
void virtq_stop(struct virtq *queue);

/*
 * Takes the next available chain and validates all of it before consuming it:
 * VIRTQ_OK with *chain filled, VIRTQ_EMPTY, or an error that leaves the queue
 * as it was. With VIRTIO_F_EVENT_IDX, finding the queue empty asks the driver
 * to notify on its next buffer, so a device that pops until VIRTQ_EMPTY never
 * misses one.
 */
enum virtq_result virtq_pop_chain(struct virtq *queue, const struct guest_memory *memory, struct virtq_chain *chain);

/* Hands chain head back to the driver, written_length bytes written into it, and publishes the used index. */
enum virtq_result virtq_push_used(struct virtq *queue, const struct guest_memory *memory, uint16_t head,
                                  uint32_t written_length);

/*
 * Copies length bytes of chain's device-readable part, from offset bytes into it, to destination, across the
 * segments whatever their sizes. The caller checked that the chain holds them (readable_bytes); the segments
 * were checked to lie in guest RAM when the chain was popped.
 */
void virtq_chain_read(const struct virtq_chain *chain, uint64_t offset, uint8_t *destination, uint64_t length);

/* The same into the chain's device-writable part (the caller checked writable_bytes). */
void virtq_chain_write(const struct virtq_chain *chain, uint64_t offset, const uint8_t *source, uint64_t length);

/*
 * Whether the driver wants a used-buffer notification for what was pushed since
 * the last call: VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with
 * VIRTIO_F_EVENT_IDX. False when nothing was pushed.
 */
bool virtq_needs_interrupt(struct virtq *queue, const struct guest_memory *memory);

#endif
