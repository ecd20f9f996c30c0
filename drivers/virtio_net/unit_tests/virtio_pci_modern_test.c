/*
 * The modern virtio-pci transport (drivers/virtio_net/virtio_pci_modern.c) against the fake device: the status
 * sequence, feature negotiation (VERSION_1 required, nothing accepted that was not both offered and wanted),
 * queue setup (sizes clamped, areas and vectors programmed, every register accessed at its own width), queue
 * notifications, consistent configuration reads, and a device that misbehaves: a reset that never ends,
 * FEATURES_OK refused, odd queue sizes, notify offsets outside the structure, refused vectors, a configuration
 * that never settles.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/virtio_net/virtio_net_driver.h"
#include "drivers/virtio_net/virtio_pci_modern.h"
#include "drivers/virtio_net/virtio_pci_registers.h"
#include "drivers/virtio_net/virtio_spec.h"
#include "fake_dma.h"
#include "fake_virtio_pci.h"

#include <stdlib.h>
#include <string.h>

#define NET_FEATURES (VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS))

struct fixture {
    struct fake_dma dma;
    struct dma_allocator allocator;
    struct fake_virtio_pci device;
    struct virtio_pci transport;
    struct virtq_driver queues[2];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_dma_init(&f->dma);
    f->allocator = fake_dma_allocator(&f->dma);
    fake_virtio_pci_init(&f->device, &f->dma);
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

static enum virtio_pci_result init(struct fixture *f)
{
    struct virtio_pci_regions regions = fake_virtio_pci_regions(&f->device);
    return virtio_pci_init(&f->transport, &regions);
}

/* init, start and negotiate the network features, each expected to succeed. */
static void negotiated(struct fixture *f)
{
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    uint64_t offered = 0;
    assert_int_equal(virtio_pci_start(&f->transport, &offered), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES), VIRTIO_PCI_OK);
}

static enum virtio_pci_result setup_queue(struct fixture *f, uint16_t index, uint16_t max_size, uint16_t vector)
{
    return virtio_pci_setup_queue(&f->transport, index, max_size, vector, &f->allocator, &f->queues[index % 2]);
}

static void test_bring_up_status_sequence_and_queues(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    assert_int_equal(virtio_pci_set_config_vector(&f->transport, 0), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 0, 256, 1), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 1, 256, 2), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_OK);

    static const uint8_t expected[] = {
        0,
        VIRTIO_STATUS_ACKNOWLEDGE,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK,
    };
    assert_int_equal(f->device.status_write_count, sizeof(expected));
    assert_memory_equal(f->device.status_writes, expected, sizeof(expected));
    assert_int_equal(f->device.driver_features, VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | NET_FEATURES);
    assert_int_equal(f->device.config_msix_vector, 0);
    for (uint16_t i = 0; i < 2; i++) {
        const struct fake_pci_queue *queue = &f->device.queues[i];
        struct virtq_driver_areas areas = virtq_driver_areas(&f->queues[i]);
        assert_int_equal(queue->enable, 1);
        assert_int_equal(queue->size, 256);
        assert_int_equal(f->queues[i].size, 256);
        assert_int_equal(queue->msix_vector, i + 1);
        assert_int_equal(queue->descriptors, areas.descriptors);
        assert_int_equal(queue->driver, areas.driver);
        assert_int_equal(queue->device, areas.device);
    }
    assert_int_equal(f->device.access_errors, 0);
    assert_int_equal(f->device.early_notifications, 0);
}

static void test_only_features_offered_and_wanted_are_accepted(void **state)
{
    struct fixture *f = *state;
    f->device.offered_features = VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC) |
                                 VIRTIO_FEATURE(0) /* CSUM */ | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX) |
                                 VIRTIO_FEATURE(VIRTIO_F_ACCESS_PLATFORM) | VIRTIO_FEATURE(VIRTIO_F_RING_PACKED);
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    uint64_t offered = 0;
    assert_int_equal(virtio_pci_start(&f->transport, &offered), VIRTIO_PCI_OK);
    assert_int_equal(offered, f->device.offered_features);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES | VIRTIO_FEATURE(VIRTIO_NET_F_MTU)),
                     VIRTIO_PCI_OK);
    assert_int_equal(f->device.driver_features, VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC));
    assert_true(virtio_pci_has_feature(&f->transport, VIRTIO_F_VERSION_1));
    assert_true(virtio_pci_has_feature(&f->transport, VIRTIO_NET_F_MAC));
    assert_false(virtio_pci_has_feature(&f->transport, VIRTIO_NET_F_STATUS));
    assert_false(virtio_pci_has_feature(&f->transport, VIRTIO_F_EVENT_IDX));
    assert_false(virtio_pci_has_feature(&f->transport, 64));
    assert_int_equal(f->device.access_errors, 0);
}

static void test_device_without_version_1_is_refused(void **state)
{
    struct fixture *f = *state;
    f->device.offered_features = NET_FEATURES; /* a legacy-only device */
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    uint64_t offered = 0;
    assert_int_equal(virtio_pci_start(&f->transport, &offered), VIRTIO_PCI_ERROR_NO_VERSION_1);
    assert_true(fake_virtio_pci_status_has(&f->device, VIRTIO_STATUS_FAILED));
    for (size_t i = 0; i < f->device.status_write_count; i++) {
        assert_false(f->device.status_writes[i] & VIRTIO_STATUS_FEATURES_OK);
    }
    assert_int_equal(f->device.driver_features, 0);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES), VIRTIO_PCI_ERROR_STATE);
}

static void test_features_refused_by_the_device(void **state)
{
    struct fixture *f = *state;
    f->device.refuse_features = true;
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_start(&f->transport, NULL), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES), VIRTIO_PCI_ERROR_FEATURES_REFUSED);
    assert_true(fake_virtio_pci_status_has(&f->device, VIRTIO_STATUS_FAILED));
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_ERROR_STATE);
}

static void test_reset_waits_for_zero_and_gives_up(void **state)
{
    struct fixture *f = *state;
    f->device.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER; /* left by an earlier driver */
    f->device.reset_reads = 50;
    negotiated(f);
    assert_int_equal(f->device.reset_reads_left, 0);

    f->device.reset_reads = FAKE_RESET_NEVER;
    assert_int_equal(virtio_pci_start(&f->transport, NULL), VIRTIO_PCI_ERROR_RESET_TIMEOUT);
    assert_int_equal(f->device.status_writes[f->device.status_write_count - 1], 0); /* nothing after the reset */
}

static void test_queue_size_clamped_to_the_smaller(void **state)
{
    struct fixture *f = *state;
    f->device.queues[0].max_size = 1024;
    f->device.queues[1].max_size = 16;
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 64, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(f->device.queues[0].size, 64);
    assert_int_equal(f->queues[0].size, 64);
    assert_int_equal(f->device.queues[1].size, 16);
    assert_int_equal(f->queues[1].size, 16);
    assert_int_equal(f->device.queues[0].msix_vector, VIRTIO_MSI_NO_VECTOR);
    assert_int_equal(f->device.access_errors, 0);

    /* A device that keeps its own size would run rings larger than the memory behind them. */
    fake_virtio_pci_init(&f->device, &f->dma);
    f->device.queues[0].max_size = 1024;
    f->device.fixed_queue_sizes = true;
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 64, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_QUEUE_SIZE);
    assert_int_equal(f->device.queues[0].enable, 0);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK); /* 256 of 256: no change */
}

static void test_missing_and_odd_queues_refused(void **state)
{
    struct fixture *f = *state;
    f->device.queues[0].max_size = 0;
    f->device.queues[1].max_size = 100;
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_QUEUE_MISSING);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_QUEUE_SIZE);
    assert_int_equal(setup_queue(f, 2, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_QUEUE_MISSING); /* num_queues 2 */
    assert_int_equal(setup_queue(f, VIRTIO_PCI_MAX_QUEUES, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(setup_queue(f, 1, 100, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(setup_queue(f, 1, 2 * VIRTQ_DRIVER_SIZE_MAX, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(f->dma.count, 0); /* nothing allocated for a refused queue */
    assert_int_equal(f->device.queues[0].enable, 0);
    assert_int_equal(f->device.queues[1].enable, 0);
}

static void test_queue_enabled_before_setup_refused(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    f->device.queues[0].enable = 1;
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_QUEUE_ENABLED);
}

static void test_notify_offset_checked_against_the_structure(void **state)
{
    struct fixture *f = *state;
    f->device.queues[0].notify_off = FAKE_NOTIFY_LENGTH / FAKE_NOTIFY_MULTIPLIER;     /* just past the end */
    f->device.queues[1].notify_off = FAKE_NOTIFY_LENGTH / FAKE_NOTIFY_MULTIPLIER - 1; /* the last 4 bytes: fits */
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_NOTIFY_OFFSET);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);

    /* A huge offset times a huge multiplier must not wrap into range. */
    fake_dma_destroy(&f->dma);
    fake_virtio_pci_init(&f->device, &f->dma);
    f->device.notify_multiplier = 0xffffffffu;
    f->device.queues[0].notify_off = 0xffff;
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_NOTIFY_OFFSET);

    /* An odd multiplier puts the 16-bit write off alignment. */
    fake_virtio_pci_init(&f->device, &f->dma);
    f->device.notify_multiplier = 1;
    negotiated(f);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_NOTIFY_OFFSET);
}

static void test_notify_writes_the_queue_index(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_notify(&f->transport, 1), VIRTIO_PCI_ERROR_STATE); /* before DRIVER_OK */
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_notify(&f->transport, 1), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_notify(&f->transport, 1), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_notify(&f->transport, 0), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_notify(&f->transport, 2), VIRTIO_PCI_ERROR_STATE); /* never set up */
    assert_int_equal(virtio_pci_notify(&f->transport, VIRTIO_PCI_MAX_QUEUES), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(f->device.queues[0].notifications, 1);
    assert_int_equal(f->device.queues[1].notifications, 2);
    assert_int_equal(f->device.early_notifications, 0);
    assert_int_equal(f->device.access_errors, 0);
}

static void test_shared_notify_address(void **state)
{
    struct fixture *f = *state;
    f->device.notify_multiplier = 0; /* every queue at the start of the structure */
    negotiated(f);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_notify(&f->transport, 1), VIRTIO_PCI_OK);
    assert_int_equal(f->device.queues[1].notifications, 1);
    assert_int_equal(f->device.access_errors, 0);
}

static void test_vectors_checked_and_refusals_seen(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    assert_int_equal(virtio_pci_set_config_vector(&f->transport, 3), VIRTIO_PCI_ERROR_VECTOR); /* table of 3 */
    assert_int_equal(setup_queue(f, 0, 256, 3), VIRTIO_PCI_ERROR_VECTOR);
    assert_int_equal(virtio_pci_set_config_vector(&f->transport, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    f->device.refuse_vectors = true;
    assert_int_equal(virtio_pci_set_config_vector(&f->transport, 2), VIRTIO_PCI_ERROR_VECTOR_REFUSED);
    assert_int_equal(setup_queue(f, 0, 256, 1), VIRTIO_PCI_ERROR_VECTOR_REFUSED);
    assert_int_equal(f->device.queues[0].enable, 0);

    /* Without MSI-X only NO_VECTOR goes. */
    fake_virtio_pci_init(&f->device, &f->dma);
    f->device.msix_vectors = 0;
    negotiated(f);
    assert_int_equal(virtio_pci_set_config_vector(&f->transport, 0), VIRTIO_PCI_ERROR_VECTOR);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(f->device.access_errors, 0);
}

static void test_steps_out_of_order_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_start(&f->transport, NULL), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_set_config_vector(&f->transport, 0), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_negotiate(&f->transport, NET_FEATURES), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_OK);
    assert_int_equal(setup_queue(f, 1, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(virtio_pci_ready(&f->transport), VIRTIO_PCI_ERROR_STATE);
    assert_int_equal(f->device.access_errors, 0);
}

static void test_dma_shortage_and_misalignment_refused(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    f->dma.fail_after = 0;
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_NO_MEMORY);
    f->dma.fail_after = SIZE_MAX;
    f->dma.misalign = true;
    assert_int_equal(setup_queue(f, 0, 256, VIRTIO_MSI_NO_VECTOR), VIRTIO_PCI_ERROR_MEMORY_ALIGNMENT);
    assert_int_equal(f->device.queues[0].enable, 0);
    struct dma_allocator none = {0};
    assert_int_equal(virtio_pci_setup_queue(&f->transport, 0, 256, VIRTIO_MSI_NO_VECTOR, &none, &f->queues[0]),
                     VIRTIO_PCI_ERROR_ARGUMENT);
}

static void test_regions_checked(void **state)
{
    struct fixture *f = *state;
    struct virtio_pci_regions regions = fake_virtio_pci_regions(&f->device);
    regions.common.length = VIRTIO_PCI_COMMON_SIZE - 4;
    assert_int_equal(virtio_pci_init(&f->transport, &regions), VIRTIO_PCI_ERROR_REGION);
    regions = fake_virtio_pci_regions(&f->device);
    regions.notify.length = 1;
    assert_int_equal(virtio_pci_init(&f->transport, &regions), VIRTIO_PCI_ERROR_REGION);
    regions = fake_virtio_pci_regions(&f->device);
    regions.common.mmio.write16 = NULL;
    assert_int_equal(virtio_pci_init(&f->transport, &regions), VIRTIO_PCI_ERROR_REGION);
    regions = fake_virtio_pci_regions(&f->device);
    regions.msix_vectors = VIRTIO_MSIX_MAX_VECTORS + 1;
    assert_int_equal(virtio_pci_init(&f->transport, &regions), VIRTIO_PCI_ERROR_REGION);
    regions = fake_virtio_pci_regions(&f->device);
    regions.isr = (struct virtio_pci_region){0};
    regions.device = (struct virtio_pci_region){0};
    assert_int_equal(virtio_pci_init(&f->transport, &regions), VIRTIO_PCI_OK); /* both optional */
    assert_int_equal(virtio_pci_init(NULL, &regions), VIRTIO_PCI_ERROR_ARGUMENT);
}

static void test_config_read_is_consistent(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    struct virtio_pci_config_field fields[] = {
        {.offset = VIRTIO_NET_CONFIG_MAC, .width = 1},
        {.offset = VIRTIO_NET_CONFIG_MAC + 5, .width = 1},
        {.offset = VIRTIO_NET_CONFIG_STATUS, .width = 2},
        {.offset = 8, .width = 4},
    };
    static const uint8_t word[] = {0x11, 0x22, 0x33, 0x44};
    memcpy(f->device.config + 8, word, sizeof(word));
    f->device.config_changes_on_read = 5; /* changes while the first attempts read */
    assert_int_equal(virtio_pci_read_config(&f->transport, fields, 4), VIRTIO_PCI_OK);
    assert_int_equal(fields[0].value, 0x52);
    assert_int_equal(fields[1].value, 0x56);
    assert_int_equal(fields[2].value, VIRTIO_NET_S_LINK_UP);
    assert_int_equal(fields[3].value, 0x44332211);
    assert_int_equal(f->device.access_errors, 0);

    f->device.config_changes_on_read = 1000;
    assert_int_equal(virtio_pci_read_config(&f->transport, fields, 4), VIRTIO_PCI_ERROR_CONFIG_UNSTABLE);
}

static void test_config_fields_checked(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    struct virtio_pci_config_field beyond = {.offset = 12, .width = 2}; /* the structure is 12 bytes */
    struct virtio_pci_config_field straddling = {.offset = 10, .width = 4};
    struct virtio_pci_config_field misaligned = {.offset = 1, .width = 2};
    struct virtio_pci_config_field wide = {.offset = 0, .width = 8};
    assert_int_equal(virtio_pci_read_config(&f->transport, &beyond, 1), VIRTIO_PCI_ERROR_CONFIG_RANGE);
    assert_int_equal(virtio_pci_read_config(&f->transport, &straddling, 1), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(virtio_pci_read_config(&f->transport, &misaligned, 1), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(virtio_pci_read_config(&f->transport, &wide, 1), VIRTIO_PCI_ERROR_ARGUMENT);
    assert_int_equal(f->device.access_errors, 0);

    f->device.lengths[FAKE_DEVICE] = 0; /* no device-specific structure at all */
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    struct virtio_pci_config_field mac = {.offset = 0, .width = 1};
    assert_int_equal(virtio_pci_read_config(&f->transport, &mac, 1), VIRTIO_PCI_ERROR_CONFIG_RANGE);
}

static void test_isr_read_clears_it(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    fake_virtio_pci_set_link(&f->device, false);
    uint8_t isr = 0;
    assert_int_equal(virtio_pci_read_isr(&f->transport, &isr), VIRTIO_PCI_OK);
    assert_int_equal(isr, VIRTIO_PCI_ISR_CONFIG);
    assert_int_equal(virtio_pci_read_isr(&f->transport, &isr), VIRTIO_PCI_OK);
    assert_int_equal(isr, 0);
    f->device.lengths[FAKE_ISR] = 0;
    assert_int_equal(init(f), VIRTIO_PCI_OK);
    assert_int_equal(virtio_pci_read_isr(&f->transport, &isr), VIRTIO_PCI_ERROR_ISR_MISSING);
}

static void test_device_status_shows_needs_reset(void **state)
{
    struct fixture *f = *state;
    negotiated(f);
    f->device.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    assert_true(virtio_pci_device_status(&f->transport) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void test_reasons_are_sentences(void **state)
{
    (void)state;
    for (int result = VIRTIO_PCI_OK; result <= VIRTIO_PCI_ERROR_ISR_MISSING; result++) {
        const char *reason = virtio_pci_result_reason((enum virtio_pci_result)result);
        assert_true(strlen(reason) > 5);
        assert_string_not_equal(reason, "unknown transport result");
    }
    assert_string_equal(virtio_pci_result_reason((enum virtio_pci_result)1000), "unknown transport result");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_bring_up_status_sequence_and_queues),
        TEST(test_only_features_offered_and_wanted_are_accepted),
        TEST(test_device_without_version_1_is_refused),
        TEST(test_features_refused_by_the_device),
        TEST(test_reset_waits_for_zero_and_gives_up),
        TEST(test_queue_size_clamped_to_the_smaller),
        TEST(test_missing_and_odd_queues_refused),
        TEST(test_queue_enabled_before_setup_refused),
        TEST(test_notify_offset_checked_against_the_structure),
        TEST(test_notify_writes_the_queue_index),
        TEST(test_shared_notify_address),
        TEST(test_vectors_checked_and_refusals_seen),
        TEST(test_steps_out_of_order_refused),
        TEST(test_dma_shortage_and_misalignment_refused),
        TEST(test_regions_checked),
        TEST(test_config_read_is_consistent),
        TEST(test_config_fields_checked),
        TEST(test_isr_read_clears_it),
        TEST(test_device_status_shows_needs_reset),
        TEST(test_reasons_are_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
