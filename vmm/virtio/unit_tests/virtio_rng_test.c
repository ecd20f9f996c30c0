/* End-to-end tests of the entropy device (vmm/virtio/virtio_rng.c) on the transport and the queue. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_driver.h"
#include "vmm/virtio/virtio_rng.h"
#include "vmm/virtio/virtio_spec.h"

#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 16
#define VERSION_1 VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define BUFFER(n) (FAKE_BUFFERS + 0x1000ull * (n))
#define INDIRECT_TABLE 0x80000ull

struct fixture {
    struct guest_memory memory;
    struct fake_driver driver;
    struct virtio_rng rng;
    unsigned interrupts;
    uint8_t next_byte; /* the "entropy": a counter, so tests can tell which bytes went where */
    size_t entropy_bytes;
};

static void counting_entropy(void *context, uint8_t *buffer, size_t length)
{
    struct fixture *f = context;
    for (size_t i = 0; i < length; i++) {
        buffer[i] = ++f->next_byte;
    }
    f->entropy_bytes += length;
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
    fake_driver_init(&f->driver, &f->memory, FAKE_QUEUE_BASE, QUEUE_SIZE);
    assert_null(virtio_rng_init(&f->rng, &f->memory, counting_entropy, f, count_interrupt, f));
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
    assert_null(virtio_mmio_read(&f->rng.transport, offset, 4, &value));
    return value;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_null(virtio_mmio_write(&f->rng.transport, offset, 4, value));
}

/* Bytes 1, 2, 3... from the entropy counter, starting after first - 1. */
static void assert_filled(struct fixture *f, uint64_t address, uint32_t length, uint8_t first)
{
    const uint8_t *bytes = fake_ram_at(&f->memory, address);
    for (uint32_t i = 0; i < length; i++) {
        assert_int_equal(bytes[i], (uint8_t)(first + i));
    }
}

static void identifies_as_entropy_device(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_MAGIC_VALUE), VIRTIO_MMIO_MAGIC_VALUE);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_VERSION), 2);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_ID), VIRTIO_ID_ENTROPY);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), 0); /* one queue only */
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->interrupts, 0);
}

/* What Linux's virtio-rng does: one writable buffer, a notification, then the interrupt, the used entry, the bytes. */
static void driver_gets_random_bytes(void **state)
{
    struct fixture *f = *state;
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    fake_driver_set_descriptor(&f->driver, 3, BUFFER(0), 64, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 3);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);

    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    assert_int_equal(fake_driver_used_index(&f->driver), 1);
    struct virtq_used_element used = fake_driver_used_element(&f->driver, 0);
    assert_int_equal(used.head, 3);
    assert_int_equal(used.written_length, 64);
    assert_filled(f, BUFFER(0), 64, 1);
    assert_int_equal(*fake_ram_at(&f->memory, BUFFER(0) + 64), 0); /* not one byte more */
    write32(f, VIRTIO_MMIO_REG_INTERRUPT_ACK, VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), 0);

    /* The next request gets fresh bytes. */
    fake_driver_make_available(&f->driver, 3);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->interrupts, 2);
    assert_int_equal(fake_driver_used_index(&f->driver), 2);
    assert_filled(f, BUFFER(0), 64, 65);
}

/* Several chains, one of them indirect with two writable buffers: all served for one notification, one interrupt. */
static void every_writable_buffer_of_every_chain(void **state)
{
    struct fixture *f = *state;
    assert_null(
        fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1 | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC)));
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, BUFFER(1), 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 1, BUFFER(2), 20, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_set_descriptor(&f->driver, 1, INDIRECT_TABLE, 2 * VIRTQ_DESCRIPTOR_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
    fake_driver_make_available(&f->driver, 0);
    fake_driver_make_available(&f->driver, 1);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);

    assert_int_equal(f->interrupts, 1);
    assert_int_equal(fake_driver_used_index(&f->driver), 2);
    assert_int_equal(fake_driver_used_element(&f->driver, 0).written_length, 8);
    assert_int_equal(fake_driver_used_element(&f->driver, 1).head, 1);
    assert_int_equal(fake_driver_used_element(&f->driver, 1).written_length, 30);
    assert_filled(f, BUFFER(0), 8, 1);
    assert_filled(f, BUFFER(1), 10, 9);
    assert_filled(f, BUFFER(2), 20, 19);
}

/* A readable buffer carries nothing for this device: it is neither written nor counted. */
static void readable_buffers_are_left_alone(void **state)
{
    struct fixture *f = *state;
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    memset(fake_ram_at(&f->memory, BUFFER(0)), 0xaa, 16);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 16, VIRTQ_DESC_F_NEXT, 1);
    fake_driver_set_descriptor(&f->driver, 1, BUFFER(1), 4, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(fake_driver_used_element(&f->driver, 0).written_length, 4);
    assert_int_equal(*fake_ram_at(&f->memory, BUFFER(0)), 0xaa);
    assert_int_equal(f->entropy_bytes, 4);
}

static void no_interrupt_when_the_driver_declines_it(void **state)
{
    struct fixture *f = *state;
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    fake_driver_set_available_flags(&f->driver, VIRTQ_AVAIL_F_NO_INTERRUPT);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 32, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(fake_driver_used_index(&f->driver), 1);
    assert_int_equal(f->interrupts, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), 0);
}

/* With VIRTIO_F_EVENT_IDX the device leaves avail_event where the driver's next buffer will go. */
static void event_index_end_to_end(void **state)
{
    struct fixture *f = *state;
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1 | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)));
    fake_driver_set_used_event(&f->driver, 1); /* interrupt when the second entry is used */
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 4, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->interrupts, 0);
    assert_int_equal(fake_driver_available_event(&f->driver), 1);
    fake_driver_make_available(&f->driver, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(fake_driver_used_index(&f->driver), 2);
    assert_int_equal(fake_driver_available_event(&f->driver), 2);
}

/* Linux's virtio-rng may post its buffer while probing, before DRIVER_OK: it is served when DRIVER_OK comes. */
static void buffer_posted_before_driver_ok(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 16, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 0);
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    assert_int_equal(fake_driver_used_index(&f->driver), 1);
    assert_int_equal(f->interrupts, 1);
    assert_filled(f, BUFFER(0), 16, 1);
}

/* A malformed chain marks the device DEVICE_NEEDS_RESET (and says why); a reset brings it back. */
static void malformed_chain_needs_reset(void **state)
{
    struct fixture *f = *state;
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    fake_driver_set_descriptor(&f->driver, 0, FAKE_RAM_SIZE - 4, 64, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);

    assert_true(read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_string_equal(f->rng.transport.needs_reset_reason, virtq_result_reason(VIRTQ_ERROR_BUFFER_OUTSIDE_RAM));
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(fake_driver_used_index(&f->driver), 0);
    assert_int_equal(f->entropy_bytes, 0);

    /* Further notifications are ignored until the driver resets and sets the device up again. */
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->interrupts, 1);
    fake_driver_init(&f->driver, &f->memory, FAKE_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_set_descriptor(&f->driver, 0, BUFFER(0), 8, VIRTQ_DESC_F_WRITE, 0);
    assert_null(fake_driver_bring_up(&f->rng.transport, &f->driver, VERSION_1));
    fake_driver_make_available(&f->driver, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_false(read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(fake_driver_used_index(&f->driver), 1);
    assert_filled(f, BUFFER(0), 8, 1);
}

static void init_needs_an_entropy_source(void **state)
{
    struct fixture *f = *state;
    struct virtio_rng *rng = malloc(sizeof(*rng));
    assert_non_null(virtio_rng_init(rng, &f->memory, NULL, NULL, count_interrupt, f));
    assert_non_null(virtio_rng_init(rng, &f->memory, counting_entropy, f, NULL, NULL));
    free(rng);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(identifies_as_entropy_device),
        TEST(driver_gets_random_bytes),
        TEST(every_writable_buffer_of_every_chain),
        TEST(readable_buffers_are_left_alone),
        TEST(no_interrupt_when_the_driver_declines_it),
        TEST(event_index_end_to_end),
        TEST(buffer_posted_before_driver_ok),
        TEST(malformed_chain_needs_reset),
        TEST(init_needs_an_entropy_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
