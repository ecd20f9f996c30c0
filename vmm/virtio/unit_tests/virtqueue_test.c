/* Unit tests for the split virtqueue (vmm/virtio/virtqueue.c): rings built in fake guest RAM as Linux builds them. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_driver.h"
#include "vmm/virtio/virtio_spec.h"
#include "vmm/virtio/virtqueue.h"

#include <stdlib.h>

#define QUEUE_SIZE 8
#define NEGOTIATED (VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC))
#define BUFFER(n) (FAKE_BUFFERS + 0x1000ull * (n))
#define INDIRECT_TABLE 0x80000ull
#define R 0u
#define W VIRTQ_DESC_F_WRITE
#define NEXT VIRTQ_DESC_F_NEXT
#define INDIRECT VIRTQ_DESC_F_INDIRECT

struct fixture {
    struct guest_memory memory;
    struct fake_driver driver;
    struct virtq queue;
    struct virtq_chain chain;
};

static int start_queue(struct fixture *f, uint64_t features)
{
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    return virtq_start(&f->queue, &f->memory, &layout, features);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    fake_driver_init(&f->driver, &f->memory, FAKE_QUEUE_BASE, QUEUE_SIZE);
    assert_int_equal(start_queue(f, NEGOTIATED), VIRTQ_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fake_ram_destroy(&f->memory);
    free(f);
    return 0;
}

static enum virtq_result pop(struct fixture *f)
{
    return virtq_pop_chain(&f->queue, &f->memory, &f->chain);
}

/* Posts a single-descriptor chain at index head and expects the pop to fail with expected, consuming nothing. */
static void expect_refused(struct fixture *f, enum virtq_result expected)
{
    assert_int_equal(pop(f), expected);
    assert_int_equal(f->queue.last_available, 0);
    assert_string_not_equal(virtq_result_reason(expected), "unknown virtqueue result");
}

static void assert_segment(const struct fixture *f, unsigned i, uint64_t address, uint32_t length, bool writable)
{
    const struct virtq_segment *segment = &f->chain.segments[i];
    assert_int_equal(segment->guest_address, address);
    assert_ptr_equal(segment->host, f->memory.host_base + address);
    assert_int_equal(segment->length, length);
    assert_int_equal(segment->device_writable, writable);
}

/* --- start: the layout checks --- */

static void start_accepts_linux_layout(void **state)
{
    struct fixture *f = *state;
    assert_true(f->queue.ready);
    assert_true(f->queue.indirect_descriptors);
    assert_false(f->queue.event_index);
    assert_int_equal(f->queue.layout.size, QUEUE_SIZE);
}

static void start_refuses_bad_sizes(void **state)
{
    struct fixture *f = *state;
    const uint32_t sizes[] = {0, 3, 6, VIRTQ_MAX_SIZE * 2, 0x10000, 0xffffffff};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct virtq_layout layout = fake_driver_layout(&f->driver);
        layout.size = sizes[i];
        assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_BAD_SIZE);
        assert_false(f->queue.ready);
    }
    struct virtq_layout largest = fake_driver_layout(&f->driver);
    largest.size = VIRTQ_MAX_SIZE;
    assert_int_equal(virtq_start(&f->queue, &f->memory, &largest, NEGOTIATED), VIRTQ_OK);
}

static void start_refuses_misaligned_areas(void **state)
{
    struct fixture *f = *state;
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    layout.descriptor_table += 8; /* needs 16 */
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_RING_MISALIGNED);
    layout = fake_driver_layout(&f->driver);
    layout.available_ring += 1; /* needs 2 */
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_RING_MISALIGNED);
    layout = fake_driver_layout(&f->driver);
    layout.used_ring += 2; /* needs 4 */
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_RING_MISALIGNED);
    assert_false(f->queue.ready);
    /* The minimum alignments are enough. */
    layout = fake_driver_layout(&f->driver);
    layout.available_ring += 2;
    layout.used_ring += 4;
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_OK);
}

static void start_refuses_areas_outside_ram(void **state)
{
    struct fixture *f = *state;
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    layout.descriptor_table = FAKE_RAM_SIZE - 16 * QUEUE_SIZE + 16; /* the last descriptor is past the end */
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_RING_OUTSIDE_RAM);
    layout = fake_driver_layout(&f->driver);
    layout.available_ring = 0xfffffffffffffff0ull; /* would wrap around */
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_RING_OUTSIDE_RAM);
    layout = fake_driver_layout(&f->driver);
    layout.used_ring = FAKE_RAM_SIZE;
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_ERROR_RING_OUTSIDE_RAM);
    assert_false(f->queue.ready);
}

/* With VIRTIO_F_EVENT_IDX each ring has a 16-bit event field after its entries, which must be RAM too. */
static void start_counts_event_fields_only_when_negotiated(void **state)
{
    struct fixture *f = *state;
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    layout.used_ring = FAKE_RAM_SIZE - (VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * QUEUE_SIZE);
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED), VIRTQ_OK);
    assert_int_equal(virtq_start(&f->queue, &f->memory, &layout, NEGOTIATED | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)),
                     VIRTQ_ERROR_RING_OUTSIDE_RAM);
}

static void stopped_queue_is_not_used(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 16, W, 0);
    fake_driver_make_available(&f->driver, 0);
    virtq_stop(&f->queue);
    assert_int_equal(pop(f), VIRTQ_ERROR_NOT_READY);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 0, 0), VIRTQ_ERROR_NOT_READY);
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory));
}

/* --- chains the way drivers build them --- */

static void empty_queue_pops_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pop(f), VIRTQ_EMPTY);
    assert_int_equal(f->queue.last_available, 0);
}

static void single_readable_descriptor(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 5, BUFFER(0), 100, R, 0);
    fake_driver_make_available(&f->driver, 5);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.head, 5);
    assert_int_equal(f->chain.segment_count, 1);
    assert_int_equal(f->chain.readable_count, 1);
    assert_int_equal(f->chain.readable_bytes, 100);
    assert_int_equal(f->chain.writable_bytes, 0);
    assert_segment(f, 0, BUFFER(0), 100, false);
    assert_int_equal(pop(f), VIRTQ_EMPTY);
}

/* A block request: header (readable), data (writable), status byte (writable), chained out of order. */
static void readable_then_writable_chain(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 2, BUFFER(0), 16, R | NEXT, 7);
    fake_driver_set_descriptor(&f->driver, 7, BUFFER(1), 512, W | NEXT, 0);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(2), 1, W, 0);
    fake_driver_make_available(&f->driver, 2);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.head, 2);
    assert_int_equal(f->chain.segment_count, 3);
    assert_int_equal(f->chain.readable_count, 1);
    assert_int_equal(f->chain.readable_bytes, 16);
    assert_int_equal(f->chain.writable_bytes, 513);
    assert_segment(f, 0, BUFFER(0), 16, false);
    assert_segment(f, 1, BUFFER(1), 512, true);
    assert_segment(f, 2, BUFFER(2), 1, true);
}

static void chain_as_long_as_the_queue(void **state)
{
    struct fixture *f = *state;
    for (uint16_t i = 0; i < QUEUE_SIZE; i++) {
        bool last = i == QUEUE_SIZE - 1;
        fake_driver_set_descriptor(&f->driver, i, BUFFER(i), 8, W | (last ? 0 : NEXT), (uint16_t)(i + 1));
    }
    fake_driver_make_available(&f->driver, 0);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.segment_count, QUEUE_SIZE);
    assert_int_equal(f->chain.writable_bytes, 8 * QUEUE_SIZE);
}

/* Zero-length buffers are odd but legal; one at the very end of RAM is still inside it. */
static void zero_length_descriptor(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 0, FAKE_RAM_SIZE, 0, W, 0);
    fake_driver_make_available(&f->driver, 0);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.segments[0].length, 0);
}

static void chains_come_in_ring_order_and_return_through_used_ring(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 3, BUFFER(3), 30, W, 0);
    fake_driver_set_descriptor(&f->driver, 1, BUFFER(1), 10, W, 0);
    fake_driver_make_available(&f->driver, 3);
    fake_driver_make_available(&f->driver, 1);

    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.head, 3);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 3, 30), VIRTQ_OK);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.head, 1);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 1, 7), VIRTQ_OK);

    assert_int_equal(fake_driver_used_index(&f->driver), 2);
    struct virtq_used_element first = fake_driver_used_element(&f->driver, 0);
    struct virtq_used_element second = fake_driver_used_element(&f->driver, 1);
    assert_int_equal(first.head, 3);
    assert_int_equal(first.written_length, 30);
    assert_int_equal(second.head, 1);
    assert_int_equal(second.written_length, 7);
    assert_int_equal(fake_driver_used_flags(&f->driver), 0);
}

/* The free-running 16-bit indices wrap at 65536 on both rings; entries land at index % size throughout. */
static void indices_wrap_around(void **state)
{
    struct fixture *f = *state;
    for (uint16_t i = 0; i < QUEUE_SIZE; i++) {
        fake_driver_set_descriptor(&f->driver, i, BUFFER(i), 64, W, 0);
    }
    for (uint32_t n = 0; n < 0x10000 + 3 * QUEUE_SIZE; n++) {
        uint16_t head = (uint16_t)((n * 3) % QUEUE_SIZE);
        fake_driver_make_available(&f->driver, head);
        assert_int_equal(pop(f), VIRTQ_OK);
        assert_int_equal(f->chain.head, head);
        assert_int_equal(virtq_push_used(&f->queue, &f->memory, head, n % 64), VIRTQ_OK);
        assert_int_equal(fake_driver_used_index(&f->driver), (uint16_t)(n + 1));
        struct virtq_used_element element = fake_driver_used_element(&f->driver, (uint16_t)n);
        assert_int_equal(element.head, head);
        assert_int_equal(element.written_length, n % 64);
    }
    assert_int_equal(pop(f), VIRTQ_EMPTY);
}

/* A full ring (size chains ahead) is fine across the wrap; one more is a driver lying about avail idx. */
static void available_index_may_not_jump_beyond_the_queue(void **state)
{
    struct fixture *f = *state;
    for (uint16_t i = 0; i < QUEUE_SIZE; i++) {
        fake_driver_set_descriptor(&f->driver, i, BUFFER(i), 8, W, 0);
        fake_driver_make_available(&f->driver, i);
    }
    fake_driver_set_available_index(&f->driver, QUEUE_SIZE + 1);
    expect_refused(f, VIRTQ_ERROR_AVAILABLE_INDEX_JUMP);
    fake_driver_set_available_index(&f->driver, 0xffff); /* "behind": as far ahead as 65535 */
    expect_refused(f, VIRTQ_ERROR_AVAILABLE_INDEX_JUMP);
    fake_driver_set_available_index(&f->driver, QUEUE_SIZE);
    for (uint16_t i = 0; i < QUEUE_SIZE; i++) {
        assert_int_equal(pop(f), VIRTQ_OK);
        assert_int_equal(f->chain.head, i);
    }
    assert_int_equal(pop(f), VIRTQ_EMPTY);
}

/* --- malformed chains: refused, nothing consumed, nothing outside RAM touched --- */

static void head_index_out_of_range(void **state)
{
    struct fixture *f = *state;
    fake_driver_make_available(&f->driver, QUEUE_SIZE);
    expect_refused(f, VIRTQ_ERROR_DESCRIPTOR_INDEX);
}

static void next_index_out_of_range(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, R | NEXT, 0xffff);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_DESCRIPTOR_INDEX);
}

static void buffer_outside_ram(void **state)
{
    struct fixture *f = *state;
    const struct {
        uint64_t address;
        uint32_t length;
    } buffers[] = {
        {FAKE_RAM_SIZE - 8, 16},        /* straddles the end */
        {FAKE_RAM_SIZE + 0x1000, 1},    /* beyond it */
        {FAKE_RAM_SIZE + 1, 0},         /* even empty */
        {0x1000, 0xffffffff},           /* longer than RAM */
        {0xfffffffffffffff0ull, 0x100}, /* address + length wraps past 2^64 */
        {UINT64_MAX, 1},
    };
    for (size_t i = 0; i < sizeof(buffers) / sizeof(buffers[0]); i++) {
        fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, R | NEXT, 1);
        fake_driver_set_descriptor(&f->driver, 1, buffers[i].address, buffers[i].length, W, 0);
        fake_driver_set_available_index(&f->driver, 0);
        fake_driver_make_available(&f->driver, 0);
        expect_refused(f, VIRTQ_ERROR_BUFFER_OUTSIDE_RAM);
    }
}

static void loop_in_chain(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, R | NEXT, 1);
    fake_driver_set_descriptor(&f->driver, 1, BUFFER(1), 8, R | NEXT, 2);
    fake_driver_set_descriptor(&f->driver, 2, BUFFER(2), 8, R | NEXT, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_CHAIN_TOO_LONG);

    fake_driver_set_descriptor(&f->driver, 4, BUFFER(4), 8, W | NEXT, 4); /* a descriptor pointing to itself */
    fake_driver_set_available_index(&f->driver, 0);
    fake_driver_make_available(&f->driver, 4);
    expect_refused(f, VIRTQ_ERROR_CHAIN_TOO_LONG);
}

static void writable_then_readable(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, W | NEXT, 1);
    fake_driver_set_descriptor(&f->driver, 1, BUFFER(1), 8, R, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_READABLE_AFTER_WRITABLE);
}

/* A refused chain stays available: once the driver's descriptors are sane, the same chain pops. */
static void refusal_consumes_nothing(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 6, BUFFER(0), 8, W | NEXT, 9);
    fake_driver_make_available(&f->driver, 6);
    expect_refused(f, VIRTQ_ERROR_DESCRIPTOR_INDEX);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 6, 0), VIRTQ_ERROR_NOTHING_IN_FLIGHT);
    fake_driver_set_descriptor(&f->driver, 6, BUFFER(0), 8, W, 0);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.head, 6);
}

/* Lengths are each below 2^32 but add up: the chain may hold at most VIRTQ_CHAIN_MAX_BYTES. */
static void chain_byte_limit(void **state)
{
    struct fixture *f = *state;
    struct guest_memory large = fake_ram_create((5ull << 30)); /* reserved, never touched beyond the rings */
    struct fake_driver driver;
    fake_driver_init(&driver, &large, FAKE_QUEUE_BASE, QUEUE_SIZE);
    struct virtq queue;
    struct virtq_layout layout = fake_driver_layout(&driver);
    assert_int_equal(virtq_start(&queue, &large, &layout, NEGOTIATED), VIRTQ_OK);

    fake_driver_set_descriptor(&driver, 0, 1ull << 30, 0x80000000u, R | NEXT, 1);
    fake_driver_set_descriptor(&driver, 1, 1ull << 30, 0x7fffffffu, W, 0);
    fake_driver_make_available(&driver, 0);
    assert_int_equal(virtq_pop_chain(&queue, &large, &f->chain), VIRTQ_OK);
    assert_int_equal(f->chain.readable_bytes + f->chain.writable_bytes, VIRTQ_CHAIN_MAX_BYTES);

    fake_driver_set_descriptor(&driver, 1, 1ull << 30, 0x80000000u, W, 0);
    fake_driver_make_available(&driver, 0);
    assert_int_equal(virtq_pop_chain(&queue, &large, &f->chain), VIRTQ_ERROR_CHAIN_TOO_MANY_BYTES);
    fake_ram_destroy(&large);
}

/* --- indirect descriptors --- */

static void indirect_table(void **state)
{
    struct fixture *f = *state;
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(0), 16, R | NEXT, 2);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 2, BUFFER(2), 4096, W | NEXT, 1);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 1, BUFFER(1), 1, W, 0);
    /* The WRITE flag on the descriptor naming the table means nothing. */
    fake_driver_set_descriptor(&f->driver, 4, INDIRECT_TABLE, 3 * VIRTQ_DESCRIPTOR_SIZE, INDIRECT | W, 0);
    fake_driver_make_available(&f->driver, 4);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.head, 4);
    assert_int_equal(f->chain.segment_count, 3);
    assert_int_equal(f->chain.readable_count, 1);
    assert_segment(f, 0, BUFFER(0), 16, false);
    assert_segment(f, 1, BUFFER(2), 4096, true);
    assert_segment(f, 2, BUFFER(1), 1, true);
}

/* The spec's unusual but valid case: normal descriptors followed by one indirect descriptor. */
static void direct_descriptors_then_indirect_table(void **state)
{
    struct fixture *f = *state;
    fake_write_descriptor(&f->memory, INDIRECT_TABLE + 8, 0, BUFFER(2), 64, W, 0); /* no alignment required */
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 16, R | NEXT, 1);
    fake_driver_set_descriptor(&f->driver, 1, INDIRECT_TABLE + 8, VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(f->chain.segment_count, 2);
    assert_segment(f, 0, BUFFER(0), 16, false);
    assert_segment(f, 1, BUFFER(2), 64, true);
}

static void indirect_not_negotiated(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start_queue(f, VIRTIO_FEATURE(VIRTIO_F_VERSION_1)), VIRTQ_OK);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(0), 16, W, 0);
    fake_driver_set_descriptor(&f->driver, 0, INDIRECT_TABLE, VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_INDIRECT_NOT_NEGOTIATED);
}

static void indirect_inside_indirect(void **state)
{
    struct fixture *f = *state;
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(0), 16, R | NEXT, 1);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 1, INDIRECT_TABLE, 2 * VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_set_descriptor(&f->driver, 0, INDIRECT_TABLE, 2 * VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_INDIRECT_NESTED);
}

static void indirect_with_next(void **state)
{
    struct fixture *f = *state;
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(0), 16, W, 0);
    fake_driver_set_descriptor(&f->driver, 0, INDIRECT_TABLE, VIRTQ_DESCRIPTOR_SIZE, INDIRECT | NEXT, 1);
    fake_driver_set_descriptor(&f->driver, 1, BUFFER(1), 16, W, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_INDIRECT_WITH_NEXT);
}

static void indirect_bad_lengths(void **state)
{
    struct fixture *f = *state;
    const uint32_t lengths[] = {0, 8, 24, 17, (QUEUE_SIZE + 1) * VIRTQ_DESCRIPTOR_SIZE, 0xfffffff0};
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        fake_driver_set_descriptor(&f->driver, 0, INDIRECT_TABLE, lengths[i], INDIRECT, 0);
        fake_driver_set_available_index(&f->driver, 0);
        fake_driver_make_available(&f->driver, 0);
        expect_refused(f, VIRTQ_ERROR_INDIRECT_BAD_LENGTH);
    }
}

static void indirect_table_outside_ram(void **state)
{
    struct fixture *f = *state;
    const uint64_t tables[] = {FAKE_RAM_SIZE - VIRTQ_DESCRIPTOR_SIZE, 0xfffffffffffffff0ull};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        fake_driver_set_descriptor(&f->driver, 0, tables[i], 2 * VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
        fake_driver_set_available_index(&f->driver, 0);
        fake_driver_make_available(&f->driver, 0);
        expect_refused(f, VIRTQ_ERROR_INDIRECT_OUTSIDE_RAM);
    }
}

static void indirect_next_beyond_its_table(void **state)
{
    struct fixture *f = *state;
    /* Index 2 exists in the queue's table but not in this two-entry indirect table. */
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(0), 16, W | NEXT, 2);
    fake_driver_set_descriptor(&f->driver, 0, INDIRECT_TABLE, 2 * VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_DESCRIPTOR_INDEX);
}

static void loop_in_indirect_table(void **state)
{
    struct fixture *f = *state;
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(0), 16, W | NEXT, 1);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 1, BUFFER(1), 16, W | NEXT, 0);
    fake_driver_set_descriptor(&f->driver, 0, INDIRECT_TABLE, 2 * VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_CHAIN_TOO_LONG);
}

/* Direct and indirect descriptors together count against the queue size. */
static void chain_longer_than_queue_across_indirect(void **state)
{
    struct fixture *f = *state;
    for (uint16_t i = 0; i < QUEUE_SIZE; i++) {
        bool last = i == QUEUE_SIZE - 1;
        fake_write_descriptor(&f->memory, INDIRECT_TABLE, i, BUFFER(i), 8, W | (last ? 0 : NEXT), (uint16_t)(i + 1));
    }
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, R | NEXT, 1);
    fake_driver_set_descriptor(&f->driver, 1, INDIRECT_TABLE, QUEUE_SIZE * VIRTQ_DESCRIPTOR_SIZE, INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    expect_refused(f, VIRTQ_ERROR_CHAIN_TOO_LONG);
}

/* --- used ring --- */

static void push_used_checks_the_device(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 0, 0), VIRTQ_ERROR_NOTHING_IN_FLIGHT);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, W, 0);
    fake_driver_make_available(&f->driver, 0);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, QUEUE_SIZE, 0), VIRTQ_ERROR_USED_HEAD);
    assert_int_equal(fake_driver_used_index(&f->driver), 0);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 0, 8), VIRTQ_OK);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, 0, 8), VIRTQ_ERROR_NOTHING_IN_FLIGHT);
    assert_int_equal(fake_driver_used_index(&f->driver), 1);
}

static void push_one(struct fixture *f, uint16_t head)
{
    fake_driver_set_descriptor(&f->driver, head, BUFFER(head), 8, W, 0);
    fake_driver_make_available(&f->driver, head);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(virtq_push_used(&f->queue, &f->memory, head, 8), VIRTQ_OK);
}

/* --- notification suppression --- */

static void interrupt_unless_driver_suppresses_it(void **state)
{
    struct fixture *f = *state;
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory)); /* nothing pushed */
    push_one(f, 0);
    assert_true(virtq_needs_interrupt(&f->queue, &f->memory));
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory)); /* already told */
    fake_driver_set_available_flags(&f->driver, VIRTQ_AVAIL_F_NO_INTERRUPT);
    push_one(f, 1);
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory));
    fake_driver_set_available_flags(&f->driver, 0);
    push_one(f, 2);
    assert_true(virtq_needs_interrupt(&f->queue, &f->memory));
}

/* With VIRTIO_F_EVENT_IDX: interrupt when the used index passes used_event, whatever the flags say. */
static void event_index_decides_interrupts(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start_queue(f, NEGOTIATED | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)), VIRTQ_OK);
    fake_driver_set_available_flags(&f->driver, VIRTQ_AVAIL_F_NO_INTERRUPT); /* ignored with event index */
    fake_driver_set_used_event(&f->driver, 0);
    push_one(f, 0); /* used idx 0 -> 1: entry 0 written, which is used_event */
    assert_true(virtq_needs_interrupt(&f->queue, &f->memory));

    fake_driver_set_used_event(&f->driver, 3); /* "tell me when entry 3 is written" */
    push_one(f, 1);
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory));
    push_one(f, 2);
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory));
    push_one(f, 3);
    assert_true(virtq_needs_interrupt(&f->queue, &f->memory));

    /* A batch that passes used_event in its middle interrupts once, at the end. */
    fake_driver_set_used_event(&f->driver, 5);
    push_one(f, 4);
    push_one(f, 5);
    push_one(f, 6);
    assert_true(virtq_needs_interrupt(&f->queue, &f->memory));
    assert_false(virtq_needs_interrupt(&f->queue, &f->memory));
    assert_int_equal(fake_driver_used_flags(&f->driver), 0);
}

/* With VIRTIO_F_EVENT_IDX the device asks for a notification (avail_event) whenever it finds the queue empty. */
static void empty_queue_asks_for_notification(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start_queue(f, NEGOTIATED | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)), VIRTQ_OK);
    assert_int_equal(pop(f), VIRTQ_EMPTY);
    assert_int_equal(fake_driver_available_event(&f->driver), 0);
    for (uint16_t i = 0; i < 3; i++) {
        fake_driver_set_descriptor(&f->driver, i, BUFFER(i), 8, W, 0);
        fake_driver_make_available(&f->driver, i);
    }
    while (pop(f) == VIRTQ_OK) {
    }
    assert_int_equal(f->queue.last_available, 3);
    assert_int_equal(fake_driver_available_event(&f->driver), 3);
}

static void without_event_index_avail_event_is_untouched(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pop(f), VIRTQ_EMPTY);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, W, 0);
    fake_driver_make_available(&f->driver, 0);
    assert_int_equal(pop(f), VIRTQ_OK);
    assert_int_equal(pop(f), VIRTQ_EMPTY);
    assert_int_equal(fake_driver_available_event(&f->driver), 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(start_accepts_linux_layout),
        TEST(start_refuses_bad_sizes),
        TEST(start_refuses_misaligned_areas),
        TEST(start_refuses_areas_outside_ram),
        TEST(start_counts_event_fields_only_when_negotiated),
        TEST(stopped_queue_is_not_used),
        TEST(empty_queue_pops_nothing),
        TEST(single_readable_descriptor),
        TEST(readable_then_writable_chain),
        TEST(chain_as_long_as_the_queue),
        TEST(zero_length_descriptor),
        TEST(chains_come_in_ring_order_and_return_through_used_ring),
        TEST(indices_wrap_around),
        TEST(available_index_may_not_jump_beyond_the_queue),
        TEST(head_index_out_of_range),
        TEST(next_index_out_of_range),
        TEST(buffer_outside_ram),
        TEST(loop_in_chain),
        TEST(writable_then_readable),
        TEST(refusal_consumes_nothing),
        TEST(chain_byte_limit),
        TEST(indirect_table),
        TEST(direct_descriptors_then_indirect_table),
        TEST(indirect_not_negotiated),
        TEST(indirect_inside_indirect),
        TEST(indirect_with_next),
        TEST(indirect_bad_lengths),
        TEST(indirect_table_outside_ram),
        TEST(indirect_next_beyond_its_table),
        TEST(loop_in_indirect_table),
        TEST(chain_longer_than_queue_across_indirect),
        TEST(push_used_checks_the_device),
        TEST(interrupt_unless_driver_suppresses_it),
        TEST(event_index_decides_interrupts),
        TEST(empty_queue_asks_for_notification),
        TEST(without_event_index_avail_event_is_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
