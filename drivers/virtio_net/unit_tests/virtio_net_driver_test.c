/*
 * The NIC (drivers/virtio_net/virtio_net_driver.c) over the transport and the queues, against the fake virtio-pci
 * network device: bring-up (status sequence, features, MAC, MTU, queues, a full receive ring), refusal of a device
 * without VERSION_1, frames sent intact, "full" when every transmit buffer is with the device and sending again once
 * it hands them back, frames received and their buffers reposted, link changes, and a hostile device (used ids out
 * of range or not in flight, an index that runs ahead, lengths beyond the buffer, runts, headers not negotiated,
 * DEVICE_NEEDS_RESET), each reported or dropped and counted, never followed.
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
#include "drivers/virtio_net/virtio_pci_registers.h"
#include "drivers/virtio_net/virtio_spec.h"
#include "fake_dma.h"
#include "fake_queue.h"
#include "fake_virtio_pci.h"

#include <stdlib.h>
#include <string.h>

#define RECEIVED_MAX 512

static const uint8_t DEVICE_MAC[VIRTIO_NET_MAC_BYTES] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t FALLBACK_MAC[VIRTIO_NET_MAC_BYTES] = {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc};

struct fixture {
    struct fake_dma dma;
    struct fake_virtio_pci device;
    struct virtio_net_driver net;
    struct virtio_net_setup setup;
    uint8_t received[RECEIVED_MAX][VIRTIO_NET_FRAME_MAX];
    size_t received_lengths[RECEIVED_MAX];
    size_t received_count;
    bool echo; /* the receive callback sends each frame straight back */
    enum virtio_net_result echo_result;
    bool link_reports[8];
    size_t link_report_count;
};

static void on_receive(void *context, const uint8_t *frame, size_t length)
{
    struct fixture *f = context;
    assert_true(length <= VIRTIO_NET_FRAME_MAX);
    size_t slot = f->received_count % RECEIVED_MAX;
    memcpy(f->received[slot], frame, length);
    f->received_lengths[slot] = length;
    f->received_count++;
    if (f->echo) {
        f->echo_result = virtio_net_transmit(&f->net, frame, length);
    }
}

static void on_link(void *context, bool up)
{
    struct fixture *f = context;
    assert_true(f->link_report_count < 8);
    f->link_reports[f->link_report_count++] = up;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_dma_init(&f->dma);
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

/* The setup the driver Micro-App would pass: vectors 0 (configuration), 1 (receive), 2 (transmit). */
static struct virtio_net_setup *net_setup(struct fixture *f, uint16_t queue_size)
{
    f->setup = (struct virtio_net_setup){
        .regions = fake_virtio_pci_regions(&f->device),
        .dma = fake_dma_allocator(&f->dma),
        .config_vector = 0,
        .receive_vector = 1,
        .transmit_vector = 2,
        .queue_size = queue_size,
        .callbacks = {.receive = on_receive, .link_changed = on_link, .context = f},
    };
    memcpy(f->setup.fallback_mac, FALLBACK_MAC, sizeof(FALLBACK_MAC));
    return &f->setup;
}

static enum virtio_net_result start(struct fixture *f, uint16_t queue_size)
{
    return virtio_net_start(&f->net, net_setup(f, queue_size));
}

/* A frame of length bytes to the driver's MAC, its contents following from seed. */
static void make_frame(uint8_t *frame, size_t length, unsigned seed)
{
    static const uint8_t source[VIRTIO_NET_MAC_BYTES] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    memcpy(frame, DEVICE_MAC, 6);
    memcpy(frame + 6, source, 6);
    frame[12] = 0x08;
    frame[13] = 0x00;
    for (size_t i = VIRTIO_NET_ETHERNET_HEADER_SIZE; i < length; i++) {
        frame[i] = (uint8_t)(seed * 31u + i * 7u);
    }
}

static struct fake_queue *receive_ring(struct fixture *f)
{
    return fake_virtio_pci_ring(&f->device, VIRTIO_NET_RECEIVE_QUEUE);
}

static struct fake_queue *transmit_ring(struct fixture *f)
{
    return fake_virtio_pci_ring(&f->device, VIRTIO_NET_TRANSMIT_QUEUE);
}

/* Nothing the driver did was wrong in the device's eyes. */
static void assert_driver_behaved(struct fixture *f)
{
    assert_int_equal(f->device.access_errors, 0);
    assert_int_equal(f->device.early_notifications, 0);
    assert_int_equal(f->device.header_errors, 0);
    assert_int_equal(receive_ring(f)->driver_errors, 0);
    assert_int_equal(transmit_ring(f)->driver_errors, 0);
}

static void assert_given_up(struct fixture *f)
{
    assert_true(fake_virtio_pci_status_has(&f->device, VIRTIO_STATUS_FAILED));
    uint8_t frame[64];
    make_frame(frame, sizeof(frame), 0);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_ERROR_NOT_RUNNING);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_ERROR_NOT_RUNNING);
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_ERROR_NOT_RUNNING);
}

static void test_bring_up(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);

    static const uint8_t expected[] = {
        0,
        VIRTIO_STATUS_ACKNOWLEDGE,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK,
    };
    assert_int_equal(f->device.status_write_count, sizeof(expected));
    assert_memory_equal(f->device.status_writes, expected, sizeof(expected));
    assert_int_equal(f->device.driver_features, VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC) |
                                                    VIRTIO_FEATURE(VIRTIO_NET_F_STATUS));
    assert_memory_equal(virtio_net_mac(&f->net), DEVICE_MAC, sizeof(DEVICE_MAC));
    assert_true(virtio_net_link_up(&f->net));
    assert_int_equal(virtio_net_frame_max(&f->net), 1518);

    /* Vectors, queue sizes. */
    assert_int_equal(f->device.config_msix_vector, 0);
    assert_int_equal(f->device.queues[0].msix_vector, 1);
    assert_int_equal(f->device.queues[1].msix_vector, 2);
    assert_int_equal(f->device.queues[0].size, VIRTIO_NET_QUEUE_SIZE_MAX);
    assert_int_equal(f->device.queues[1].size, VIRTIO_NET_QUEUE_SIZE_MAX);

    /* Every receive buffer posted, each one writable descriptor of a whole buffer, and the device told once. */
    assert_int_equal(fake_queue_pending(receive_ring(f)), VIRTIO_NET_QUEUE_SIZE_MAX);
    for (uint16_t i = 0; i < VIRTIO_NET_QUEUE_SIZE_MAX; i++) {
        uint64_t address;
        uint32_t length;
        uint16_t flags;
        uint16_t next;
        fake_queue_descriptor(receive_ring(f), i, &address, &length, &flags, &next);
        assert_int_equal(flags, VIRTQ_DESC_F_WRITE);
        assert_int_equal(length, VIRTIO_NET_RECEIVE_BUFFER_SIZE);
        assert_non_null(fake_dma_host(&f->dma, address, length));
    }
    assert_int_equal(f->device.queues[0].notifications, 1);
    assert_int_equal(fake_queue_pending(transmit_ring(f)), 0);
    assert_int_equal(fake_queue_available_flags(transmit_ring(f)), VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_int_equal(fake_queue_available_flags(receive_ring(f)), 0);
    assert_driver_behaved(f);
}

static void test_device_without_version_1_refused(void **state)
{
    struct fixture *f = *state;
    f->device.offered_features = VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS);
    assert_int_equal(start(f, 0), VIRTIO_NET_ERROR_TRANSPORT);
    assert_int_equal(f->net.transport_result, VIRTIO_PCI_ERROR_NO_VERSION_1);
    assert_int_equal(f->dma.count, 0);
    assert_given_up(f);
}

static void test_features_refused_by_the_device(void **state)
{
    struct fixture *f = *state;
    f->device.refuse_features = true;
    assert_int_equal(start(f, 0), VIRTIO_NET_ERROR_TRANSPORT);
    assert_int_equal(f->net.transport_result, VIRTIO_PCI_ERROR_FEATURES_REFUSED);
    assert_given_up(f);
}

static void test_mtu_accepted_when_the_buffers_hold_it(void **state)
{
    struct fixture *f = *state;
    f->device.offered_features |= VIRTIO_FEATURE(VIRTIO_NET_F_MTU);
    f->device.config[VIRTIO_NET_CONFIG_MTU] = 1400 & 0xff;
    f->device.config[VIRTIO_NET_CONFIG_MTU + 1] = 1400 >> 8;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    assert_true(f->device.driver_features & VIRTIO_FEATURE(VIRTIO_NET_F_MTU));
    assert_int_equal(virtio_net_frame_max(&f->net), 1418);
    uint8_t frame[1419];
    make_frame(frame, sizeof(frame), 1);
    assert_int_equal(virtio_net_transmit(&f->net, frame, 1419), VIRTIO_NET_ERROR_ARGUMENT);
    assert_int_equal(virtio_net_transmit(&f->net, frame, 1418), VIRTIO_NET_OK);
    assert_driver_behaved(f);
}

static void test_mtu_not_accepted_when_out_of_range(void **state)
{
    struct fixture *f = *state;
    static const uint16_t mtus[] = {9000, 1501, 67, 0};
    for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
        fake_dma_destroy(&f->dma);
        fake_virtio_pci_init(&f->device, &f->dma);
        f->device.offered_features |= VIRTIO_FEATURE(VIRTIO_NET_F_MTU);
        f->device.config[VIRTIO_NET_CONFIG_MTU] = (uint8_t)mtus[i];
        f->device.config[VIRTIO_NET_CONFIG_MTU + 1] = (uint8_t)(mtus[i] >> 8);
        assert_int_equal(start(f, 0), VIRTIO_NET_OK);
        assert_false(f->device.driver_features & VIRTIO_FEATURE(VIRTIO_NET_F_MTU));
        assert_int_equal(virtio_net_frame_max(&f->net), 1518);
    }
    /* Offered, but the configuration structure stops before the field: not accepted either. */
    fake_dma_destroy(&f->dma);
    fake_virtio_pci_init(&f->device, &f->dma);
    f->device.offered_features |= VIRTIO_FEATURE(VIRTIO_NET_F_MTU);
    f->device.lengths[FAKE_DEVICE] = 8;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    assert_false(f->device.driver_features & VIRTIO_FEATURE(VIRTIO_NET_F_MTU));
    assert_driver_behaved(f);
}

static void test_fallback_mac_without_the_mac_feature(void **state)
{
    struct fixture *f = *state;
    f->device.offered_features = VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS);
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    assert_memory_equal(virtio_net_mac(&f->net), FALLBACK_MAC, sizeof(FALLBACK_MAC));

    /* A fallback that is multicast, or not locally administered, is refused. */
    static const uint8_t bad[][VIRTIO_NET_MAC_BYTES] = {
        {0x03, 0, 0, 0, 0, 1},
        {0x00, 0x11, 0x22, 0x33, 0x44, 0x55},
        {0, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        net_setup(f, 0);
        memcpy(f->setup.fallback_mac, bad[i], VIRTIO_NET_MAC_BYTES);
        assert_int_equal(virtio_net_start(&f->net, &f->setup), VIRTIO_NET_ERROR_MAC);
        assert_given_up(f);
    }
}

static void test_device_mac_must_be_unicast(void **state)
{
    struct fixture *f = *state;
    f->device.config[0] = 0x01; /* a multicast address */
    assert_int_equal(start(f, 0), VIRTIO_NET_ERROR_MAC);
    assert_given_up(f);
    memset(f->device.config, 0, VIRTIO_NET_MAC_BYTES);
    assert_int_equal(start(f, 0), VIRTIO_NET_ERROR_MAC);
}

static void test_bad_setup_refused(void **state)
{
    struct fixture *f = *state;
    net_setup(f, 0);
    f->setup.callbacks.receive = NULL;
    assert_int_equal(virtio_net_start(&f->net, &f->setup), VIRTIO_NET_ERROR_ARGUMENT);
    assert_int_equal(start(f, 3), VIRTIO_NET_ERROR_ARGUMENT);
    assert_int_equal(start(f, 2 * VIRTIO_NET_QUEUE_SIZE_MAX), VIRTIO_NET_ERROR_ARGUMENT);
    net_setup(f, 0);
    f->setup.receive_vector = 7; /* the table has 3 entries */
    assert_int_equal(virtio_net_start(&f->net, &f->setup), VIRTIO_NET_ERROR_TRANSPORT);
    assert_int_equal(f->net.transport_result, VIRTIO_PCI_ERROR_VECTOR);
    assert_given_up(f);
}

static void test_no_memory_for_buffers(void **state)
{
    struct fixture *f = *state;
    f->dma.fail_after = 2; /* the two queues, then nothing */
    assert_int_equal(start(f, 0), VIRTIO_NET_ERROR_NO_MEMORY);
    assert_given_up(f);
}

static void test_frames_sent_intact(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    static const size_t lengths[] = {14, 60, 1514, 1518};
    uint8_t frames[4][VIRTIO_NET_FRAME_MAX];
    for (unsigned i = 0; i < 4; i++) {
        make_frame(frames[i], lengths[i], i);
        assert_int_equal(virtio_net_transmit(&f->net, frames[i], lengths[i]), VIRTIO_NET_OK);
    }
    assert_int_equal(f->device.queues[1].notifications, 4);
    assert_int_equal(fake_virtio_pci_transmit(&f->device), 4);
    assert_int_equal(f->device.frame_count, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(f->device.frame_lengths[i], lengths[i]);
        assert_memory_equal(f->device.frames[i], frames[i], lengths[i]);
    }
    assert_int_equal(f->net.counters.frames_sent, 4);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->net.transmit_free_count, VIRTIO_NET_QUEUE_SIZE_MAX);
    assert_int_equal(virtq_driver_free_descriptors(&f->net.transmit_queue), VIRTIO_NET_QUEUE_SIZE_MAX);
    assert_driver_behaved(f);
}

static void test_frames_of_bad_length_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    uint8_t frame[VIRTIO_NET_FRAME_MAX + 1];
    make_frame(frame, sizeof(frame), 0);
    assert_int_equal(virtio_net_transmit(&f->net, frame, 13), VIRTIO_NET_ERROR_ARGUMENT);
    assert_int_equal(virtio_net_transmit(&f->net, frame, VIRTIO_NET_FRAME_MAX + 1), VIRTIO_NET_ERROR_ARGUMENT);
    assert_int_equal(virtio_net_transmit(&f->net, NULL, 60), VIRTIO_NET_ERROR_ARGUMENT);
    assert_int_equal(fake_queue_pending(transmit_ring(f)), 0);
}

static void test_transmit_full_until_the_device_hands_buffers_back(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 8), VIRTIO_NET_OK);
    uint8_t frame[100];
    for (unsigned i = 0; i < 8; i++) {
        make_frame(frame, sizeof(frame), i);
        assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
    }
    make_frame(frame, sizeof(frame), 8);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_FULL);
    assert_int_equal(f->net.counters.transmit_full, 1);
    /* While full, the driver wants the transmit interrupt that will say buffers came back. */
    assert_int_equal(fake_queue_available_flags(transmit_ring(f)), 0);

    /* The device takes them but has not sent them yet: still full. */
    struct fake_chain held[8];
    assert_int_equal(fake_virtio_pci_hold_transmit(&f->device, held, 8), 8);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_FULL);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_FULL);

    /* It hands two back: two more go, then full again. */
    fake_queue_push(transmit_ring(f), held[0].head, 0);
    fake_queue_push(transmit_ring(f), held[1].head, 0);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(fake_queue_available_flags(transmit_ring(f)), VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_FULL);

    /* The rest come back (without a poll: transmit takes them itself), and the ring runs on. */
    for (unsigned i = 2; i < 8; i++) {
        fake_queue_push(transmit_ring(f), held[i].head, 0);
    }
    for (unsigned round = 0; round < 40; round++) {
        make_frame(frame, sizeof(frame), 100 + round);
        assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
        fake_virtio_pci_transmit(&f->device);
    }
    assert_int_equal(f->device.frame_count, 2 + 40);
    assert_memory_equal(f->device.frames[2 + 39], frame, sizeof(frame));
    assert_driver_behaved(f);
}

/* Injects count frames (seeds from first) and checks the driver delivers them intact after one poll. */
static void receive_and_check(struct fixture *f, unsigned first, unsigned count, size_t length)
{
    uint8_t frame[VIRTIO_NET_FRAME_MAX];
    size_t before = f->received_count;
    for (unsigned i = 0; i < count; i++) {
        make_frame(frame, length, first + i);
        assert_true(fake_virtio_pci_receive(&f->device, frame, length));
    }
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->received_count, before + count);
    for (unsigned i = 0; i < count; i++) {
        make_frame(frame, length, first + i);
        size_t slot = (before + i) % RECEIVED_MAX;
        assert_int_equal(f->received_lengths[slot], length);
        assert_memory_equal(f->received[slot], frame, length);
    }
}

static void test_frames_received_and_buffers_reposted(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    receive_and_check(f, 0, 3, 60);
    assert_int_equal(fake_queue_pending(receive_ring(f)), VIRTIO_NET_QUEUE_SIZE_MAX); /* full again */
    assert_int_equal(f->device.queues[0].notifications, 2);
    receive_and_check(f, 3, 1, VIRTIO_NET_FRAME_MAX);
    receive_and_check(f, 4, 1, VIRTIO_NET_ETHERNET_HEADER_SIZE);
    assert_int_equal(f->net.counters.frames_received, 5);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK); /* nothing new */
    assert_int_equal(f->received_count, 5);
    assert_driver_behaved(f);
}

static void test_receive_ring_stays_full_over_many_rounds(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 4), VIRTIO_NET_OK);
    uint8_t frame[64];
    make_frame(frame, sizeof(frame), 0);
    for (unsigned round = 0; round < 100; round++) {
        receive_and_check(f, round * 4, 4, 64 + round % 7);
        assert_int_equal(fake_queue_pending(receive_ring(f)), 4);
    }
    /* More frames than buffers: the device finds none for the fifth, until the driver polls. */
    for (unsigned i = 0; i < 4; i++) {
        assert_true(fake_virtio_pci_receive(&f->device, frame, sizeof(frame)));
    }
    assert_false(fake_virtio_pci_receive(&f->device, frame, sizeof(frame)));
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_true(fake_virtio_pci_receive(&f->device, frame, sizeof(frame)));
    assert_int_equal(f->net.counters.frames_received, 404);
    assert_driver_behaved(f);
}

static void test_received_frame_may_be_sent_from_the_callback(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    f->echo = true;
    receive_and_check(f, 7, 1, 98);
    assert_int_equal(f->echo_result, VIRTIO_NET_OK);
    assert_int_equal(fake_virtio_pci_transmit(&f->device), 1);
    assert_int_equal(f->device.frame_lengths[0], 98);
    assert_memory_equal(f->device.frames[0], f->received[0], 98);
    assert_driver_behaved(f);
}

/* The device takes the next receive buffer and answers with (id, length) of its own choosing. */
static struct fake_chain take_receive_buffer(struct fixture *f)
{
    struct fake_chain chain;
    assert_true(fake_queue_pop(receive_ring(f), &chain));
    return chain;
}

static void test_hostile_used_id_out_of_range(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    take_receive_buffer(f);
    fake_queue_push(receive_ring(f), 999, 60);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_ERROR_QUEUE);
    assert_int_equal(f->net.queue_result, VIRTQ_DRIVER_ERROR_USED_ID_RANGE);
    assert_int_equal(f->received_count, 0);
    assert_given_up(f);

    /* A reset and a new start bring it back. */
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    receive_and_check(f, 0, 2, 60);
}

static void test_hostile_used_id_not_in_flight(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    uint8_t frame[60];
    make_frame(frame, sizeof(frame), 0);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
    struct fake_chain chain;
    assert_true(fake_queue_pop(transmit_ring(f), &chain));
    fake_queue_push(transmit_ring(f), (uint16_t)(chain.head + 1), 0); /* a descriptor the driver never gave */
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_ERROR_QUEUE);
    assert_int_equal(f->net.queue_result, VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
    assert_given_up(f);
}

static void test_hostile_receive_id_used_twice(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    struct fake_chain chain = take_receive_buffer(f);
    take_receive_buffer(f);
    /* A good frame, then the same buffer again: by then the driver has reposted it, but not yet published it. */
    uint8_t frame[60];
    make_frame(frame, sizeof(frame), 0);
    memcpy(chain.segments[0].host + VIRTIO_NET_HEADER_SIZE, frame, sizeof(frame));
    chain.segments[0].host[VIRTIO_NET_HEADER_NUM_BUFFERS] = 1;
    memset(chain.segments[0].host, 0, VIRTIO_NET_HEADER_NUM_BUFFERS);
    fake_queue_push(receive_ring(f), chain.head, VIRTIO_NET_HEADER_SIZE + sizeof(frame));
    fake_queue_push(receive_ring(f), chain.head, VIRTIO_NET_HEADER_SIZE + sizeof(frame));
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_ERROR_QUEUE);
    assert_int_equal(f->net.queue_result, VIRTQ_DRIVER_ERROR_USED_ID_NOT_IN_FLIGHT);
    assert_int_equal(f->received_count, 1);
    assert_given_up(f);
}

static void test_hostile_used_index_runs_ahead(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 16), VIRTIO_NET_OK);
    fake_queue_set_used_index(receive_ring(f), 17); /* the device holds only 16 */
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_ERROR_QUEUE);
    assert_int_equal(f->net.queue_result, VIRTQ_DRIVER_ERROR_USED_INDEX);
    assert_int_equal(f->received_count, 0);
    assert_given_up(f);
}

/* QEMU leaves num_buffers 0 when merged buffers are not negotiated: the frame is taken as one buffer's. */
static void test_receive_takes_num_buffers_zero_as_one(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    struct fake_chain chain = take_receive_buffer(f);
    uint8_t frame[60];
    make_frame(frame, sizeof(frame), 0);
    memset(chain.segments[0].host, 0, VIRTIO_NET_HEADER_SIZE);
    memcpy(chain.segments[0].host + VIRTIO_NET_HEADER_SIZE, frame, sizeof(frame));
    fake_queue_push(receive_ring(f), chain.head, VIRTIO_NET_HEADER_SIZE + sizeof(frame));
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->net.counters.receive_header_errors, 0);
    assert_int_equal(f->received_count, 1);
    assert_int_equal(f->received_lengths[0], sizeof(frame));
    assert_memory_equal(f->received[0], frame, sizeof(frame));
}

static void test_hostile_length_beyond_the_buffer_drops_the_frame(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    struct fake_chain chain = take_receive_buffer(f);
    fake_queue_push(receive_ring(f), chain.head, VIRTIO_NET_RECEIVE_BUFFER_SIZE + 1);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->net.counters.receive_length_errors, 1);
    assert_int_equal(f->received_count, 0);
    assert_int_equal(fake_queue_pending(receive_ring(f)), VIRTIO_NET_QUEUE_SIZE_MAX); /* reposted */

    chain = take_receive_buffer(f);
    fake_queue_push(receive_ring(f), chain.head, 0xffffffffu);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->net.counters.receive_length_errors, 2);
    receive_and_check(f, 0, 2, 200); /* and the driver runs on */
}

static void test_hostile_runts_and_headers_dropped(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    uint8_t frame[60];
    make_frame(frame, sizeof(frame), 0);
    /* A header and less than an Ethernet header; nothing at all. */
    static const uint32_t runts[] = {VIRTIO_NET_HEADER_SIZE + VIRTIO_NET_ETHERNET_HEADER_SIZE - 1, 0};
    for (size_t i = 0; i < 2; i++) {
        struct fake_chain chain = take_receive_buffer(f);
        fake_queue_push(receive_ring(f), chain.head, runts[i]);
    }
    /* Headers this driver did not negotiate: merged buffers, GSO, a partial checksum. */
    static const struct {
        unsigned offset;
        uint8_t value;
    } headers[] = {
        {VIRTIO_NET_HEADER_NUM_BUFFERS, 2},
        {VIRTIO_NET_HEADER_NUM_BUFFERS + 1, 1}, /* 257 */
        {VIRTIO_NET_HEADER_GSO_TYPE, 1},
        {VIRTIO_NET_HEADER_FLAGS, VIRTIO_NET_HDR_F_NEEDS_CSUM},
    };
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        struct fake_chain chain = take_receive_buffer(f);
        uint8_t *buffer = chain.segments[0].host;
        memset(buffer, 0, VIRTIO_NET_HEADER_SIZE);
        buffer[VIRTIO_NET_HEADER_NUM_BUFFERS] = 1;
        buffer[headers[i].offset] = headers[i].value;
        memcpy(buffer + VIRTIO_NET_HEADER_SIZE, frame, sizeof(frame));
        fake_queue_push(receive_ring(f), chain.head, VIRTIO_NET_HEADER_SIZE + sizeof(frame));
    }
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->net.counters.receive_runts, 2);
    assert_int_equal(f->net.counters.receive_header_errors, 4);
    assert_int_equal(f->received_count, 0);
    assert_int_equal(fake_queue_pending(receive_ring(f)), VIRTIO_NET_QUEUE_SIZE_MAX);
    receive_and_check(f, 0, 1, 60);
}

static void test_hostile_length_on_a_transmit_buffer_counted(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    uint8_t frame[60];
    make_frame(frame, sizeof(frame), 0);
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
    struct fake_chain chain;
    assert_true(fake_queue_pop(transmit_ring(f), &chain));
    memset(chain.segments[0].host, 0xff, 5); /* wrote into a device-readable buffer, and says so */
    fake_queue_push(transmit_ring(f), chain.head, 5);
    assert_int_equal(virtio_net_poll(&f->net), VIRTIO_NET_OK);
    assert_int_equal(f->net.counters.transmit_length_errors, 1);
    assert_int_equal(f->net.transmit_free_count, VIRTIO_NET_QUEUE_SIZE_MAX);
    /* The buffer goes out again with a clean header. */
    assert_int_equal(virtio_net_transmit(&f->net, frame, sizeof(frame)), VIRTIO_NET_OK);
    assert_int_equal(fake_virtio_pci_transmit(&f->device), 1);
    assert_int_equal(f->device.header_errors, 0);
    assert_int_equal(f->device.frame_count, 1);
    assert_memory_equal(f->device.frames[0], frame, sizeof(frame));
}

static void test_link_state_follows_the_device(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    assert_true(virtio_net_link_up(&f->net));
    fake_virtio_pci_set_link(&f->device, false);
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_OK);
    assert_false(virtio_net_link_up(&f->net));
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_OK); /* spurious: no report */
    fake_virtio_pci_set_link(&f->device, true);
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_OK);
    assert_true(virtio_net_link_up(&f->net));
    assert_int_equal(f->link_report_count, 2);
    assert_false(f->link_reports[0]);
    assert_true(f->link_reports[1]);
    assert_int_equal(f->net.counters.link_changes, 2);

    /* A configuration that never settles: reported, link state kept, the driver runs on. */
    f->device.config_changes_on_read = 1000;
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_ERROR_TRANSPORT);
    assert_int_equal(f->net.transport_result, VIRTIO_PCI_ERROR_CONFIG_UNSTABLE);
    assert_true(virtio_net_link_up(&f->net));
    f->device.config_changes_on_read = 0;
    receive_and_check(f, 0, 1, 60);
    assert_driver_behaved(f);
}

static void test_link_up_without_the_status_feature(void **state)
{
    struct fixture *f = *state;
    f->device.offered_features = VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC);
    f->device.config[VIRTIO_NET_CONFIG_STATUS] = 0;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    assert_true(virtio_net_link_up(&f->net));
    fake_virtio_pci_set_link(&f->device, false);
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_OK);
    assert_true(virtio_net_link_up(&f->net));
    assert_int_equal(f->link_report_count, 0);
}

static void test_device_needing_reset_is_given_up(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(start(f, 0), VIRTIO_NET_OK);
    f->device.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    assert_int_equal(virtio_net_config_changed(&f->net), VIRTIO_NET_ERROR_NEEDS_RESET);
    assert_given_up(f);
}

static void test_reasons_are_sentences(void **state)
{
    (void)state;
    for (int result = VIRTIO_NET_OK; result <= VIRTIO_NET_ERROR_NOT_RUNNING; result++) {
        const char *reason = virtio_net_result_reason((enum virtio_net_result)result);
        assert_true(strlen(reason) > 5);
        assert_string_not_equal(reason, "unknown network driver result");
    }
    assert_string_equal(virtio_net_result_reason((enum virtio_net_result)1000), "unknown network driver result");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_bring_up),
        TEST(test_device_without_version_1_refused),
        TEST(test_features_refused_by_the_device),
        TEST(test_mtu_accepted_when_the_buffers_hold_it),
        TEST(test_mtu_not_accepted_when_out_of_range),
        TEST(test_fallback_mac_without_the_mac_feature),
        TEST(test_device_mac_must_be_unicast),
        TEST(test_bad_setup_refused),
        TEST(test_no_memory_for_buffers),
        TEST(test_frames_sent_intact),
        TEST(test_frames_of_bad_length_refused),
        TEST(test_transmit_full_until_the_device_hands_buffers_back),
        TEST(test_frames_received_and_buffers_reposted),
        TEST(test_receive_ring_stays_full_over_many_rounds),
        TEST(test_received_frame_may_be_sent_from_the_callback),
        TEST(test_hostile_used_id_out_of_range),
        TEST(test_hostile_used_id_not_in_flight),
        TEST(test_hostile_receive_id_used_twice),
        TEST(test_hostile_used_index_runs_ahead),
        TEST(test_receive_takes_num_buffers_zero_as_one),
        TEST(test_hostile_length_beyond_the_buffer_drops_the_frame),
        TEST(test_hostile_runts_and_headers_dropped),
        TEST(test_hostile_length_on_a_transmit_buffer_counted),
        TEST(test_link_state_follows_the_device),
        TEST(test_link_up_without_the_status_feature),
        TEST(test_device_needing_reset_is_given_up),
        TEST(test_reasons_are_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
