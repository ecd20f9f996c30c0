#include "virtqueue_driver.h"

#include <stdatomic.h>
#include <string.h>

/* Ring fields are written and read as whole aligned words, which are little-endian only on such a host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio rings are little-endian: add byte swaps here");
_Static_assert((VIRTQ_DRIVER_SIZE_MAX & (VIRTQ_DRIVER_SIZE_MAX - 1)) == 0, "the largest queue is a power of two");
_Static_assert(VIRTQ_DRIVER_SIZE_MAX <= 32768, "the spec's largest split queue");

/* What a descriptor is, in the driver's private view. */
enum {
    VIRTQ_SLOT_FREE = 0,
    VIRTQ_SLOT_ADDED,     /* the head of a chain added but not yet published */
    VIRTQ_SLOT_IN_DEVICE, /* the head of a published chain: the only ids the device may hand back */
    VIRTQ_SLOT_MEMBER,    /* a later descriptor of a chain */
};

/* The descriptor table's field offsets (spec: struct virtq_desc). */
#define DESCRIPTOR_ADDRESS 0u
#define DESCRIPTOR_LENGTH 8u
#define DESCRIPTOR_FLAGS 12u
#define DESCRIPTOR_NEXT 14u

/*
 * The areas are shared with a device that runs concurrently: each field is
 * read or written exactly once through a volatile access of its own width,
 * and the C11 fences order those accesses as the spec's "suitable memory
 * barriers" (on x86 the release and acquire fences restrain the compiler only;
 * the sequentially consistent one is an mfence).
 */
static void store16(uint8_t *field, uint16_t value)
{
    *(volatile uint16_t *)(void *)field = value;
}

static void store32(uint8_t *field, uint32_t value)
{
    *(volatile uint32_t *)(void *)field = value;
}

static void store64(uint8_t *field, uint64_t value)
{
    *(volatile uint64_t *)(void *)field = value;
}

static uint16_t load16(const uint8_t *field)
{
    return *(const volatile uint16_t *)(const void *)field;
}

static uint32_t load32(const uint8_t *field)
{
    return *(const volatile uint32_t *)(const void *)field;
}

const char *virtq_driver_result_reason(enum virtq_driver_result result)
{
    switch (result) {
    case VIRTQ_DRIVER_OK:
        return "no error";
    case VIRTQ_DRIVER_EMPTY:
        return "no used buffers";
    case VIRTQ_DRIVER_FULL:
        return "not enough free descriptors";
    case VIRTQ_DRIVER_ERROR_ARGUMENT:
        return "invalid argument";
    case VIRTQ_DRIVER_ERROR_MEMORY_ALIGNMENT:
        return "queue memory is not aligned to 16 bytes";
    case VIRTQ_DRIVER_ERROR_USED_INDEX:
        return "the device's used index ran ahead of the buffers it holds";
    case VIRTQ_DRIVER_ERROR_USED_ID_RANGE:
        return "the device used a descriptor id beyond the queue";
    case VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT:
        return "the device used a descriptor id it was not given";
    case VIRTQ_DRIVER_ERROR_USED_LENGTH:
        return "the device reported more bytes written than the buffer holds";
    case VIRTQ_DRIVER_ERROR_BROKEN:
        return "the queue was given up after a device error";
    }
    return "unknown virtqueue result";
}

static bool valid_size(uint16_t size)
{
    return size != 0 && size <= VIRTQ_DRIVER_SIZE_MAX && (size & (size - 1)) == 0;
}

static size_t available_offset(uint16_t size)
{
    return (size_t)VIRTQ_DESCRIPTOR_SIZE * size;
}

static size_t used_offset(uint16_t size)
{
    size_t available_end =
        available_offset(size) + VIRTQ_RING_HEADER_SIZE + (size_t)VIRTQ_AVAILABLE_ENTRY_SIZE * size + VIRTQ_EVENT_SIZE;
    return (available_end + VIRTQ_USED_ALIGN - 1) & ~(size_t)(VIRTQ_USED_ALIGN - 1);
}

size_t virtq_driver_memory_bytes(uint16_t size)
{
    if (!valid_size(size)) {
        return 0;
    }
    return used_offset(size) + VIRTQ_RING_HEADER_SIZE + (size_t)VIRTQ_USED_ENTRY_SIZE * size + VIRTQ_EVENT_SIZE;
}

enum virtq_driver_result virtq_driver_init(struct virtq_driver *queue, uint16_t size, void *memory,
                                           uint64_t device_address)
{
    if (!queue || !memory || !valid_size(size)) {
        return VIRTQ_DRIVER_ERROR_ARGUMENT;
    }
    size_t bytes = virtq_driver_memory_bytes(size);
    if (device_address > UINT64_MAX - bytes) {
        return VIRTQ_DRIVER_ERROR_ARGUMENT;
    }
    if ((uintptr_t)memory % VIRTQ_DESCRIPTOR_ALIGN != 0 || device_address % VIRTQ_DESCRIPTOR_ALIGN != 0) {
        return VIRTQ_DRIVER_ERROR_MEMORY_ALIGNMENT;
    }
    memset(queue, 0, sizeof(*queue));
    memset(memory, 0, bytes); /* the spec: zeroed areas, used flags 0 in particular */
    uint8_t *base = memory;
    queue->size = size;
    queue->descriptors = base;
    queue->available = base + available_offset(size);
    queue->used = base + used_offset(size);
    queue->areas = (struct virtq_driver_areas){
        .descriptors = device_address,
        .driver = device_address + available_offset(size),
        .device = device_address + used_offset(size),
    };
    for (uint16_t i = 0; i < size; i++) {
        queue->slots[i].next = (uint16_t)(i + 1); /* the last points at size: the end of the list */
    }
    queue->free_head = 0;
    queue->free_count = size;
    queue->broken = VIRTQ_DRIVER_OK;
    return VIRTQ_DRIVER_OK;
}

struct virtq_driver_areas virtq_driver_areas(const struct virtq_driver *queue)
{
    return queue->areas;
}

uint16_t virtq_driver_free_descriptors(const struct virtq_driver *queue)
{
    return queue->free_count;
}

uint16_t virtq_driver_in_flight(const struct virtq_driver *queue)
{
    return (uint16_t)(queue->published - queue->last_used);
}

enum virtq_driver_result virtq_driver_broken(const struct virtq_driver *queue)
{
    return queue->broken;
}

/* Readable segments first, none empty, and at most VIRTQ_CHAIN_MAX_BYTES in all; sets the writable total. */
static bool valid_chain(const struct virtq_driver_segment *segments, uint16_t count, uint32_t *writable_bytes)
{
    uint64_t total = 0;
    uint64_t writable = 0;
    bool seen_writable = false;
    for (uint16_t i = 0; i < count; i++) {
        if (segments[i].length == 0) {
            return false;
        }
        if (segments[i].device_writable) {
            seen_writable = true;
            writable += segments[i].length;
        } else if (seen_writable) {
            return false;
        }
        total += segments[i].length;
        if (total > VIRTQ_CHAIN_MAX_BYTES) {
            return false;
        }
    }
    *writable_bytes = (uint32_t)writable;
    return true;
}

static void write_descriptor(struct virtq_driver *queue, uint16_t index, const struct virtq_driver_segment *segment,
                             uint16_t flags, uint16_t next)
{
    uint8_t *descriptor = queue->descriptors + (size_t)VIRTQ_DESCRIPTOR_SIZE * index;
    store64(descriptor + DESCRIPTOR_ADDRESS, segment->device_address);
    store32(descriptor + DESCRIPTOR_LENGTH, segment->length);
    store16(descriptor + DESCRIPTOR_FLAGS, flags);
    store16(descriptor + DESCRIPTOR_NEXT, next);
}

enum virtq_driver_result virtq_driver_add(struct virtq_driver *queue, const struct virtq_driver_segment *segments,
                                          uint16_t count, uint32_t cookie)
{
    if (queue->broken != VIRTQ_DRIVER_OK) {
        return VIRTQ_DRIVER_ERROR_BROKEN;
    }
    uint32_t writable_bytes = 0;
    if (!segments || count == 0 || count > queue->size || !valid_chain(segments, count, &writable_bytes)) {
        return VIRTQ_DRIVER_ERROR_ARGUMENT;
    }
    if (queue->free_count < count) {
        return VIRTQ_DRIVER_FULL;
    }
    uint16_t head = queue->free_head;
    uint16_t index = head;
    for (uint16_t i = 0; i < count; i++) {
        struct virtq_driver_slot *slot = &queue->slots[index];
        uint16_t next = slot->next; /* the free list's next, which becomes the chain's next */
        bool last = i + 1 == count;
        uint16_t flags =
            (uint16_t)((segments[i].device_writable ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT));
        write_descriptor(queue, index, &segments[i], flags, last ? 0 : next);
        slot->state = i == 0 ? VIRTQ_SLOT_ADDED : VIRTQ_SLOT_MEMBER;
        if (last) {
            queue->free_head = next;
        }
        index = next;
    }
    queue->free_count = (uint16_t)(queue->free_count - count);
    struct virtq_driver_slot *first = &queue->slots[head];
    first->chain_length = count;
    first->writable_bytes = writable_bytes;
    first->cookie = cookie;

    uint16_t ring_slot = queue->next_available & (uint16_t)(queue->size - 1);
    store16(queue->available + VIRTQ_RING_HEADER_SIZE + (size_t)VIRTQ_AVAILABLE_ENTRY_SIZE * ring_slot, head);
    queue->pending_heads[ring_slot] = head;
    queue->next_available++;
    return VIRTQ_DRIVER_OK;
}

bool virtq_driver_publish(struct virtq_driver *queue)
{
    if (queue->broken != VIRTQ_DRIVER_OK || queue->next_available == queue->published) {
        return false;
    }
    /* The descriptors and ring entries before the index that exposes them. */
    atomic_thread_fence(memory_order_release);
    store16(queue->available + 2, queue->next_available);
    for (uint16_t i = queue->published; i != queue->next_available; i++) {
        queue->slots[queue->pending_heads[i & (uint16_t)(queue->size - 1)]].state = VIRTQ_SLOT_IN_DEVICE;
    }
    queue->published = queue->next_available;
    /* The index must be visible before the device's wish is read, or both sides may wait. */
    atomic_thread_fence(memory_order_seq_cst);
    return (load16(queue->used) & VIRTQ_USED_F_NO_NOTIFY) == 0;
}

static enum virtq_driver_result break_queue(struct virtq_driver *queue, enum virtq_driver_result error)
{
    queue->broken = error;
    return error;
}

static void free_chain(struct virtq_driver *queue, uint16_t head)
{
    uint16_t index = head;
    uint16_t count = queue->slots[head].chain_length;
    for (uint16_t i = 0; i < count; i++) {
        struct virtq_driver_slot *slot = &queue->slots[index];
        uint16_t next = slot->next;
        slot->state = VIRTQ_SLOT_FREE;
        if (i + 1 == count) {
            slot->next = queue->free_head; /* the chain's last descriptor leads on to the old free list */
        }
        index = next;
    }
    queue->free_head = head;
    queue->free_count = (uint16_t)(queue->free_count + count);
}

enum virtq_driver_result virtq_driver_get_used(struct virtq_driver *queue, struct virtq_driver_used *used)
{
    if (queue->broken != VIRTQ_DRIVER_OK) {
        return VIRTQ_DRIVER_ERROR_BROKEN;
    }
    uint16_t used_index = load16(queue->used + 2);
    if (used_index == queue->last_used) {
        return VIRTQ_DRIVER_EMPTY;
    }
    if ((uint16_t)(used_index - queue->last_used) > virtq_driver_in_flight(queue)) {
        return break_queue(queue, VIRTQ_DRIVER_ERROR_USED_INDEX);
    }
    /* The device wrote the entry (and the buffers) before the index: read them after it. */
    atomic_thread_fence(memory_order_acquire);
    const uint8_t *entry = queue->used + VIRTQ_RING_HEADER_SIZE +
                           (size_t)VIRTQ_USED_ENTRY_SIZE * (queue->last_used & (uint16_t)(queue->size - 1));
    uint32_t id = load32(entry);
    uint32_t length = load32(entry + 4);
    if (id >= queue->size) {
        return break_queue(queue, VIRTQ_DRIVER_ERROR_USED_ID_RANGE);
    }
    struct virtq_driver_slot *head = &queue->slots[id];
    if (head->state != VIRTQ_SLOT_IN_DEVICE) {
        return break_queue(queue, VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
    }
    uint32_t writable_bytes = head->writable_bytes;
    *used = (struct virtq_driver_used){.cookie = head->cookie, .length = length};
    free_chain(queue, (uint16_t)id);
    queue->last_used++;
    return length > writable_bytes ? VIRTQ_DRIVER_ERROR_USED_LENGTH : VIRTQ_DRIVER_OK;
}

void virtq_driver_disable_interrupts(struct virtq_driver *queue)
{
    queue->available_flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    store16(queue->available, queue->available_flags);
}

bool virtq_driver_enable_interrupts(struct virtq_driver *queue)
{
    queue->available_flags = 0;
    store16(queue->available, queue->available_flags);
    /* The request must be visible before the used index is looked at, or a chain used meanwhile goes unsignalled. */
    atomic_thread_fence(memory_order_seq_cst);
    return load16(queue->used + 2) != queue->last_used;
}
