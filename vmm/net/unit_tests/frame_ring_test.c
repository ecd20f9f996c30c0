/* The shared-memory frame ring: order, full and empty, wrap-around, and a peer that corrupts the ring. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "vmm/net/frame_ring.h"

#include <string.h>

#define RING_MEMORY (FRAME_RING_HEADER_SIZE + 4 * FRAME_RING_SLOT_SIZE + 100)

static uint64_t memory[RING_MEMORY / 8 + 1];
static struct frame_ring producer, consumer;
static uint8_t buffer[FRAME_RING_MAX_FRAME];

static int set_up(void **state)
{
    (void)state;
    memset(memory, 0, sizeof(memory));
    assert_null(frame_ring_attach(&producer, memory, RING_MEMORY));
    assert_null(frame_ring_attach(&consumer, memory, RING_MEMORY));
    return 0;
}

static void fill(uint8_t *frame, size_t length, uint8_t seed)
{
    for (size_t i = 0; i < length; i++) {
        frame[i] = (uint8_t)(seed + i * 7);
    }
}

static void test_layout(void **state)
{
    (void)state;
    assert_int_equal(producer.slot_count, 4); /* 4 slots and a remainder fit: rounded to a power of two */
    struct frame_ring ring;
    assert_non_null(frame_ring_attach(&ring, memory, FRAME_RING_MIN_SIZE - 1));
    assert_non_null(frame_ring_attach(&ring, (uint8_t *)memory + 4, RING_MEMORY - 8));
}

static void test_frames_arrive_in_order_and_intact(void **state)
{
    (void)state;
    uint8_t first[60], second[FRAME_RING_MAX_FRAME];
    fill(first, sizeof(first), 1);
    fill(second, sizeof(second), 2);
    assert_int_equal(frame_ring_push(&producer, first, sizeof(first)), FRAME_RING_OK);
    assert_int_equal(frame_ring_push(&producer, second, sizeof(second)), FRAME_RING_OK);
    size_t length = 0;
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_OK);
    assert_int_equal(length, sizeof(first));
    assert_memory_equal(buffer, first, sizeof(first));
    /* Peeking does not take: the same frame again until consumed. */
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_OK);
    assert_int_equal(length, sizeof(first));
    frame_ring_consume(&consumer);
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_OK);
    assert_int_equal(length, sizeof(second));
    assert_memory_equal(buffer, second, sizeof(second));
    frame_ring_consume(&consumer);
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_EMPTY);
}

static void test_full_ring_refuses_and_wraps(void **state)
{
    (void)state;
    uint8_t frame[100];
    size_t length;
    for (unsigned round = 0; round < 1000; round++) { /* the indices wrap the slots many times */
        fill(frame, sizeof(frame), (uint8_t)round);
        assert_int_equal(frame_ring_push(&producer, frame, sizeof(frame)), FRAME_RING_OK);
        if (round % 4 == 3) {
            assert_int_equal(frame_ring_push(&producer, frame, sizeof(frame)), FRAME_RING_EMPTY);
            for (unsigned taken = 0; taken < 4; taken++) {
                assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_OK);
                fill(frame, sizeof(frame), (uint8_t)(round - 3 + taken));
                assert_memory_equal(buffer, frame, sizeof(frame));
                frame_ring_consume(&consumer);
            }
        }
    }
    assert_int_equal(frame_ring_push(&producer, frame, FRAME_RING_MAX_FRAME + 1), FRAME_RING_TOO_LONG);
}

static void test_corrupt_indices_and_lengths_are_refused(void **state)
{
    (void)state;
    uint8_t frame[20] = {0};
    size_t length;
    *consumer.produced = 9; /* the peer claims more frames than there are slots */
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_CORRUPT);
    *producer.produced = 0;
    *producer.consumed = 7; /* the peer claims to have taken frames never pushed */
    assert_int_equal(frame_ring_push(&producer, frame, sizeof(frame)), FRAME_RING_CORRUPT);
    *producer.consumed = 0;
    assert_int_equal(frame_ring_push(&producer, frame, sizeof(frame)), FRAME_RING_OK);
    uint32_t huge = 0xfffffff0u; /* the peer rewrites the slot's length */
    memcpy(consumer.slots, &huge, sizeof(huge));
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_CORRUPT);
    uint32_t too_long_for_caller = 30;
    memcpy(consumer.slots, &too_long_for_caller, sizeof(too_long_for_caller));
    assert_int_equal(frame_ring_peek(&consumer, buffer, 29, &length), FRAME_RING_CORRUPT);
}

static void test_close_is_seen_after_the_frames(void **state)
{
    (void)state;
    uint8_t frame[20] = {1};
    size_t length;
    assert_false(frame_ring_closed(&consumer));
    assert_int_equal(frame_ring_push(&producer, frame, sizeof(frame)), FRAME_RING_OK);
    frame_ring_close(&producer);
    assert_true(frame_ring_closed(&consumer));
    assert_int_equal(frame_ring_peek(&consumer, buffer, sizeof(buffer), &length), FRAME_RING_OK);
}

static void test_link_ends_see_each_other(void **state)
{
    (void)state;
    static uint64_t link[2 * RING_MEMORY / 8];
    struct frame_ring a_out, a_in, b_out, b_in;
    assert_null(frame_ring_attach_link(&a_out, &a_in, link, sizeof(link), 0));
    assert_null(frame_ring_attach_link(&b_out, &b_in, link, sizeof(link), 1));
    assert_non_null(frame_ring_attach_link(&b_out, &b_in, link, sizeof(link), 2));
    uint8_t ping[64], pong[64];
    fill(ping, sizeof(ping), 3);
    fill(pong, sizeof(pong), 4);
    size_t length;
    assert_int_equal(frame_ring_push(&a_out, ping, sizeof(ping)), FRAME_RING_OK);
    assert_int_equal(frame_ring_push(&b_out, pong, sizeof(pong)), FRAME_RING_OK);
    assert_int_equal(frame_ring_peek(&b_in, buffer, sizeof(buffer), &length), FRAME_RING_OK);
    assert_memory_equal(buffer, ping, sizeof(ping));
    assert_int_equal(frame_ring_peek(&a_in, buffer, sizeof(buffer), &length), FRAME_RING_OK);
    assert_memory_equal(buffer, pong, sizeof(pong));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_layout, set_up),
        cmocka_unit_test_setup(test_frames_arrive_in_order_and_intact, set_up),
        cmocka_unit_test_setup(test_full_ring_refuses_and_wraps, set_up),
        cmocka_unit_test_setup(test_corrupt_indices_and_lengths_are_refused, set_up),
        cmocka_unit_test_setup(test_close_is_seen_after_the_frames, set_up),
        cmocka_unit_test_setup(test_link_ends_see_each_other, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
