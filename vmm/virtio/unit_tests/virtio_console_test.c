/* End-to-end tests of the console device (vmm/virtio/virtio_console.c) on the transport and two queues. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_driver.h"
#include "vmm/virtio/virtio_console.h"
#include "vmm/virtio/virtio_spec.h"

#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 16
#define VERSION_1 VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define RECEIVE_QUEUE_BASE FAKE_QUEUE_BASE
#define TRANSMIT_QUEUE_BASE 0x20000ull /* clear of the receive queue's areas, which end before 0x12000 */
#define BUFFER(n) (FAKE_BUFFERS + 0x1000ull * (n))
#define LARGE_BUFFER(n) (0x80000ull + 0x4000ull * (n)) /* room for more than VIRTIO_CONSOLE_INPUT_CAPACITY */
#define CAPACITY VIRTIO_CONSOLE_INPUT_CAPACITY
#define MAX_OUTPUT_CALLS 16

struct fixture {
    struct guest_memory memory;
    struct fake_driver receive;
    struct fake_driver transmit;
    struct virtio_console console;
    unsigned interrupts;
    uint8_t output[4096]; /* everything the output callback got, concatenated */
    size_t output_length;
    unsigned output_calls;
    size_t output_call_lengths[MAX_OUTPUT_CALLS];
};

static void record_output(void *context, const uint8_t *bytes, size_t length)
{
    struct fixture *f = context;
    assert_true(length <= sizeof(f->output) - f->output_length);
    assert_true(f->output_calls < MAX_OUTPUT_CALLS);
    memcpy(f->output + f->output_length, bytes, length);
    f->output_length += length;
    f->output_call_lengths[f->output_calls++] = length;
}

static void count_interrupt(void *context)
{
    struct fixture *f = context;
    f->interrupts++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    fake_driver_init(&f->receive, &f->memory, RECEIVE_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->transmit, &f->memory, TRANSMIT_QUEUE_BASE, QUEUE_SIZE);
    assert_null(virtio_console_init(&f->console, &f->memory, record_output, f, count_interrupt, f));
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

static uint32_t read32(struct fixture *f, uint64_t offset)
{
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->console.transport, offset, 4, &value));
    return value;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_null(virtio_mmio_write(&f->console.transport, offset, 4, value));
}

/* What Linux's virtio_mmio does for each queue it finds: select, check, size, areas, ready. */
static void set_up_queue(struct fixture *f, uint32_t index, const struct fake_driver *driver)
{
    struct virtq_layout layout = fake_driver_layout(driver);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, index);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
    assert_true(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX) >= layout.size);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NUM, layout.size);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_LOW, (uint32_t)layout.descriptor_table);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_HIGH, (uint32_t)(layout.descriptor_table >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW, (uint32_t)layout.available_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH, (uint32_t)(layout.available_ring >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW, (uint32_t)layout.used_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH, (uint32_t)(layout.used_ring >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
}

#define DRIVER_STATUS_BEFORE_OK (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)

/* Linux's sequence up to DRIVER_OK: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, both queues. */
static void bring_up_without_driver_ok(struct fixture *f)
{
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)(VERSION_1 >> 32));
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 0);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)VERSION_1);
    write32(f, VIRTIO_MMIO_REG_STATUS, DRIVER_STATUS_BEFORE_OK);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), DRIVER_STATUS_BEFORE_OK);
    set_up_queue(f, VIRTIO_CONSOLE_RECEIVE_QUEUE, &f->receive);
    set_up_queue(f, VIRTIO_CONSOLE_TRANSMIT_QUEUE, &f->transmit);
}

static void bring_up(struct fixture *f)
{
    bring_up_without_driver_ok(f);
    write32(f, VIRTIO_MMIO_REG_STATUS, DRIVER_STATUS_BEFORE_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* A one-buffer receive chain at descriptor index, as Linux's virtio_console adds them. */
static void offer_receive_buffer(struct fixture *f, uint16_t index, uint64_t address, uint32_t length)
{
    fake_driver_set_descriptor(&f->receive, index, address, length, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->receive, index);
}

static void notify(struct fixture *f, uint32_t queue)
{
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, queue);
}

static void put_string(struct fixture *f, uint64_t address, const char *text)
{
    memcpy(fake_ram_at(&f->memory, address), text, strlen(text));
}

static size_t input_string(struct fixture *f, const char *text)
{
    return virtio_console_input(&f->console, (const uint8_t *)text, strlen(text));
}

static void assert_ram_equal(struct fixture *f, uint64_t address, const void *expected, size_t length)
{
    assert_memory_equal(fake_ram_at(&f->memory, address), expected, length);
}

static void assert_used(const struct fake_driver *driver, uint16_t ring_index, uint32_t head, uint32_t length)
{
    struct virtq_used_element used = fake_driver_used_element(driver, ring_index);
    assert_int_equal(used.head, head);
    assert_int_equal(used.written_length, length);
}

static bool needs_reset(struct fixture *f)
{
    return (read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}

/* Byte i of a long input: the period 251 does not divide the ring's size, so a misplaced wrap shows. */
static uint8_t pattern(size_t i)
{
    return (uint8_t)(i % 251);
}

static void fill_pattern(uint8_t *bytes, size_t length, size_t first)
{
    for (size_t i = 0; i < length; i++) {
        bytes[i] = pattern(first + i);
    }
}

static void assert_pattern(struct fixture *f, uint64_t address, size_t length, size_t first)
{
    const uint8_t *bytes = fake_ram_at(&f->memory, address);
    for (size_t i = 0; i < length; i++) {
        assert_int_equal(bytes[i], pattern(first + i));
    }
}

static void identifies_as_single_port_console(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_MAGIC_VALUE), VIRTIO_MMIO_MAGIC_VALUE);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_ID), VIRTIO_ID_CONSOLE);
    /* No device-type features: no size, no multiport (so no control queues), no emergency write. */
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES) & (VIRTIO_FEATURE(24) - 1), 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, 2);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), 0);
    uint32_t value;
    assert_non_null(virtio_mmio_read(&f->console.transport, VIRTIO_MMIO_CONFIG_OFFSET, 4, &value));
    bring_up(f);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), DRIVER_STATUS_BEFORE_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->interrupts, 0);
}

/* Each readable segment reaches the output in chain order; chains in ring order; each comes back with length 0. */
static void transmitted_chains_reach_the_output_in_order(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    put_string(f, BUFFER(0), "hel");
    put_string(f, BUFFER(1), "lo, ");
    put_string(f, BUFFER(2), "world\n");
    put_string(f, BUFFER(3), "bye\n");
    fake_driver_set_descriptor(&f->transmit, 5, BUFFER(0), 3, VIRTQ_DESC_F_NEXT, 9);
    fake_driver_set_descriptor(&f->transmit, 9, BUFFER(1), 4, VIRTQ_DESC_F_NEXT, 2);
    fake_driver_set_descriptor(&f->transmit, 2, BUFFER(2), 6, 0, 0);
    fake_driver_set_descriptor(&f->transmit, 7, BUFFER(3), 4, 0, 0);
    fake_driver_make_available(&f->transmit, 5);
    fake_driver_make_available(&f->transmit, 7);
    notify(f, VIRTIO_CONSOLE_TRANSMIT_QUEUE);

    assert_int_equal(f->output_length, 17);
    assert_memory_equal(f->output, "hello, world\nbye\n", 17);
    assert_int_equal(f->output_calls, 4);
    assert_int_equal(f->output_call_lengths[0], 3);
    assert_int_equal(f->output_call_lengths[1], 4);
    assert_int_equal(f->output_call_lengths[2], 6);
    assert_int_equal(f->output_call_lengths[3], 4);
    assert_int_equal(fake_driver_used_index(&f->transmit), 2);
    assert_used(&f->transmit, 0, 5, 0);
    assert_used(&f->transmit, 1, 7, 0);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    assert_int_equal(fake_driver_used_index(&f->receive), 0);
}

/* A writable segment in a transmit chain is a driver bug: left untouched and unreported, not a broken queue. */
static void writable_transmit_segments_are_ignored(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    put_string(f, BUFFER(0), "ok\n");
    memset(fake_ram_at(&f->memory, BUFFER(1)), 0xaa, 8);
    fake_driver_set_descriptor(&f->transmit, 0, BUFFER(0), 3, VIRTQ_DESC_F_NEXT, 1);
    fake_driver_set_descriptor(&f->transmit, 1, BUFFER(1), 8, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_set_descriptor(&f->transmit, 2, BUFFER(1), 8, VIRTQ_DESC_F_WRITE, 0); /* nothing readable at all */
    fake_driver_set_descriptor(&f->transmit, 3, BUFFER(2), 0, 0, 0);                  /* an empty one */
    fake_driver_make_available(&f->transmit, 0);
    fake_driver_make_available(&f->transmit, 2);
    fake_driver_make_available(&f->transmit, 3);
    notify(f, VIRTIO_CONSOLE_TRANSMIT_QUEUE);

    assert_false(needs_reset(f));
    assert_int_equal(f->output_calls, 1);
    assert_int_equal(f->output_length, 3);
    assert_memory_equal(f->output, "ok\n", 3);
    const uint8_t untouched[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
    assert_ram_equal(f, BUFFER(1), untouched, sizeof(untouched));
    assert_int_equal(fake_driver_used_index(&f->transmit), 3);
    assert_used(&f->transmit, 0, 0, 0);
    assert_used(&f->transmit, 1, 2, 0);
    assert_used(&f->transmit, 2, 3, 0);
}

/* Input the guest has no buffers for waits; buffers added later take it, here split over two small ones. */
static void input_waits_for_receive_buffers(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    assert_int_equal(input_string(f, "hello"), 5);
    assert_int_equal(fake_driver_used_index(&f->receive), 0);
    assert_int_equal(f->interrupts, 0);

    memset(fake_ram_at(&f->memory, BUFFER(0)), 0, 8);
    offer_receive_buffer(f, 4, BUFFER(0), 2);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_int_equal(fake_driver_used_index(&f->receive), 1);
    assert_used(&f->receive, 0, 4, 2);
    assert_ram_equal(f, BUFFER(0), "he\0", 3);
    assert_int_equal(f->interrupts, 1);

    offer_receive_buffer(f, 6, BUFFER(1), 8);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_int_equal(fake_driver_used_index(&f->receive), 2);
    assert_used(&f->receive, 1, 6, 3);
    assert_ram_equal(f, BUFFER(1), "llo", 3);
    assert_int_equal(f->interrupts, 2);

    /* Nothing left: a further buffer stays with the device until there is input for it. */
    offer_receive_buffer(f, 7, BUFFER(2), 8);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_int_equal(fake_driver_used_index(&f->receive), 2);
    assert_int_equal(f->interrupts, 2);
    assert_int_equal(input_string(f, "!"), 1);
    assert_int_equal(fake_driver_used_index(&f->receive), 3);
    assert_used(&f->receive, 2, 7, 1);
    assert_ram_equal(f, BUFFER(2), "!", 1);
}

/* With buffers waiting, input goes straight in, across chains and across the segments of one chain. */
static void input_fills_waiting_buffers_at_once(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    offer_receive_buffer(f, 0, BUFFER(0), 4);
    fake_driver_set_descriptor(&f->receive, 1, BUFFER(1), 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    fake_driver_set_descriptor(&f->receive, 2, BUFFER(2), 8, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->receive, 1);
    offer_receive_buffer(f, 3, BUFFER(3), 8);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_int_equal(fake_driver_used_index(&f->receive), 0);

    assert_int_equal(input_string(f, "abcdefg"), 7);
    assert_int_equal(fake_driver_used_index(&f->receive), 2);
    assert_used(&f->receive, 0, 0, 4);
    assert_used(&f->receive, 1, 1, 3);
    assert_ram_equal(f, BUFFER(0), "abcd", 4);
    assert_ram_equal(f, BUFFER(1), "ef", 2);
    assert_ram_equal(f, BUFFER(2), "g", 1);
    assert_int_equal(f->interrupts, 1);
}

/* Linux may add its receive buffers before DRIVER_OK: pending input reaches them when DRIVER_OK comes. */
static void input_waits_for_driver_ok(void **state)
{
    struct fixture *f = *state;
    bring_up_without_driver_ok(f);
    offer_receive_buffer(f, 0, BUFFER(0), 16);
    assert_int_equal(input_string(f, "early"), 5);
    assert_int_equal(fake_driver_used_index(&f->receive), 0);
    write32(f, VIRTIO_MMIO_REG_STATUS, DRIVER_STATUS_BEFORE_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(fake_driver_used_index(&f->receive), 1);
    assert_used(&f->receive, 0, 0, 5);
    assert_ram_equal(f, BUFFER(0), "early", 5);
}

/* Without buffers the device keeps VIRTIO_CONSOLE_INPUT_CAPACITY bytes; the return value tells what it refused. */
static void input_beyond_the_ring_is_cut(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    static uint8_t input[CAPACITY + 100];
    fill_pattern(input, sizeof(input), 0);
    assert_int_equal(virtio_console_input(&f->console, input, sizeof(input)), CAPACITY);
    assert_int_equal(virtio_console_input(&f->console, input, 1), 0);

    offer_receive_buffer(f, 0, LARGE_BUFFER(0), CAPACITY + 100);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_used(&f->receive, 0, 0, CAPACITY);
    assert_pattern(f, LARGE_BUFFER(0), CAPACITY, 0);
}

/* Pending input that wraps around the end of the ring comes out in order. */
static void input_ring_wraps_in_order(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    static uint8_t input[CAPACITY + 1000];
    fill_pattern(input, sizeof(input), 0);
    assert_int_equal(virtio_console_input(&f->console, input, CAPACITY), CAPACITY);
    offer_receive_buffer(f, 0, LARGE_BUFFER(0), 1000);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_used(&f->receive, 0, 0, 1000);
    assert_pattern(f, LARGE_BUFFER(0), 1000, 0);

    assert_int_equal(virtio_console_input(&f->console, input + CAPACITY, 1000), 1000);
    offer_receive_buffer(f, 1, LARGE_BUFFER(1), 2 * CAPACITY);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_used(&f->receive, 1, 1, CAPACITY);
    assert_pattern(f, LARGE_BUFFER(1), CAPACITY, 1000);

    /* Both ends went round once; the ring goes on from there. */
    assert_int_equal(input_string(f, "after"), 5);
    offer_receive_buffer(f, 2, BUFFER(0), 16);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_used(&f->receive, 2, 2, 5);
    assert_ram_equal(f, BUFFER(0), "after", 5);
}

/* The ring bounds what waits, not what the guest can take at once: more than its size goes to waiting buffers. */
static void input_beyond_the_ring_reaches_waiting_buffers(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    offer_receive_buffer(f, 0, LARGE_BUFFER(0), CAPACITY);
    offer_receive_buffer(f, 1, LARGE_BUFFER(1), CAPACITY);
    static uint8_t input[CAPACITY + 1000];
    fill_pattern(input, sizeof(input), 0);
    assert_int_equal(virtio_console_input(&f->console, input, sizeof(input)), sizeof(input));
    assert_int_equal(fake_driver_used_index(&f->receive), 2);
    assert_used(&f->receive, 0, 0, CAPACITY);
    assert_used(&f->receive, 1, 1, 1000);
    assert_pattern(f, LARGE_BUFFER(0), CAPACITY, 0);
    assert_pattern(f, LARGE_BUFFER(1), 1000, CAPACITY);
}

/* A reset ends the driver's session: input it did not take is gone, new input flows again. */
static void reset_drops_pending_input(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    assert_int_equal(input_string(f, "stale"), 5);
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    fake_driver_init(&f->receive, &f->memory, RECEIVE_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->transmit, &f->memory, TRANSMIT_QUEUE_BASE, QUEUE_SIZE);
    bring_up(f);
    offer_receive_buffer(f, 0, BUFFER(0), 16);
    notify(f, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    assert_int_equal(fake_driver_used_index(&f->receive), 0);

    assert_int_equal(input_string(f, "new"), 3);
    assert_used(&f->receive, 0, 0, 3);
    assert_ram_equal(f, BUFFER(0), "new", 3);
}

/*
 * A malformed transmit chain sets DEVICE_NEEDS_RESET; the receiveq goes on
 * taking input until the driver resets, after which both queues work again.
 */
static void malformed_transmit_chain_needs_reset(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    offer_receive_buffer(f, 0, BUFFER(0), 16);
    fake_driver_set_descriptor(&f->transmit, 0, FAKE_RAM_SIZE - 4, 64, 0, 0);
    fake_driver_make_available(&f->transmit, 0);
    notify(f, VIRTIO_CONSOLE_TRANSMIT_QUEUE);

    assert_true(needs_reset(f));
    assert_string_equal(f->console.transport.needs_reset_reason, virtq_result_reason(VIRTQ_ERROR_BUFFER_OUTSIDE_RAM));
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(f->output_calls, 0);
    assert_int_equal(fake_driver_used_index(&f->transmit), 0);

    assert_int_equal(input_string(f, "still here"), 10);
    assert_used(&f->receive, 0, 0, 10);
    assert_ram_equal(f, BUFFER(0), "still here", 10);
    assert_int_equal(f->interrupts, 2);

    fake_driver_init(&f->receive, &f->memory, RECEIVE_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->transmit, &f->memory, TRANSMIT_QUEUE_BASE, QUEUE_SIZE);
    bring_up(f);
    assert_false(needs_reset(f));
    put_string(f, BUFFER(1), "again\n");
    fake_driver_set_descriptor(&f->transmit, 0, BUFFER(1), 6, 0, 0);
    fake_driver_make_available(&f->transmit, 0);
    notify(f, VIRTIO_CONSOLE_TRANSMIT_QUEUE);
    assert_int_equal(f->output_length, 6);
    assert_memory_equal(f->output, "again\n", 6);
    assert_used(&f->transmit, 0, 0, 0);
}

/* A malformed receive chain sets DEVICE_NEEDS_RESET; the input stays pending and is not offered to it again. */
static void malformed_receive_chain_needs_reset(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    fake_driver_set_descriptor(&f->receive, 0, BUFFER(0), 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, QUEUE_SIZE);
    fake_driver_make_available(&f->receive, 0);
    assert_int_equal(input_string(f, "abc"), 3);

    assert_true(needs_reset(f));
    assert_string_equal(f->console.transport.needs_reset_reason, virtq_result_reason(VIRTQ_ERROR_DESCRIPTOR_INDEX));
    assert_int_equal(fake_driver_used_index(&f->receive), 0);
    assert_int_equal(f->interrupts, 1);

    /* The driver repairs the descriptor without a reset: the device stays away from the queue. */
    fake_driver_set_descriptor(&f->receive, 0, BUFFER(0), 16, VIRTQ_DESC_F_WRITE, 0);
    assert_int_equal(input_string(f, "def"), 3);
    assert_int_equal(fake_driver_used_index(&f->receive), 0);

    fake_driver_init(&f->receive, &f->memory, RECEIVE_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->transmit, &f->memory, TRANSMIT_QUEUE_BASE, QUEUE_SIZE);
    bring_up(f);
    offer_receive_buffer(f, 0, BUFFER(0), 16);
    assert_int_equal(input_string(f, "ghi"), 3);
    assert_used(&f->receive, 0, 0, 3);
    assert_ram_equal(f, BUFFER(0), "ghi", 3);
}

static void init_needs_output_and_interrupt(void **state)
{
    struct fixture *f = *state;
    struct virtio_console *console = malloc(sizeof(*console));
    assert_non_null(virtio_console_init(console, &f->memory, NULL, NULL, count_interrupt, f));
    assert_non_null(virtio_console_init(console, &f->memory, record_output, f, NULL, NULL));
    free(console);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(identifies_as_single_port_console),
        TEST(transmitted_chains_reach_the_output_in_order),
        TEST(writable_transmit_segments_are_ignored),
        TEST(input_waits_for_receive_buffers),
        TEST(input_fills_waiting_buffers_at_once),
        TEST(input_waits_for_driver_ok),
        TEST(input_beyond_the_ring_is_cut),
        TEST(input_ring_wraps_in_order),
        TEST(input_beyond_the_ring_reaches_waiting_buffers),
        TEST(reset_drops_pending_input),
        TEST(malformed_transmit_chain_needs_reset),
        TEST(malformed_receive_chain_needs_reset),
        TEST(init_needs_output_and_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
