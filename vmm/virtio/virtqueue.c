#include "virtqueue.h"

#include "virtio_spec.h"

#include <stdatomic.h>
#include <string.h>

/* Ring fields are read and written as whole aligned words, which are little-endian only on such a host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio rings are little-endian: add byte swaps here");
_Static_assert(sizeof(struct virtq_descriptor) == VIRTQ_DESCRIPTOR_SIZE,
               "descriptor layout (spec: The Virtqueue Descriptor Table)");
_Static_assert(sizeof(struct virtq_used_element) == VIRTQ_USED_ENTRY_SIZE,
               "used element layout (spec: The Virtqueue Used Ring)");

/*
 * Guest RAM is shared with a running vCPU: ring fields go through volatile
 * accesses, so each is read or written exactly once, and the fences order
 * them as the spec's "suitable memory barriers".
 */
static uint16_t load16(const uint8_t *field)
{
    return *(const volatile uint16_t *)(const void *)field;
}

static void store16(uint8_t *field, uint16_t value)
{
    *(volatile uint16_t *)(void *)field = value;
}

/* Little-endian bytes one by one: indirect tables need no alignment, so a descriptor may sit anywhere. */
static uint64_t load_little_endian(const volatile uint8_t *bytes, unsigned count)
{
    uint64_t value = 0;
    for (unsigned i = count; i-- > 0;) {
        value = value << 8 | bytes[i];
    }
    return value;
}

static uint64_t available_ring_bytes(const struct virtq *queue)
{
    return VIRTQ_RING_HEADER_SIZE + (uint64_t)VIRTQ_AVAILABLE_ENTRY_SIZE * queue->layout.size +
           (queue->event_index ? VIRTQ_EVENT_SIZE : 0);
}

static uint64_t used_ring_bytes(const struct virtq *queue)
{
    return VIRTQ_RING_HEADER_SIZE + (uint64_t)VIRTQ_USED_ENTRY_SIZE * queue->layout.size +
           (queue->event_index ? VIRTQ_EVENT_SIZE : 0);
}

/* The driver's used_event (after the available entries) and the device's avail_event (after the used ones). */
static uint8_t *used_event_field(const struct virtq *queue, uint8_t *available)
{
    return available + VIRTQ_RING_HEADER_SIZE + VIRTQ_AVAILABLE_ENTRY_SIZE * queue->layout.size;
}

static uint8_t *available_event_field(const struct virtq *queue, uint8_t *used)
{
    return used + VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * queue->layout.size;
}

/*
 * An area must be aligned in the guest (the spec's rule) and in the VMM, where
 * its fields are accessed as whole words; the VMM's guest RAM is page-aligned,
 * so the second check only fails if that is broken.
 */
static enum virtq_result check_area(const struct guest_memory *memory, uint64_t address, uint64_t bytes,
                                    uint64_t alignment)
{
    if (address % alignment != 0) {
        return VIRTQ_ERROR_RING_MISALIGNED;
    }
    const uint8_t *host = guest_memory_at(memory, address, bytes);
    if (!host) {
        return VIRTQ_ERROR_RING_OUTSIDE_RAM;
    }
    return (uintptr_t)host % alignment == 0 ? VIRTQ_OK : VIRTQ_ERROR_RING_MISALIGNED;
}

enum virtq_result virtq_start(struct virtq *queue, const struct guest_memory *memory, const struct virtq_layout *layout,
                              uint64_t negotiated_features)
{
    virtq_stop(queue);
    uint32_t size = layout->size;
    if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) != 0) {
        return VIRTQ_ERROR_BAD_SIZE;
    }
    struct virtq started = {
        .ready = true,
        .indirect_descriptors = (negotiated_features & VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC)) != 0,
        .event_index = (negotiated_features & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)) != 0,
        .layout = *layout,
    };
    enum virtq_result result = check_area(memory, layout->descriptor_table, (uint64_t)VIRTQ_DESCRIPTOR_SIZE * size,
                                          VIRTQ_DESCRIPTOR_TABLE_ALIGN);
    if (result == VIRTQ_OK) {
        result = check_area(memory, layout->available_ring, available_ring_bytes(&started), VIRTQ_AVAILABLE_RING_ALIGN);
    }
    if (result == VIRTQ_OK) {
        result = check_area(memory, layout->used_ring, used_ring_bytes(&started), VIRTQ_USED_RING_ALIGN);
    }
    if (result == VIRTQ_OK) {
        *queue = started;
    }
    return result;
}

void virtq_stop(struct virtq *queue)
{
    *queue = (struct virtq){.ready = false};
}

/*
 * The tables were checked to lie in RAM (at start, or when the indirect
 * descriptor was read), so this fails only if memory is not the guest RAM the
 * queue was started with.
 */
static enum virtq_result read_descriptor(const struct guest_memory *memory, uint64_t table, uint32_t index,
                                         struct virtq_descriptor *descriptor)
{
    const volatile uint8_t *bytes =
        guest_memory_at(memory, table + (uint64_t)index * VIRTQ_DESCRIPTOR_SIZE, VIRTQ_DESCRIPTOR_SIZE);
    if (!bytes) {
        return VIRTQ_ERROR_RING_OUTSIDE_RAM;
    }
    descriptor->address = load_little_endian(bytes, 8);
    descriptor->length = (uint32_t)load_little_endian(bytes + 8, 4);
    descriptor->flags = (uint16_t)load_little_endian(bytes + 12, 2);
    descriptor->next = (uint16_t)load_little_endian(bytes + 14, 2);
    return VIRTQ_OK;
}

/* The rules for a descriptor that points to an indirect table (spec: Indirect Descriptors). */
static enum virtq_result check_indirect(const struct virtq *queue, const struct guest_memory *memory,
                                        const struct virtq_descriptor *descriptor, bool in_indirect_table)
{
    if (!queue->indirect_descriptors) {
        return VIRTQ_ERROR_INDIRECT_NOT_NEGOTIATED;
    }
    if (in_indirect_table) {
        return VIRTQ_ERROR_INDIRECT_NESTED;
    }
    if (descriptor->flags & VIRTQ_DESC_F_NEXT) {
        return VIRTQ_ERROR_INDIRECT_WITH_NEXT;
    }
    uint32_t count = descriptor->length / VIRTQ_DESCRIPTOR_SIZE;
    if (descriptor->length % VIRTQ_DESCRIPTOR_SIZE != 0 || count == 0 || count > queue->layout.size) {
        return VIRTQ_ERROR_INDIRECT_BAD_LENGTH;
    }
    if (!guest_memory_at(memory, descriptor->address, descriptor->length)) {
        return VIRTQ_ERROR_INDIRECT_OUTSIDE_RAM;
    }
    return VIRTQ_OK;
}

/* Adds one buffer; a chain has at most max_segments of them, readable ones first, and VIRTQ_CHAIN_MAX_BYTES. */
static enum virtq_result add_segment(struct virtq_chain *chain, const struct guest_memory *memory,
                                     uint32_t max_segments, const struct virtq_descriptor *descriptor)
{
    if (chain->segment_count == max_segments) {
        return VIRTQ_ERROR_CHAIN_TOO_LONG;
    }
    bool writable = (descriptor->flags & VIRTQ_DESC_F_WRITE) != 0;
    if (!writable && chain->segment_count > chain->readable_count) {
        return VIRTQ_ERROR_READABLE_AFTER_WRITABLE;
    }
    uint8_t *host = guest_memory_at(memory, descriptor->address, descriptor->length);
    if (!host) {
        return VIRTQ_ERROR_BUFFER_OUTSIDE_RAM;
    }
    /* At most VIRTQ_MAX_SIZE lengths below 2^32 each: the sum cannot overflow 64 bits. */
    if (chain->readable_bytes + chain->writable_bytes + descriptor->length > VIRTQ_CHAIN_MAX_BYTES) {
        return VIRTQ_ERROR_CHAIN_TOO_MANY_BYTES;
    }
    chain->segments[chain->segment_count++] = (struct virtq_segment){
        .guest_address = descriptor->address,
        .host = host,
        .length = descriptor->length,
        .device_writable = writable,
    };
    if (writable) {
        chain->writable_bytes += descriptor->length;
    } else {
        chain->readable_bytes += descriptor->length;
        chain->readable_count++;
    }
    return VIRTQ_OK;
}

/*
 * Follows the chain from head: zero or more descriptors of the queue's table,
 * optionally ending in one that points to an indirect table, which is then
 * followed from its index 0 (spec: Indirect Descriptors). Every pass either adds a segment
 * (bounded by the queue size, which is how a loop is caught) or enters the
 * indirect table (once), so the walk always ends.
 */
static enum virtq_result read_chain(const struct virtq *queue, const struct guest_memory *memory, uint16_t head,
                                    struct virtq_chain *chain)
{
    uint32_t size = queue->layout.size;
    if (head >= size) {
        return VIRTQ_ERROR_DESCRIPTOR_INDEX;
    }
    chain->head = head;
    chain->segment_count = 0;
    chain->readable_count = 0;
    chain->readable_bytes = 0;
    chain->writable_bytes = 0;

    uint64_t table = queue->layout.descriptor_table;
    uint32_t table_count = size;
    bool in_indirect_table = false;
    uint32_t index = head;
    for (;;) {
        struct virtq_descriptor descriptor;
        enum virtq_result result = read_descriptor(memory, table, index, &descriptor);
        if (result != VIRTQ_OK) {
            return result;
        }
        if (descriptor.flags & VIRTQ_DESC_F_INDIRECT) {
            /* Its WRITE flag means nothing (the device MUST ignore it). */
            result = check_indirect(queue, memory, &descriptor, in_indirect_table);
            if (result != VIRTQ_OK) {
                return result;
            }
            table = descriptor.address;
            table_count = descriptor.length / VIRTQ_DESCRIPTOR_SIZE;
            in_indirect_table = true;
            index = 0;
            continue;
        }
        result = add_segment(chain, memory, size, &descriptor);
        if (result != VIRTQ_OK) {
            return result;
        }
        if (!(descriptor.flags & VIRTQ_DESC_F_NEXT)) {
            return VIRTQ_OK;
        }
        if (descriptor.next >= table_count) {
            return VIRTQ_ERROR_DESCRIPTOR_INDEX;
        }
        index = descriptor.next;
    }
}

enum virtq_result virtq_pop_chain(struct virtq *queue, const struct guest_memory *memory, struct virtq_chain *chain)
{
    if (!queue->ready) {
        return VIRTQ_ERROR_NOT_READY;
    }
    uint8_t *available = guest_memory_at(memory, queue->layout.available_ring, available_ring_bytes(queue));
    uint8_t *used = guest_memory_at(memory, queue->layout.used_ring, used_ring_bytes(queue));
    if (!available || !used) {
        return VIRTQ_ERROR_RING_OUTSIDE_RAM;
    }
    uint16_t available_index = load16(available + 2);
    if (available_index == queue->last_available) {
        if (!queue->event_index) {
            return VIRTQ_EMPTY;
        }
        /*
         * Ask to be notified when the driver adds the next chain, then look again:
         * it may have added one (and read the old avail_event) just before the
         * request became visible.
         */
        store16(available_event_field(queue, used), queue->last_available);
        atomic_thread_fence(memory_order_seq_cst);
        available_index = load16(available + 2);
        if (available_index == queue->last_available) {
            return VIRTQ_EMPTY;
        }
    }
    /* The driver has only size descriptors: it can never be more than size chains ahead. */
    if ((uint16_t)(available_index - queue->last_available) > queue->layout.size) {
        return VIRTQ_ERROR_AVAILABLE_INDEX_JUMP;
    }
    /* The driver wrote the entries and descriptors before the index: read them after it. */
    atomic_thread_fence(memory_order_acquire);
    uint16_t slot = queue->last_available % queue->layout.size;
    uint16_t head = load16(available + VIRTQ_RING_HEADER_SIZE + VIRTQ_AVAILABLE_ENTRY_SIZE * slot);
    enum virtq_result result = read_chain(queue, memory, head, chain);
    if (result == VIRTQ_OK) {
        queue->last_available++;
    }
    return result;
}

enum virtq_result virtq_push_used(struct virtq *queue, const struct guest_memory *memory, uint16_t head,
                                  uint32_t written_length)
{
    if (!queue->ready) {
        return VIRTQ_ERROR_NOT_READY;
    }
    if (head >= queue->layout.size) {
        return VIRTQ_ERROR_USED_HEAD;
    }
    /* Each pop is answered by one push: more pushes than pops would hand the driver chains it never gave. */
    if (queue->next_used == queue->last_available) {
        return VIRTQ_ERROR_NOTHING_IN_FLIGHT;
    }
    uint8_t *used = guest_memory_at(memory, queue->layout.used_ring, used_ring_bytes(queue));
    if (!used) {
        return VIRTQ_ERROR_RING_OUTSIDE_RAM;
    }
    uint16_t slot = queue->next_used % queue->layout.size;
    volatile struct virtq_used_element *element =
        (volatile struct virtq_used_element *)(void *)(used + VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * slot);
    element->head = head;
    element->written_length = written_length;
    /* The entry (and the bytes written into the buffers) before the index that publishes it. */
    atomic_thread_fence(memory_order_release);
    queue->next_used++;
    store16(used + 2, queue->next_used);
    return VIRTQ_OK;
}

bool virtq_needs_interrupt(struct virtq *queue, const struct guest_memory *memory)
{
    if (!queue->ready || queue->next_used == queue->signalled_used) {
        return false;
    }
    uint16_t previous = queue->signalled_used;
    queue->signalled_used = queue->next_used;
    /* The used index must be visible before the driver's wish is read, or both sides may wait. */
    atomic_thread_fence(memory_order_seq_cst);
    uint8_t *available = guest_memory_at(memory, queue->layout.available_ring, available_ring_bytes(queue));
    if (!available) {
        return true; /* the wish cannot be read; drivers MUST handle spurious notifications */
    }
    if (queue->event_index) {
        /* Whether used_event lies among the entries pushed since the last time: in (previous, next_used]. */
        uint16_t used_event = load16(used_event_field(queue, available));
        return (uint16_t)(queue->next_used - used_event - 1) < (uint16_t)(queue->next_used - previous);
    }
    return (load16(available) & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
}

const char *virtq_result_reason(enum virtq_result result)
{
    switch (result) {
    case VIRTQ_OK:
        return "no error";
    case VIRTQ_EMPTY:
        return "no buffers available";
    case VIRTQ_ERROR_NOT_READY:
        return "the queue is not ready";
    case VIRTQ_ERROR_BAD_SIZE:
        return "queue size is not a power of two between 1 and the maximum";
    case VIRTQ_ERROR_RING_MISALIGNED:
        return "a queue area is not aligned as the spec requires";
    case VIRTQ_ERROR_RING_OUTSIDE_RAM:
        return "a queue area lies outside guest RAM";
    case VIRTQ_ERROR_AVAILABLE_INDEX_JUMP:
        return "the available index moved ahead by more than the queue size";
    case VIRTQ_ERROR_DESCRIPTOR_INDEX:
        return "a descriptor index is beyond its table";
    case VIRTQ_ERROR_BUFFER_OUTSIDE_RAM:
        return "a buffer lies outside guest RAM";
    case VIRTQ_ERROR_CHAIN_TOO_LONG:
        return "a descriptor chain is longer than the queue size (a loop?)";
    case VIRTQ_ERROR_CHAIN_TOO_MANY_BYTES:
        return "a descriptor chain holds 4 GiB or more";
    case VIRTQ_ERROR_READABLE_AFTER_WRITABLE:
        return "a device-readable descriptor follows a device-writable one";
    case VIRTQ_ERROR_INDIRECT_NOT_NEGOTIATED:
        return "an indirect descriptor without VIRTIO_F_INDIRECT_DESC";
    case VIRTQ_ERROR_INDIRECT_NESTED:
        return "an indirect descriptor inside an indirect table";
    case VIRTQ_ERROR_INDIRECT_WITH_NEXT:
        return "an indirect descriptor with the NEXT flag";
    case VIRTQ_ERROR_INDIRECT_BAD_LENGTH:
        return "an indirect table length is not a nonzero multiple of 16 up to the queue size";
    case VIRTQ_ERROR_INDIRECT_OUTSIDE_RAM:
        return "an indirect table lies outside guest RAM";
    case VIRTQ_ERROR_USED_HEAD:
        return "the device returned a head beyond the descriptor table";
    case VIRTQ_ERROR_NOTHING_IN_FLIGHT:
        return "the device returned more chains than it took";
    }
    return "unknown virtqueue result";
}

/* Copies between a buffer and the segments first to last of chain, starting offset bytes into them. */
static void chain_copy(const struct virtq_chain *chain, uint16_t first, uint16_t last, uint64_t offset, uint8_t *buffer,
                       uint64_t length, bool into_chain)
{
    for (uint16_t i = first; i < last && length > 0; i++) {
        const struct virtq_segment *segment = &chain->segments[i];
        if (offset >= segment->length) {
            offset -= segment->length;
            continue;
        }
        uint64_t piece = segment->length - offset < length ? segment->length - offset : length;
        if (into_chain) {
            memcpy(segment->host + offset, buffer, piece);
        } else {
            memcpy(buffer, segment->host + offset, piece);
        }
        buffer += piece;
        length -= piece;
        offset = 0;
    }
}

void virtq_chain_read(const struct virtq_chain *chain, uint64_t offset, uint8_t *destination, uint64_t length)
{
    chain_copy(chain, 0, chain->readable_count, offset, destination, length, false);
}

void virtq_chain_write(const struct virtq_chain *chain, uint64_t offset, const uint8_t *source, uint64_t length)
{
    /* The buffer is only read in this direction. */
    chain_copy(chain, chain->readable_count, chain->segment_count, offset, (uint8_t *)(uintptr_t)source, length, true);
}
