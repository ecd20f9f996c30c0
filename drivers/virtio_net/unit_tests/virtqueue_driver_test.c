/*
 * The driver's side of a split virtqueue (drivers/virtio_net/virtqueue_driver.c) against the device's side in
 * fake_queue.c: layout, chains as the device sees them, the free list, notification decisions, 16-bit index
 * wrap, and a hostile device (used ids out of range, not in flight, not heads, used twice, an index that runs
 * ahead, lengths beyond the buffer), each reported and none followed.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/virtio_net/virtqueue_driver.h"
#include "fake_dma.h"
#include "fake_queue.h"

#include <stdlib.h>
#include <string.h>

#define BUFFER_BYTES 0x10000u

struct fixture {
    struct fake_dma dma;
    struct virtq_driver queue;
    struct fake_queue device;
    uint64_t buffers; /* device address of BUFFER_BYTES of DMA memory for the chains' segments */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_dma_init(&f->dma);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fake_dma_destroy(&f->dma);
    free(f);
    return 0;
}

/* A queue of size entries in fresh DMA memory, its device side, and buffer memory. */
static void make_queue(struct fixture *f, uint16_t size)
{
    struct dma_allocator allocator = fake_dma_allocator(&f->dma);
    uint64_t address = 0;
    void *memory = allocator.allocate(allocator.context, virtq_driver_memory_bytes(size), &address);
    assert_non_null(memory);
    assert_int_equal(virtq_driver_init(&f->queue, size, memory, address), VIRTQ_DRIVER_OK);
    struct virtq_driver_areas areas = virtq_driver_areas(&f->queue);
    fake_queue_init(&f->device, &f->dma, size, areas.descriptors, areas.driver, areas.device);
    assert_non_null(allocator.allocate(allocator.context, BUFFER_BYTES, &f->buffers));
}

static struct virtq_driver_segment readable(struct fixture *f, uint32_t offset, uint32_t length)
{
    return (struct virtq_driver_segment){.device_address = f->buffers + offset, .length = length};
}

static struct virtq_driver_segment writable(struct fixture *f, uint32_t offset, uint32_t length)
{
    return (struct virtq_driver_segment){
        .device_address = f->buffers + offset, .length = length, .device_writable = true};
}

/* Adds a one-segment writable chain of 64 bytes. */
static enum virtq_driver_result add_one(struct fixture *f, uint32_t cookie)
{
    struct virtq_driver_segment segment = writable(f, (cookie % 256) * 64, 64);
    return virtq_driver_add(&f->queue, &segment, 1, cookie);
}

static void test_layout_follows_the_spec(void **state)
{
    struct fixture *f = *state;
    for (uint16_t size = 1; size <= VIRTQ_DRIVER_SIZE_MAX; size = (uint16_t)(size * 2)) {
        fake_dma_destroy(&f->dma);
        make_queue(f, size);
        struct virtq_driver_areas areas = virtq_driver_areas(&f->queue);
        assert_int_equal(areas.descriptors % 16, 0);
        assert_int_equal(areas.driver, areas.descriptors + 16u * size);
        assert_int_equal(areas.device % 4, 0);
        assert_true(areas.device >= areas.driver + 6u + 2u * size);
        assert_int_equal(virtq_driver_memory_bytes(size), areas.device - areas.descriptors + 6u + 8u * size);
        assert_int_equal(virtq_driver_free_descriptors(&f->queue), size);
        assert_int_equal(virtq_driver_in_flight(&f->queue), 0);
        /* Zeroed by the driver (the fake allocator hands out 0xa5 bytes). */
        assert_int_equal(fake_queue_available_index(&f->device), 0);
        assert_int_equal(fake_queue_available_flags(&f->device), 0);
        assert_int_equal(*fake_dma_host(&f->dma, areas.device, 4), 0);
    }
}

static void test_init_refuses_bad_sizes_and_alignment(void **state)
{
    struct fixture *f = *state;
    static _Alignas(16) uint8_t memory[8192];
    assert_int_equal(virtq_driver_init(&f->queue, 0, memory, 0x1000), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_init(&f->queue, 3, memory, 0x1000), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_init(&f->queue, 2 * VIRTQ_DRIVER_SIZE_MAX, memory, 0x1000),
                     VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_init(&f->queue, 4, NULL, 0x1000), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_init(&f->queue, 4, memory + 8, 0x1000), VIRTQ_DRIVER_ERROR_MEMORY_ALIGNMENT);
    assert_int_equal(virtq_driver_init(&f->queue, 4, memory, 0x1008), VIRTQ_DRIVER_ERROR_MEMORY_ALIGNMENT);
    assert_int_equal(virtq_driver_init(&f->queue, 4, memory, UINT64_MAX - 15), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_memory_bytes(0), 0);
    assert_int_equal(virtq_driver_memory_bytes(6), 0);
}

static void test_chain_reaches_the_device_as_written(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    struct virtq_driver_segment chain[] = {readable(f, 0, 12), readable(f, 100, 200), writable(f, 1000, 1500)};
    assert_int_equal(virtq_driver_add(&f->queue, chain, 3, 77), VIRTQ_DRIVER_OK);
    assert_int_equal(virtq_driver_free_descriptors(&f->queue), 5);
    /* Not visible before publish. */
    assert_int_equal(fake_queue_pending(&f->device), 0);
    assert_int_equal(virtq_driver_in_flight(&f->queue), 0);
    assert_true(virtq_driver_publish(&f->queue));
    assert_int_equal(virtq_driver_in_flight(&f->queue), 1);
    assert_int_equal(fake_queue_pending(&f->device), 1);

    struct fake_chain seen;
    assert_true(fake_queue_pop(&f->device, &seen));
    assert_int_equal(seen.count, 3);
    assert_int_equal(seen.readable_bytes, 212);
    assert_int_equal(seen.writable_bytes, 1500);
    assert_ptr_equal(seen.segments[1].host, fake_dma_host(&f->dma, f->buffers + 100, 200));
    assert_true(seen.segments[2].writable);
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
    fake_queue_descriptor(&f->device, seen.head, &address, &length, &flags, &next);
    assert_int_equal(flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(address, f->buffers);
    assert_int_equal(length, 12);
    assert_int_equal(f->device.driver_errors, 0);
}

static void test_publish_follows_the_devices_wish(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    assert_false(virtq_driver_publish(&f->queue)); /* nothing added */
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK);
    fake_queue_set_used_flags(&f->device, VIRTQ_USED_F_NO_NOTIFY);
    assert_false(virtq_driver_publish(&f->queue));
    assert_int_equal(fake_queue_pending(&f->device), 1); /* published all the same */
    fake_queue_set_used_flags(&f->device, 0);
    assert_int_equal(add_one(f, 2), VIRTQ_DRIVER_OK);
    assert_int_equal(add_one(f, 3), VIRTQ_DRIVER_OK);
    assert_true(virtq_driver_publish(&f->queue));
    assert_int_equal(fake_queue_pending(&f->device), 3);
}

static void test_full_queue_adds_nothing(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 4);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(add_one(f, i), VIRTQ_DRIVER_OK);
    }
    struct virtq_driver_segment pair[] = {readable(f, 0, 10), writable(f, 10, 10)};
    assert_int_equal(virtq_driver_add(&f->queue, pair, 2, 9), VIRTQ_DRIVER_FULL);
    assert_int_equal(virtq_driver_free_descriptors(&f->queue), 1);
    assert_int_equal(add_one(f, 3), VIRTQ_DRIVER_OK);
    assert_int_equal(add_one(f, 4), VIRTQ_DRIVER_FULL);
    virtq_driver_publish(&f->queue);
    assert_int_equal(fake_queue_pending(&f->device), 4);
}

static void test_malformed_chains_refused(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 4);
    struct virtq_driver_segment empty = readable(f, 0, 0);
    struct virtq_driver_segment backwards[] = {writable(f, 0, 10), readable(f, 10, 10)};
    struct virtq_driver_segment huge[] = {readable(f, 0, 0x80000000u), writable(f, 0, 0x80000000u)};
    struct virtq_driver_segment five[5];
    for (unsigned i = 0; i < 5; i++) {
        five[i] = readable(f, 16 * i, 16);
    }
    assert_int_equal(virtq_driver_add(&f->queue, &empty, 1, 0), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_add(&f->queue, backwards, 2, 0), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_add(&f->queue, huge, 2, 0), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_add(&f->queue, five, 5, 0), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_add(&f->queue, five, 0, 0), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_add(&f->queue, NULL, 1, 0), VIRTQ_DRIVER_ERROR_ARGUMENT);
    assert_int_equal(virtq_driver_free_descriptors(&f->queue), 4);
    assert_int_equal(virtq_driver_add(&f->queue, five, 4, 0), VIRTQ_DRIVER_OK);
}

static void test_used_chains_come_back_in_device_order(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    struct virtq_driver_segment pair[] = {readable(f, 0, 10), writable(f, 100, 500)};
    assert_int_equal(virtq_driver_add(&f->queue, pair, 2, 10), VIRTQ_DRIVER_OK);
    assert_int_equal(add_one(f, 11), VIRTQ_DRIVER_OK);
    assert_int_equal(add_one(f, 12), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    struct fake_chain chains[3];
    for (unsigned i = 0; i < 3; i++) {
        assert_true(fake_queue_pop(&f->device, &chains[i]));
    }
    fake_queue_push(&f->device, chains[1].head, 64);
    fake_queue_push(&f->device, chains[0].head, 500);
    fake_queue_push(&f->device, chains[2].head, 0);

    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
    assert_int_equal(used.cookie, 11);
    assert_int_equal(used.length, 64);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
    assert_int_equal(used.cookie, 10);
    assert_int_equal(used.length, 500);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
    assert_int_equal(used.cookie, 12);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_EMPTY);
    assert_int_equal(virtq_driver_free_descriptors(&f->queue), 8);
    assert_int_equal(virtq_driver_in_flight(&f->queue), 0);
}

/* Far past 65536 chains through a small queue: the 16-bit indices wrap, the free list never loses a descriptor. */
static void test_indices_wrap(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 4);
    for (uint32_t i = 0; i < 70000; i++) {
        uint16_t count = (uint16_t)(1 + i % 3);
        struct virtq_driver_segment chain[3] = {readable(f, 0, 8), writable(f, 8, 8), writable(f, 16, 8)};
        assert_int_equal(virtq_driver_add(&f->queue, chain, count, i), VIRTQ_DRIVER_OK);
        virtq_driver_publish(&f->queue);
        struct fake_chain seen;
        assert_true(fake_queue_pop(&f->device, &seen));
        assert_int_equal(seen.count, count);
        fake_queue_push(&f->device, seen.head, seen.writable_bytes);
        struct virtq_driver_used used;
        assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
        assert_int_equal(used.cookie, i);
        assert_int_equal(virtq_driver_free_descriptors(&f->queue), 4);
    }
    assert_int_equal(f->device.driver_errors, 0);
}

/* After a fatal error: the error once, BROKEN ever after, nothing added or published. */
static void assert_broken(struct fixture *f, enum virtq_driver_result error)
{
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_broken(&f->queue), error);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_BROKEN);
    assert_int_equal(add_one(f, 99), VIRTQ_DRIVER_ERROR_BROKEN);
    assert_false(virtq_driver_publish(&f->queue));
}

static void test_used_id_out_of_range_breaks_the_queue(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    fake_queue_push(&f->device, 8, 0);
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_ID_RANGE);
    assert_broken(f, VIRTQ_DRIVER_ERROR_USED_ID_RANGE);

    fake_dma_destroy(&f->dma);
    make_queue(f, 8);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    fake_queue_push(&f->device, 0xffffffffu, 0);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_ID_RANGE);
}

static void test_used_id_of_a_free_descriptor_breaks_the_queue(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK); /* descriptor 0 */
    virtq_driver_publish(&f->queue);
    fake_queue_push(&f->device, 5, 0);
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
    assert_broken(f, VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
}

static void test_used_id_inside_a_chain_breaks_the_queue(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    struct virtq_driver_segment chain[] = {readable(f, 0, 10), writable(f, 10, 10), writable(f, 20, 10)};
    assert_int_equal(virtq_driver_add(&f->queue, chain, 3, 1), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    struct fake_chain seen;
    assert_true(fake_queue_pop(&f->device, &seen));
    fake_queue_push(&f->device, (uint16_t)(seen.head + 1), 0);
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
}

static void test_used_twice_breaks_the_queue(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK);
    assert_int_equal(add_one(f, 2), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    struct fake_chain seen;
    assert_true(fake_queue_pop(&f->device, &seen));
    fake_queue_push(&f->device, seen.head, 64);
    fake_queue_push(&f->device, seen.head, 64);
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
    assert_int_equal(used.cookie, 1);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
}

static void test_used_id_not_yet_published_breaks_the_queue(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK); /* descriptor 0, published */
    virtq_driver_publish(&f->queue);
    assert_int_equal(add_one(f, 2), VIRTQ_DRIVER_OK); /* descriptor 1, not published */
    fake_queue_push(&f->device, 1, 0);
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
}

static void test_used_index_ahead_of_the_chains_breaks_the_queue(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    fake_queue_set_used_index(&f->device, 2);
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_INDEX);
    assert_broken(f, VIRTQ_DRIVER_ERROR_USED_INDEX);

    fake_dma_destroy(&f->dma);
    make_queue(f, 8);
    fake_queue_set_used_index(&f->device, 0xffff); /* "backwards": as far ahead as 16 bits go */
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_INDEX);
}

static void test_used_length_beyond_the_buffer_is_reported_with_the_chain(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    struct virtq_driver_segment pair[] = {readable(f, 0, 10), writable(f, 10, 100)};
    assert_int_equal(virtq_driver_add(&f->queue, pair, 2, 5), VIRTQ_DRIVER_OK);
    struct virtq_driver_segment out = readable(f, 200, 50);
    assert_int_equal(virtq_driver_add(&f->queue, &out, 1, 6), VIRTQ_DRIVER_OK);
    assert_int_equal(add_one(f, 7), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    struct fake_chain seen[3];
    for (unsigned i = 0; i < 3; i++) {
        assert_true(fake_queue_pop(&f->device, &seen[i]));
    }
    fake_queue_push(&f->device, seen[0].head, 101); /* 100 writable bytes */
    fake_queue_push(&f->device, seen[1].head, 1);   /* none writable */
    fake_queue_push(&f->device, seen[2].head, 64);  /* exactly the buffer */

    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_LENGTH);
    assert_int_equal(used.cookie, 5);
    assert_int_equal(used.length, 101);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_ERROR_USED_LENGTH);
    assert_int_equal(used.cookie, 6);
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
    assert_int_equal(used.cookie, 7);
    /* Not fatal: the chains are free and the queue carries on. */
    assert_int_equal(virtq_driver_broken(&f->queue), VIRTQ_DRIVER_OK);
    assert_int_equal(virtq_driver_free_descriptors(&f->queue), 8);
    assert_int_equal(add_one(f, 8), VIRTQ_DRIVER_OK);
}

static void test_interrupt_suppression_by_flag(void **state)
{
    struct fixture *f = *state;
    make_queue(f, 8);
    virtq_driver_disable_interrupts(&f->queue);
    assert_int_equal(fake_queue_available_flags(&f->device), VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_false(virtq_driver_enable_interrupts(&f->queue));
    assert_int_equal(fake_queue_available_flags(&f->device), 0);

    /* Used while interrupts were off: enabling says so, as no interrupt will. */
    virtq_driver_disable_interrupts(&f->queue);
    assert_int_equal(add_one(f, 1), VIRTQ_DRIVER_OK);
    virtq_driver_publish(&f->queue);
    struct fake_chain seen;
    assert_true(fake_queue_pop(&f->device, &seen));
    fake_queue_push(&f->device, seen.head, 0);
    assert_true(virtq_driver_enable_interrupts(&f->queue));
    struct virtq_driver_used used;
    assert_int_equal(virtq_driver_get_used(&f->queue, &used), VIRTQ_DRIVER_OK);
    assert_false(virtq_driver_enable_interrupts(&f->queue));
}

static void test_reasons_are_sentences(void **state)
{
    (void)state;
    for (int result = VIRTQ_DRIVER_OK; result <= VIRTQ_DRIVER_ERROR_BROKEN; result++) {
        const char *reason = virtq_driver_result_reason((enum virtq_driver_result)result);
        assert_non_null(reason);
        assert_true(strlen(reason) > 5);
    }
    assert_string_equal(virtq_driver_result_reason((enum virtq_driver_result)1000), "unknown virtqueue result");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_layout_follows_the_spec),
        TEST(test_init_refuses_bad_sizes_and_alignment),
        TEST(test_chain_reaches_the_device_as_written),
        TEST(test_publish_follows_the_devices_wish),
        TEST(test_full_queue_adds_nothing),
        TEST(test_malformed_chains_refused),
        TEST(test_used_chains_come_back_in_device_order),
        TEST(test_indices_wrap),
        TEST(test_used_id_out_of_range_breaks_the_queue),
        TEST(test_used_id_of_a_free_descriptor_breaks_the_queue),
        TEST(test_used_id_inside_a_chain_breaks_the_queue),
        TEST(test_used_twice_breaks_the_queue),
        TEST(test_used_id_not_yet_published_breaks_the_queue),
        TEST(test_used_index_ahead_of_the_chains_breaks_the_queue),
        TEST(test_used_length_beyond_the_buffer_is_reported_with_the_chain),
        TEST(test_interrupt_suppression_by_flag),
        TEST(test_reasons_are_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
