/*
 * The driver's side of one split virtqueue (VIRTIO 1.2 section 2.7): the
 * three areas in one block of DMA memory, a free list of descriptors, chains
 * of device-readable then device-writable buffers added to the available ring
 * and published with the spec's memory barriers, and used chains taken back.
 *
 * The device is not trusted. Everything the driver needs to know about a
 * chain (its descriptors, how many bytes the device may write, the caller's
 * cookie) is kept in private memory, never read back from the shared areas;
 * each used-ring entry is read once and checked: the used index may not run
 * ahead of the chains the device holds, an id must be the head of a chain
 * the device holds, and the length may not exceed the chain's writable
 * bytes. A broken index or id breaks the queue for good (the driver stops
 * using it and the device is to be reset); a length beyond the chain is
 * reported with the chain, which is back in the driver's hands.
 *
 * Used-buffer notifications are suppressed with VIRTQ_AVAIL_F_NO_INTERRUPT
 * (VIRTIO_F_EVENT_IDX is not negotiated): simple and exact enough for a NIC
 * driver that drains a queue whenever it wakes. Available-buffer notifications
 * follow the device's VIRTQ_USED_F_NO_NOTIFY.
 *
 * One thread uses a queue. Nothing here allocates, blocks or calls the
 * device's registers: the caller notifies the device when publish says so.
 */
#ifndef DRIVERS_VIRTIO_NET_VIRTQUEUE_DRIVER_H
#define DRIVERS_VIRTIO_NET_VIRTQUEUE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest queue the driver runs (a power of two; the spec allows 32768): the private state is sized by it. */
#define VIRTQ_DRIVER_SIZE_MAX 256u

/* The layout of the three areas (spec: Split Virtqueues). */
#define VIRTQ_DESCRIPTOR_SIZE 16u
#define VIRTQ_DESCRIPTOR_ALIGN 16u
#define VIRTQ_AVAILABLE_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u
#define VIRTQ_RING_HEADER_SIZE 4u /* flags and idx, 16 bits each */
#define VIRTQ_AVAILABLE_ENTRY_SIZE 2u
#define VIRTQ_USED_ENTRY_SIZE 8u
#define VIRTQ_EVENT_SIZE 2u /* used_event / avail_event: allocated always, used only with VIRTIO_F_EVENT_IDX */

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u

/* Available ring flag: no used-buffer notifications wanted. Used ring flag: no available-buffer notifications. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* A chain's bytes, readable and writable together, must stay below 2^32 (spec: The Virtqueue Descriptor Table). */
#define VIRTQ_CHAIN_MAX_BYTES 0xffffffffull

enum virtq_driver_result {
    VIRTQ_DRIVER_OK = 0,
    VIRTQ_DRIVER_EMPTY, /* get_used: nothing used since the last call */
    VIRTQ_DRIVER_FULL,  /* add: not enough free descriptors; nothing was added */
    VIRTQ_DRIVER_ERROR_ARGUMENT,
    VIRTQ_DRIVER_ERROR_MEMORY_ALIGNMENT, /* init: memory or its device address not VIRTQ_DESCRIPTOR_ALIGN-aligned */
    VIRTQ_DRIVER_ERROR_USED_INDEX,       /* fatal: used idx ran ahead of the chains the device holds */
    VIRTQ_DRIVER_ERROR_USED_ID_RANGE,    /* fatal: a used id not below the queue size */
    VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT, /* fatal: a used id that is not the head of a chain the device holds */
    VIRTQ_DRIVER_ERROR_USED_LENGTH,           /* a used length beyond the chain's writable bytes; the chain is back */
    VIRTQ_DRIVER_ERROR_BROKEN,                /* an earlier fatal error: the queue is not used any more */
};

/* A sentence saying what the result means, for logs and failure reports. */
const char *virtq_driver_result_reason(enum virtq_driver_result result);

/* One buffer of a chain. */
struct virtq_driver_segment {
    uint64_t device_address;
    uint32_t length; /* at least 1 */
    bool device_writable;
};

/* A chain the device has finished with. */
struct virtq_driver_used {
    uint32_t cookie; /* what the caller gave virtq_driver_add */
    uint32_t length; /* bytes the device says it wrote, from the start of the first writable segment */
};

/* Where the areas are, for the transport's queue_desc / queue_driver / queue_device. */
struct virtq_driver_areas {
    uint64_t descriptors;
    uint64_t driver; /* the available ring */
    uint64_t device; /* the used ring */
};

/* Private state of one descriptor. */
struct virtq_driver_slot {
    uint8_t state;           /* VIRTQ_SLOT_* (virtqueue_driver.c) */
    uint16_t next;           /* free list, or the chain's next descriptor */
    uint16_t chain_length;   /* heads: descriptors in the chain */
    uint32_t writable_bytes; /* heads: the most the device may report as written */
    uint32_t cookie;         /* heads */
};

struct virtq_driver {
    uint16_t size; /* entries: a power of two, at most VIRTQ_DRIVER_SIZE_MAX */
    uint8_t *descriptors;
    uint8_t *available;
    uint8_t *used;
    struct virtq_driver_areas areas;
    uint16_t free_head;      /* first free descriptor (size: none) */
    uint16_t free_count;     /* descriptors on the free list */
    uint16_t next_available; /* avail idx once the chains added so far are published */
    uint16_t published;      /* avail idx as last published */
    uint16_t last_used;      /* the next used-ring entry to take */
    uint16_t available_flags;
    enum virtq_driver_result broken;               /* VIRTQ_DRIVER_OK, or the fatal error that broke the queue */
    uint16_t pending_heads[VIRTQ_DRIVER_SIZE_MAX]; /* heads by available-ring slot, as written (private copy) */
    struct virtq_driver_slot slots[VIRTQ_DRIVER_SIZE_MAX];
};

/* Bytes of DMA memory a queue of size entries takes (the three areas, each aligned as the spec says). */
size_t virtq_driver_memory_bytes(uint16_t size);

/*
 * Lays the queue out in memory (virtq_driver_memory_bytes(size) bytes at
 * device address device_address, both VIRTQ_DESCRIPTOR_ALIGN-aligned), zeroes
 * it and puts every descriptor on the free list. size: a power of two, at
 * most VIRTQ_DRIVER_SIZE_MAX.
 */
enum virtq_driver_result virtq_driver_init(struct virtq_driver *queue, uint16_t size, void *memory,
                                           uint64_t device_address);

/* Where the areas are, for the transport. */
struct virtq_driver_areas virtq_driver_areas(const struct virtq_driver *queue);

/* Descriptors free for virtq_driver_add. */
uint16_t virtq_driver_free_descriptors(const struct virtq_driver *queue);

/*
 * Adds one chain: count segments, all device-readable ones before all
 * device-writable ones, at most 2^32 - 1 bytes in all. FULL (nothing added)
 * if fewer than count descriptors are free. The device sees it only after
 * virtq_driver_publish. cookie comes back with the used chain.
 */
enum virtq_driver_result virtq_driver_add(struct virtq_driver *queue, const struct virtq_driver_segment *segments,
                                          uint16_t count, uint32_t cookie);

/*
 * Makes the chains added since the last call visible to the device (a release
 * barrier, then avail idx) and says whether to notify it: after a full barrier,
 * the device's VIRTQ_USED_F_NO_NOTIFY. False if nothing was added, or the
 * queue is broken.
 */
bool virtq_driver_publish(struct virtq_driver *queue);

/*
 * Takes the next used chain, checked, and frees its descriptors: OK with
 * *used filled, EMPTY, USED_LENGTH (the chain is freed and *used filled all
 * the same: its contents are not to be trusted), or a fatal error that breaks
 * the queue (and BROKEN ever after).
 */
enum virtq_driver_result virtq_driver_get_used(struct virtq_driver *queue, struct virtq_driver_used *used);

/* Asks the device for no used-buffer notifications (a hint: the driver handles spurious ones anyway). */
void virtq_driver_disable_interrupts(struct virtq_driver *queue);

/*
 * Asks for used-buffer notifications again; true if used chains are already
 * waiting (which the device may have published before it saw the request, so
 * the caller takes them rather than wait for an interrupt that may not come).
 */
bool virtq_driver_enable_interrupts(struct virtq_driver *queue);

/* Chains the device holds: published and not yet taken back. */
uint16_t virtq_driver_in_flight(const struct virtq_driver *queue);

/* VIRTQ_DRIVER_OK, or the fatal error that broke the queue. */
enum virtq_driver_result virtq_driver_broken(const struct virtq_driver *queue);

#endif
