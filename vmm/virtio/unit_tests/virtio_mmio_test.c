/* Unit tests for the virtio-mmio transport (vmm/virtio/virtio_mmio.c), driven as Linux's virtio_mmio driver does. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_driver.h"
#include "vmm/virtio/virtio_mmio.h"
#include "vmm/virtio/virtio_spec.h"

#include <stdlib.h>
#include <string.h>

#define TEST_DEVICE_ID 42u
#define TEST_FEATURES (VIRTIO_FEATURE(0) | VIRTIO_FEATURE(5) | VIRTIO_FEATURE(60))
#define TEST_QUEUES 2
#define TEST_CONFIG_SIZE 8
#define VERSION_1 VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define ALL_OFFERED                                                                                                    \
    (TEST_FEATURES | VERSION_1 | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX))

/* A device that records what the transport asks of it. */
struct test_device {
    uint8_t config[TEST_CONFIG_SIZE];
    unsigned notifications[TEST_QUEUES];
    unsigned resets;
    uint32_t last_config_offset;
    unsigned last_config_size;
};

struct fixture {
    struct guest_memory memory;
    struct fake_driver driver;
    struct test_device device;
    struct virtio_mmio_device transport;
    unsigned interrupts;
};

static const char *test_config_read(void *context, uint32_t offset, unsigned size, uint32_t *value)
{
    struct test_device *device = context;
    device->last_config_offset = offset;
    device->last_config_size = size;
    *value = 0;
    memcpy(value, device->config + offset, size);
    return NULL;
}

static const char *test_config_write(void *context, uint32_t offset, unsigned size, uint32_t value)
{
    struct test_device *device = context;
    if (offset == 0) {
        return "byte 0 is read-only";
    }
    memcpy(device->config + offset, &value, size);
    return NULL;
}

static void test_queue_notify(void *context, uint16_t queue_index)
{
    struct test_device *device = context;
    device->notifications[queue_index]++;
}

static void test_reset(void *context)
{
    struct test_device *device = context;
    device->resets++;
}

static void count_interrupt(void *context)
{
    struct fixture *f = context;
    f->interrupts++;
}

static const struct virtio_device_ops test_ops = {
    .device_id = TEST_DEVICE_ID,
    .features = TEST_FEATURES,
    .queue_count = TEST_QUEUES,
    .config_size = TEST_CONFIG_SIZE,
    .config_read = test_config_read,
    .config_write = test_config_write,
    .queue_notify = test_queue_notify,
    .reset = test_reset,
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    fake_driver_init(&f->driver, &f->memory, FAKE_QUEUE_BASE, 16);
    memcpy(f->device.config, "\x11\x22\x33\x44\x55\x66\x77\x88", TEST_CONFIG_SIZE);
    assert_null(virtio_mmio_init(&f->transport, &test_ops, &f->device, &f->memory, count_interrupt, f));
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
    uint32_t value = 0xdeadbeef;
    assert_null(virtio_mmio_read(&f->transport, offset, 4, &value));
    return value;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    const char *refusal = virtio_mmio_write(&f->transport, offset, 4, value);
    if (refusal) {
        fail_msg("write of 0x%x to 0x%llx refused: %s", value, (unsigned long long)offset, refusal);
    }
}

static void refused32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_non_null(virtio_mmio_write(&f->transport, offset, 4, value));
}

static void write_driver_features(struct fixture *f, uint64_t features)
{
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 0);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)features);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

/* ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; returns the status the device shows afterwards. */
static uint32_t negotiate(struct fixture *f, uint64_t features)
{
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    write_driver_features(f, features);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return read32(f, VIRTIO_MMIO_REG_STATUS);
}

static void write_queue_layout(struct fixture *f, uint32_t index, const struct virtq_layout *layout)
{
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, index);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NUM, layout->size);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_LOW, (uint32_t)layout->descriptor_table);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_HIGH, (uint32_t)(layout->descriptor_table >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW, (uint32_t)layout->available_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH, (uint32_t)(layout->available_ring >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW, (uint32_t)layout->used_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH, (uint32_t)(layout->used_ring >> 32));
}

static void set_up_queue(struct fixture *f, uint32_t index)
{
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    write_queue_layout(f, index, &layout);
    write32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
}

static void driver_ok(struct fixture *f)
{
    write32(f, VIRTIO_MMIO_REG_STATUS, read32(f, VIRTIO_MMIO_REG_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

/* --- identification and access rules --- */

static void identifies_as_version_2(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_MAGIC_VALUE), 0x74726976);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_VERSION), 2);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_ID), TEST_DEVICE_ID);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_VENDOR_ID), VIRTIO_MMIO_VENDOR_ID);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), 0);
}

static void registers_take_aligned_32_bit_accesses(void **state)
{
    struct fixture *f = *state;
    uint32_t value;
    const unsigned sizes[] = {1, 2, 8, 0, 3};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_REG_MAGIC_VALUE, sizes[i], &value));
        assert_non_null(virtio_mmio_write(&f->transport, VIRTIO_MMIO_REG_STATUS, sizes[i], 1));
    }
    assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_REG_MAGIC_VALUE + 2, 4, &value));
    assert_non_null(virtio_mmio_write(&f->transport, VIRTIO_MMIO_REG_STATUS + 1, 4, 1));
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), 0);
}

static void unknown_and_legacy_registers_are_refused(void **state)
{
    struct fixture *f = *state;
    uint32_t value;
    /* Gaps in the layout, QueueReset (VIRTIO_F_RING_RESET is not offered) and the legacy registers. */
    const uint64_t offsets[] = {0x018, 0x01c, 0x02c, 0x048, 0x054, 0x068,  0x074,         0x0a8,
                                0x0c0, 0x0f8, 0x028, 0x03c, 0x040, 0x1000, UINT64_MAX - 3};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        assert_non_null(virtio_mmio_read(&f->transport, offsets[i], 4, &value));
        assert_non_null(virtio_mmio_write(&f->transport, offsets[i], 4, 0));
    }
    assert_string_equal(virtio_mmio_read(&f->transport, 0x040, 4, &value),
                        "legacy virtio-mmio (version 1) register: only version 2 is offered");
}

/* Read-only registers ignore writes; write-only ones read as 0. */
static void direction_of_registers(void **state)
{
    struct fixture *f = *state;
    const uint64_t read_only[] = {VIRTIO_MMIO_REG_MAGIC_VALUE,      VIRTIO_MMIO_REG_VERSION,
                                  VIRTIO_MMIO_REG_DEVICE_ID,        VIRTIO_MMIO_REG_VENDOR_ID,
                                  VIRTIO_MMIO_REG_DEVICE_FEATURES,  VIRTIO_MMIO_REG_QUEUE_NUM_MAX,
                                  VIRTIO_MMIO_REG_INTERRUPT_STATUS, VIRTIO_MMIO_REG_CONFIG_GENERATION,
                                  VIRTIO_MMIO_REG_SHM_LEN_LOW,      VIRTIO_MMIO_REG_SHM_BASE_HIGH};
    for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
        uint32_t before = read32(f, read_only[i]);
        write32(f, read_only[i], 0x12345678);
        assert_int_equal(read32(f, read_only[i]), before);
    }
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, 1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_SEL), 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL), 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY), 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_DESC_LOW), 0);
}

static void no_shared_memory_regions(void **state)
{
    struct fixture *f = *state;
    write32(f, VIRTIO_MMIO_REG_SHM_SEL, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_SHM_LEN_LOW), 0xffffffff);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_SHM_LEN_HIGH), 0xffffffff);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_SHM_BASE_LOW), 0xffffffff);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_SHM_BASE_HIGH), 0xffffffff);
}

static void init_refuses_unusable_devices(void **state)
{
    struct fixture *f = *state;
    struct virtio_mmio_device transport;
    struct virtio_device_ops ops = test_ops;
    ops.device_id = 0;
    assert_non_null(virtio_mmio_init(&transport, &ops, NULL, &f->memory, count_interrupt, f));
    ops = test_ops;
    ops.queue_count = VIRTIO_MMIO_MAX_QUEUES + 1;
    assert_non_null(virtio_mmio_init(&transport, &ops, NULL, &f->memory, count_interrupt, f));
    ops = test_ops;
    ops.features |= VERSION_1; /* the transport's to offer */
    assert_non_null(virtio_mmio_init(&transport, &ops, NULL, &f->memory, count_interrupt, f));
    ops = test_ops;
    ops.config_size = VIRTIO_MMIO_CONFIG_MAX + 1;
    assert_non_null(virtio_mmio_init(&transport, &ops, NULL, &f->memory, count_interrupt, f));
    ops = test_ops;
    ops.config_read = NULL;
    assert_non_null(virtio_mmio_init(&transport, &ops, NULL, &f->memory, count_interrupt, f));
    ops = test_ops;
    ops.queue_notify = NULL;
    assert_non_null(virtio_mmio_init(&transport, &ops, NULL, &f->memory, count_interrupt, f));
    assert_non_null(virtio_mmio_init(&transport, &test_ops, NULL, &f->memory, NULL, f));
}

/* --- feature negotiation and the status state machine --- */

static void device_features_in_two_words(void **state)
{
    struct fixture *f = *state;
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 0);
    uint64_t low = read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 1);
    uint64_t high = read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES);
    assert_int_equal(high << 32 | low, ALL_OFFERED);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES), 0);
}

static void features_ok_for_a_subset_with_version_1(void **state)
{
    struct fixture *f = *state;
    uint32_t status = negotiate(f, VERSION_1 | VIRTIO_FEATURE(5));
    assert_true(status & VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(f->transport.driver_features, VERSION_1 | VIRTIO_FEATURE(5));
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    assert_int_equal(negotiate(f, ALL_OFFERED) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
}

/* Without VERSION_1 the driver is a legacy one, which this transport does not serve. */
static void features_refused_without_version_1(void **state)
{
    struct fixture *f = *state;
    uint32_t status = negotiate(f, VIRTIO_FEATURE(0));
    assert_false(status & VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    /* The driver gives up as it should, and cannot go on to DRIVER_OK. */
    refused32(f, VIRTIO_MMIO_REG_STATUS, status | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    write32(f, VIRTIO_MMIO_REG_STATUS, status | VIRTIO_STATUS_FAILED);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), status | VIRTIO_STATUS_FAILED);
}

static void features_refused_beyond_the_offer(void **state)
{
    struct fixture *f = *state;
    assert_false(negotiate(f, VERSION_1 | VIRTIO_FEATURE(1)) & VIRTIO_STATUS_FEATURES_OK);
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    assert_false(negotiate(f, VERSION_1 | VIRTIO_FEATURE(34)) & VIRTIO_STATUS_FEATURES_OK); /* RING_PACKED */
    /* Refused, the driver may offer less and try again. */
    write_driver_features(f, VERSION_1);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_FEATURES_OK);
}

static void driver_features_only_during_negotiation(void **state)
{
    struct fixture *f = *state;
    refused32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 1); /* before DRIVER */
    negotiate(f, VERSION_1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 0);
    refused32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 1); /* after FEATURES_OK */
    assert_int_equal(f->transport.driver_features, VERSION_1);
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 2);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 0);
    refused32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 1); /* no bits above 63 exist */
}

static void status_follows_the_initialization_order(void **state)
{
    struct fixture *f = *state;
    refused32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_DRIVER);
    refused32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FEATURES_OK);
    refused32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER_OK);
    refused32(f, VIRTIO_MMIO_REG_STATUS, 0x10); /* undefined bit */
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), 0);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    refused32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE); /* clearing DRIVER */
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    /* FAILED may come at any point. */
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FAILED);
}

/* --- queues --- */

static void queue_discovery(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < TEST_QUEUES; i++) {
        write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, i);
        assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
        assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
    }
    /* Linux probes past the last queue: QueueNumMax 0 says there is none, and its registers refuse writes. */
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, TEST_QUEUES);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_NUM, 16);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
    assert_null(virtio_mmio_queue(&f->transport, TEST_QUEUES));
}

static void queue_setup_starts_the_queue(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1 | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
    set_up_queue(f, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 1);
    struct virtq *queue = virtio_mmio_queue(&f->transport, 1);
    assert_true(queue->ready);
    assert_true(queue->event_index);
    assert_false(queue->indirect_descriptors);
    assert_int_equal(queue->layout.used_ring, f->driver.used_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
}

/* 64-bit area addresses come in two halves, in either order. */
static void queue_addresses_above_4_gib(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_HIGH, 0x1);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_LOW, 0x2000);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW, 0x3000);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH, 0x2);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW, 0x4000);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH, 0x3);
    assert_int_equal(f->transport.layouts[0].descriptor_table, 0x100002000ull);
    assert_int_equal(f->transport.layouts[0].available_ring, 0x200003000ull);
    assert_int_equal(f->transport.layouts[0].used_ring, 0x300004000ull);
    /* Not RAM in this 1 MiB guest: QueueReady refuses, with the queue's reason. */
    assert_string_equal(virtio_mmio_write(&f->transport, VIRTIO_MMIO_REG_QUEUE_READY, 4, 1),
                        virtq_result_reason(VIRTQ_ERROR_RING_OUTSIDE_RAM));
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
}

static void queue_ready_checks_the_layout(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1);
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    layout.size = 100; /* not a power of two */
    write_queue_layout(f, 0, &layout);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
    layout.size = VIRTQ_MAX_SIZE * 2; /* above QueueNumMax */
    write_queue_layout(f, 0, &layout);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
    layout = fake_driver_layout(&f->driver);
    layout.descriptor_table += 4;
    write_queue_layout(f, 0, &layout);
    assert_string_equal(virtio_mmio_write(&f->transport, VIRTIO_MMIO_REG_QUEUE_READY, 4, 1),
                        virtq_result_reason(VIRTQ_ERROR_RING_MISALIGNED));
    refused32(f, VIRTIO_MMIO_REG_QUEUE_READY, 2);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
}

static void queue_ready_needs_features_ok(void **state)
{
    struct fixture *f = *state;
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    struct virtq_layout layout = fake_driver_layout(&f->driver);
    write_queue_layout(f, 0, &layout);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
}

static void queue_registers_locked_while_ready(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1);
    set_up_queue(f, 0);
    const uint64_t locked[] = {VIRTIO_MMIO_REG_QUEUE_NUM,         VIRTIO_MMIO_REG_QUEUE_DESC_LOW,
                               VIRTIO_MMIO_REG_QUEUE_DESC_HIGH,   VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW,
                               VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH, VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW,
                               VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH};
    for (size_t i = 0; i < sizeof(locked) / sizeof(locked[0]); i++) {
        refused32(f, locked[i], 0x1000);
    }
    assert_int_equal(f->transport.layouts[0].descriptor_table, f->driver.descriptor_table);
    write32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1); /* already ready: nothing changes */
    /* Stopping the queue (as Linux does when it deletes it) unlocks them. */
    write32(f, VIRTIO_MMIO_REG_QUEUE_READY, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
    assert_false(virtio_mmio_queue(&f->transport, 0)->ready);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NUM, 8);
}

/* --- notifications and interrupts --- */

static void notifications_reach_the_device_once_running(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1);
    set_up_queue(f, 1);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 1); /* before DRIVER_OK: held back */
    assert_int_equal(f->device.notifications[1], 0);
    driver_ok(f); /* ... and delivered now, for buffers made available before */
    assert_int_equal(f->device.notifications[1], 1);
    assert_int_equal(f->device.notifications[0], 0); /* queue 0 is not ready */
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 1);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->device.notifications[1], 2);
    assert_int_equal(f->device.notifications[0], 0);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, TEST_QUEUES);
    refused32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0x10001); /* no VIRTIO_F_NOTIFICATION_DATA */
}

static void used_buffer_interrupt_and_ack(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1);
    set_up_queue(f, 0);
    driver_ok(f);
    struct virtq *queue = virtio_mmio_queue(&f->transport, 0);
    struct virtq_chain *chain = malloc(sizeof(*chain));
    fake_driver_set_descriptor(&f->driver, 0, FAKE_BUFFERS, 8, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->driver, 0);
    assert_int_equal(virtq_pop_chain(queue, &f->memory, chain), VIRTQ_OK);
    assert_int_equal(virtq_push_used(queue, &f->memory, chain->head, 8), VIRTQ_OK);
    virtio_mmio_signal_used(&f->transport, queue);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    virtio_mmio_signal_used(&f->transport, queue); /* nothing new: no interrupt */
    assert_int_equal(f->interrupts, 1);
    refused32(f, VIRTIO_MMIO_REG_INTERRUPT_ACK, 4);
    write32(f, VIRTIO_MMIO_REG_INTERRUPT_ACK, VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), 0);
    free(chain);
}

/* --- configuration space --- */

static void config_space_goes_to_the_device(void **state)
{
    struct fixture *f = *state;
    uint32_t value;
    assert_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 1, 1, &value));
    assert_int_equal(value, 0x22);
    assert_int_equal(f->device.last_config_offset, 1);
    assert_int_equal(f->device.last_config_size, 1);
    assert_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 2, 2, &value));
    assert_int_equal(value, 0x4433);
    assert_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 4, 4, &value));
    assert_int_equal(value, 0x88776655);
    assert_null(virtio_mmio_write(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 4, 2, 0xbeef));
    assert_int_equal(f->device.config[4], 0xef);
    assert_int_equal(f->device.config[5], 0xbe);
    /* The device's own refusal comes back as it is. */
    assert_string_equal(virtio_mmio_write(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET, 1, 0), "byte 0 is read-only");
}

static void config_space_access_rules(void **state)
{
    struct fixture *f = *state;
    uint32_t value;
    assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 1, 2, &value)); /* misaligned */
    assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 2, 4, &value));
    assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET, 8, &value));
    assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 8, 1, &value)); /* beyond */
    assert_non_null(virtio_mmio_write(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + 8, 4, 0));
    assert_non_null(virtio_mmio_read(&f->transport, VIRTIO_MMIO_CONFIG_OFFSET + VIRTIO_MMIO_CONFIG_MAX, 4, &value));
    assert_int_equal(f->device.last_config_size, 0); /* none of them reached the device */
}

static void device_without_config_space(void **state)
{
    struct fixture *f = *state;
    struct virtio_device_ops ops = test_ops;
    ops.config_size = 0;
    ops.config_read = NULL;
    ops.config_write = NULL;
    struct virtio_mmio_device transport;
    assert_null(virtio_mmio_init(&transport, &ops, &f->device, &f->memory, count_interrupt, f));
    uint32_t value;
    assert_non_null(virtio_mmio_read(&transport, VIRTIO_MMIO_CONFIG_OFFSET, 1, &value));
    assert_non_null(virtio_mmio_write(&transport, VIRTIO_MMIO_CONFIG_OFFSET, 4, 0));
}

static void config_generation_changes_with_the_config(void **state)
{
    struct fixture *f = *state;
    uint32_t generation = read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION);
    virtio_mmio_config_changed(&f->transport); /* before DRIVER_OK: no interrupt */
    assert_int_not_equal(read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION), generation);
    assert_int_equal(f->interrupts, 0);
    negotiate(f, VERSION_1);
    driver_ok(f);
    generation = read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION);
    virtio_mmio_config_changed(&f->transport);
    assert_int_not_equal(read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION), generation);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
}

/* --- reset --- */

static void reset_clears_everything(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1 | VIRTIO_FEATURE(0));
    set_up_queue(f, 0);
    set_up_queue(f, 1);
    driver_ok(f);
    virtio_mmio_config_changed(&f->transport);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 1);
    uint32_t generation = read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION);

    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    assert_int_equal(f->device.resets, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), 0);
    assert_int_equal(f->transport.driver_features, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES), (uint32_t)ALL_OFFERED); /* selector back to 0 */
    for (uint32_t i = 0; i < TEST_QUEUES; i++) {
        write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, i);
        assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
        assert_false(virtio_mmio_queue(&f->transport, (uint16_t)i)->ready);
        assert_int_equal(f->transport.layouts[i].descriptor_table, 0);
    }
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION), generation);
    /* Notifications are held back again until the driver is back to DRIVER_OK. */
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->device.notifications[0], 1); /* the one at the first DRIVER_OK */
    /* And the device can be brought up again. */
    negotiate(f, VERSION_1);
    set_up_queue(f, 0);
    driver_ok(f);
    assert_int_equal(f->device.notifications[0], 2);
}

/* --- a device that needs a reset --- */

static void needs_reset_stops_the_device_until_reset(void **state)
{
    struct fixture *f = *state;
    negotiate(f, VERSION_1);
    set_up_queue(f, 0);
    driver_ok(f);
    unsigned notifications = f->device.notifications[0];
    virtio_mmio_set_needs_reset(&f->transport, "bad chain");
    virtio_mmio_set_needs_reset(&f->transport, "second reason");
    uint32_t status = read32(f, VIRTIO_MMIO_REG_STATUS);
    assert_true(status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_string_equal(f->transport.needs_reset_reason, "bad chain");
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->device.notifications[0], notifications);
    /* A driver writing back what it read (NEEDS_RESET included) or less of it changes nothing. */
    write32(f, VIRTIO_MMIO_REG_STATUS, status);
    write32(f, VIRTIO_MMIO_REG_STATUS, status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), status);
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), 0);
    assert_null(f->transport.needs_reset_reason);
}

static void needs_reset_before_driver_ok_is_silent(void **state)
{
    struct fixture *f = *state;
    virtio_mmio_set_needs_reset(&f->transport, "bad");
    assert_int_equal(f->interrupts, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(identifies_as_version_2),
        TEST(registers_take_aligned_32_bit_accesses),
        TEST(unknown_and_legacy_registers_are_refused),
        TEST(direction_of_registers),
        TEST(no_shared_memory_regions),
        TEST(init_refuses_unusable_devices),
        TEST(device_features_in_two_words),
        TEST(features_ok_for_a_subset_with_version_1),
        TEST(features_refused_without_version_1),
        TEST(features_refused_beyond_the_offer),
        TEST(driver_features_only_during_negotiation),
        TEST(status_follows_the_initialization_order),
        TEST(queue_discovery),
        TEST(queue_setup_starts_the_queue),
        TEST(queue_addresses_above_4_gib),
        TEST(queue_ready_checks_the_layout),
        TEST(queue_ready_needs_features_ok),
        TEST(queue_registers_locked_while_ready),
        TEST(notifications_reach_the_device_once_running),
        TEST(used_buffer_interrupt_and_ack),
        TEST(config_space_goes_to_the_device),
        TEST(config_space_access_rules),
        TEST(device_without_config_space),
        TEST(config_generation_changes_with_the_config),
        TEST(reset_clears_everything),
        TEST(needs_reset_stops_the_device_until_reset),
        TEST(needs_reset_before_driver_ok_is_silent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
