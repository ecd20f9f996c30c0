/* End-to-end tests of the network device (vmm/virtio/virtio_net.c) on the transport and two queues. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_driver.h"
#include "vmm/virtio/virtio_net.h"
#include "vmm/virtio/virtio_spec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 16
#define RX_QUEUE_BASE FAKE_QUEUE_BASE
#define TX_QUEUE_BASE 0x20000ull /* clear of the rx queue's areas, which end before 0x12000 */
#define CHAIN_SLOTS 4u           /* chains of up to four descriptors each, per queue */
#define SEGMENTS_PER_CHAIN 4u
#define SEGMENT_GAP 16u /* between a chain's segments, so a device reading or writing past one shows */
#define GAP_BYTE 0xee
#define TX_AREA(slot) (FAKE_BUFFERS + 0x1000ull * (slot))
#define RX_AREA(slot) (0x60000ull + 0x1000ull * (slot))
#define OUTSIDE_RAM (FAKE_RAM_SIZE + 0x1000ull)

#define HEADER_SIZE 12u
#define MAX_FRAME 1518u                           /* 14-byte Ethernet header, 4-byte VLAN tag, 1500 bytes of payload */
#define LINUX_RX_BUFFER (HEADER_SIZE + MAX_FRAME) /* Linux's rx buffers without MRG_RXBUF: one descriptor */

#define VERSION_1 VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define NET_FEATURES                                                                                                   \
    (VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS) | VIRTIO_FEATURE(VIRTIO_NET_F_MTU))
#define LINUX_FEATURES (VERSION_1 | NET_FEATURES)

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct fixture {
    struct guest_memory memory;
    struct fake_driver rx;
    struct fake_driver tx;
    struct virtio_net net;
    unsigned interrupts;
    /* The link behind the device. */
    bool link_full;
    bool loopback; /* transmitted frames come straight back through virtio_net_receive */
    unsigned transmit_calls;
    uint8_t transmitted[MAX_FRAME]; /* the last frame the link took */
    size_t transmitted_length;
    unsigned receive_ready_calls;
    const uint8_t *held_frame; /* a frame the guest could not take yet, offered again on receive_ready */
    size_t held_length;
    /* The driver's side. */
    unsigned tx_posted;
    unsigned rx_posted;
    uint16_t rx_taken;
    uint32_t rx_lengths[CHAIN_SLOTS][SEGMENTS_PER_CHAIN];
    unsigned rx_counts[CHAIN_SLOTS];
};

static bool link_transmit(void *context, const uint8_t *frame, size_t length)
{
    struct fixture *f = context;
    f->transmit_calls++;
    if (f->link_full) {
        return false;
    }
    assert_true(length <= sizeof(f->transmitted));
    memcpy(f->transmitted, frame, length);
    f->transmitted_length = length;
    if (f->loopback) {
        assert_true(virtio_net_receive(&f->net, frame, length));
    }
    return true;
}

static void link_receive_ready(void *context)
{
    struct fixture *f = context;
    f->receive_ready_calls++;
    if (f->held_frame && virtio_net_receive(&f->net, f->held_frame, f->held_length)) {
        f->held_frame = NULL;
    }
}

static void count_interrupt(void *context)
{
    struct fixture *f = context;
    f->interrupts++;
}

static uint32_t read32(struct fixture *f, uint64_t offset)
{
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->net.transport, offset, 4, &value));
    return value;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_null(virtio_mmio_write(&f->net.transport, offset, 4, value));
}

static uint32_t read_config(struct fixture *f, uint32_t offset, unsigned size)
{
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->net.transport, VIRTIO_MMIO_CONFIG_OFFSET + offset, size, &value));
    return value;
}

static bool needs_reset(struct fixture *f)
{
    return (read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
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

/* Linux's sequence: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, receiveq then transmitq, DRIVER_OK. */
static void bring_up(struct fixture *f, uint64_t features)
{
    fake_driver_init(&f->rx, &f->memory, RX_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->tx, &f->memory, TX_QUEUE_BASE, QUEUE_SIZE);
    f->tx_posted = 0;
    f->rx_posted = 0;
    f->rx_taken = 0;
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 0);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)features);
    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    write32(f, VIRTIO_MMIO_REG_STATUS, status);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), status);
    set_up_queue(f, VIRTIO_NET_RECEIVE_QUEUE, &f->rx);
    set_up_queue(f, VIRTIO_NET_TRANSMIT_QUEUE, &f->tx);
    write32(f, VIRTIO_MMIO_REG_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
}

static struct virtio_net_backend backend_of(struct fixture *f)
{
    return (struct virtio_net_backend){
        .transmit = link_transmit,
        .receive_ready = link_receive_ready,
        .context = f,
    };
}

static struct fixture *create_fixture(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    struct virtio_net_backend backend = backend_of(f);
    assert_null(virtio_net_init(&f->net, &f->memory, MAC, &backend, count_interrupt, f));
    return f;
}

static int setup(void **state)
{
    struct fixture *f = create_fixture();
    bring_up(f, LINUX_FEATURES);
    f->receive_ready_calls = 0; /* DRIVER_OK looks at every ready queue once */
    *state = f;
    return 0;
}

static int setup_without_driver(void **state)
{
    *state = create_fixture();
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fake_ram_destroy(&f->memory);
    free(f);
    return 0;
}

/* A frame with a different byte at every offset, so a misplaced copy shows. */
static void fill_frame(uint8_t *frame, size_t length, uint8_t seed)
{
    for (size_t i = 0; i < length; i++) {
        frame[i] = (uint8_t)(seed + i * 7 + (i >> 8));
    }
}

/* Header (flags, gso_type, the rest zero) and frame, as the driver lays a packet out. */
static size_t make_packet(uint8_t *packet, uint8_t flags, uint8_t gso_type, const uint8_t *frame, size_t length)
{
    memset(packet, 0, HEADER_SIZE);
    packet[0] = flags;
    packet[1] = gso_type;
    memcpy(packet + HEADER_SIZE, frame, length);
    return HEADER_SIZE + length;
}

/*
 * Puts packet on tx as one chain of segments of the given lengths (summing
 * to length), each in its own descriptor with garbage between them, and
 * notifies.
 */
static void transmit_segments(struct fixture *f, const uint8_t *packet, uint32_t length, const uint32_t *segments,
                              unsigned segment_count)
{
    unsigned slot = f->tx_posted++ % CHAIN_SLOTS;
    uint64_t address = TX_AREA(slot);
    memset(fake_ram_at(&f->memory, address), GAP_BYTE, length + SEGMENT_GAP * segment_count);
    uint32_t offset = 0;
    for (unsigned i = 0; i < segment_count; i++) {
        memcpy(fake_ram_at(&f->memory, address), packet + offset, segments[i]);
        bool last = i + 1 == segment_count;
        uint16_t index = (uint16_t)(slot * SEGMENTS_PER_CHAIN + i);
        fake_driver_set_descriptor(&f->tx, index, address, segments[i], last ? 0 : VIRTQ_DESC_F_NEXT,
                                   (uint16_t)(index + 1));
        address += segments[i] + SEGMENT_GAP;
        offset += segments[i];
    }
    assert_int_equal(offset, length);
    fake_driver_make_available(&f->tx, (uint16_t)(slot * SEGMENTS_PER_CHAIN));
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_NET_TRANSMIT_QUEUE);
}

/* As Linux sends when it can push the header in front of the frame: one descriptor. */
static void transmit_packet(struct fixture *f, const uint8_t *packet, uint32_t length)
{
    transmit_segments(f, packet, length, &length, 1);
}

static void transmit_frame(struct fixture *f, uint8_t flags, uint8_t gso_type, const uint8_t *frame, size_t length)
{
    uint8_t packet[HEADER_SIZE + MAX_FRAME + 1];
    assert_true(length <= sizeof(packet) - HEADER_SIZE);
    transmit_packet(f, packet, (uint32_t)make_packet(packet, flags, gso_type, frame, length));
}

/* The tx chains came back, each with nothing written. */
static void expect_tx_returned(struct fixture *f, unsigned count)
{
    assert_int_equal(fake_driver_used_index(&f->tx), count);
    for (uint16_t i = 0; i < count; i++) {
        struct virtq_used_element used = fake_driver_used_element(&f->tx, i);
        assert_int_equal(used.head, (i % CHAIN_SLOTS) * SEGMENTS_PER_CHAIN);
        assert_int_equal(used.written_length, 0);
    }
}

/* Makes an rx chain of writable segments of the given lengths available; notifies if asked. */
static void add_rx_chain(struct fixture *f, const uint32_t *segments, unsigned segment_count, bool notify)
{
    assert_true(f->rx_posted - f->rx_taken < CHAIN_SLOTS);
    unsigned slot = f->rx_posted++ % CHAIN_SLOTS;
    uint64_t address = RX_AREA(slot);
    f->rx_counts[slot] = segment_count;
    for (unsigned i = 0; i < segment_count; i++) {
        f->rx_lengths[slot][i] = segments[i];
        memset(fake_ram_at(&f->memory, address), GAP_BYTE, segments[i] + SEGMENT_GAP);
        bool last = i + 1 == segment_count;
        uint16_t index = (uint16_t)(slot * SEGMENTS_PER_CHAIN + i);
        fake_driver_set_descriptor(&f->rx, index, address, segments[i],
                                   VIRTQ_DESC_F_WRITE | (last ? 0 : VIRTQ_DESC_F_NEXT), (uint16_t)(index + 1));
        address += segments[i] + SEGMENT_GAP;
    }
    fake_driver_make_available(&f->rx, (uint16_t)(slot * SEGMENTS_PER_CHAIN));
    if (notify) {
        write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_NET_RECEIVE_QUEUE);
    }
}

static void post_rx_buffer(struct fixture *f, uint32_t length)
{
    add_rx_chain(f, &length, 1, true);
}

/*
 * The next rx chain the device used: its used length, and the bytes written
 * into it gathered from its segments (nothing written into a gap after one).
 */
static uint32_t next_rx(struct fixture *f, uint8_t *bytes, size_t capacity)
{
    assert_true(fake_driver_used_index(&f->rx) != f->rx_taken);
    struct virtq_used_element used = fake_driver_used_element(&f->rx, f->rx_taken++);
    assert_int_equal(used.head % SEGMENTS_PER_CHAIN, 0);
    unsigned slot = used.head / SEGMENTS_PER_CHAIN;
    assert_true(used.written_length <= capacity);
    uint32_t gathered = 0;
    uint64_t address = RX_AREA(slot);
    for (unsigned i = 0; i < f->rx_counts[slot]; i++) {
        uint32_t piece = f->rx_lengths[slot][i];
        if (piece > used.written_length - gathered) {
            piece = used.written_length - gathered;
        }
        memcpy(bytes + gathered, fake_ram_at(&f->memory, address), piece);
        assert_int_equal(*fake_ram_at(&f->memory, address + f->rx_lengths[slot][i]), GAP_BYTE);
        gathered += piece;
        address += f->rx_lengths[slot][i] + SEGMENT_GAP;
    }
    assert_int_equal(gathered, used.written_length);
    return used.written_length;
}

/* The next rx chain holds the 12-byte header (num_buffers 1, all else 0) and then exactly frame. */
static void expect_rx_frame(struct fixture *f, const uint8_t *frame, size_t length)
{
    uint8_t bytes[LINUX_RX_BUFFER];
    assert_int_equal(next_rx(f, bytes, sizeof(bytes)), HEADER_SIZE + length);
    static const uint8_t header[HEADER_SIZE] = {[10] = 1};
    assert_memory_equal(bytes, header, HEADER_SIZE);
    assert_memory_equal(bytes + HEADER_SIZE, frame, length);
}

static void identifies_as_network_device(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_ID), VIRTIO_ID_NET);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 0);
    uint32_t features = read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES);
    assert_int_equal(features & (uint32_t)VIRTIO_DEVICE_TYPE_FEATURES, (uint32_t)NET_FEATURES);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES) & (uint32_t)(VIRTIO_DEVICE_TYPE_FEATURES >> 32), 0);
    /* receiveq1 and transmitq1; no controlq. */
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, VIRTIO_NET_QUEUE_COUNT);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), 0);
}

static void config_holds_mac_status_and_mtu(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < 6; i++) {
        assert_int_equal(read_config(f, i, 1), MAC[i]);
    }
    assert_int_equal(read_config(f, 0, 4), 0x12005452u);
    assert_int_equal(read_config(f, 6, 2), VIRTIO_NET_S_LINK_UP);
    assert_int_equal(read_config(f, 10, 2), 1500);
    /* mac[4], mac[5], then status; max_virtqueue_pairs (no MQ) as 0, then mtu. */
    assert_int_equal(read_config(f, 4, 4), 0x00015634u);
    assert_int_equal(read_config(f, 8, 4), 1500u << 16);

    uint32_t value = 0;
    assert_non_null(virtio_mmio_read(&f->net.transport, VIRTIO_MMIO_CONFIG_OFFSET + 12, 4, &value));
    assert_non_null(virtio_mmio_write(&f->net.transport, VIRTIO_MMIO_CONFIG_OFFSET + 0, 1, 0x66));
    assert_int_equal(read_config(f, 0, 1), MAC[0]);
}

static void link_changes_notify_the_driver(void **state)
{
    struct fixture *f = *state;
    uint32_t generation = read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION);
    virtio_net_set_link(&f->net, false);
    assert_int_equal(read_config(f, 6, 2), 0);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    assert_int_not_equal(read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION), generation);
    write32(f, VIRTIO_MMIO_REG_INTERRUPT_ACK, VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);

    /* No change, no notification. */
    generation = read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION);
    virtio_net_set_link(&f->net, false);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION), generation);

    virtio_net_set_link(&f->net, true);
    assert_int_equal(read_config(f, 6, 2), VIRTIO_NET_S_LINK_UP);
    assert_int_equal(f->interrupts, 2);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    assert_int_not_equal(read32(f, VIRTIO_MMIO_REG_CONFIG_GENERATION), generation);
}

static void init_refuses_group_or_zero_mac_and_incomplete_backend(void **state)
{
    struct fixture *f = *state;
    struct virtio_net net;
    struct virtio_net_backend backend = backend_of(f);
    static const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t zero[6] = {0};
    static const uint8_t local_unicast[6] = {0x02, 0, 0, 0, 0, 0};
    assert_non_null(virtio_net_init(&net, &f->memory, multicast, &backend, count_interrupt, f));
    assert_non_null(virtio_net_init(&net, &f->memory, broadcast, &backend, count_interrupt, f));
    assert_non_null(virtio_net_init(&net, &f->memory, zero, &backend, count_interrupt, f));
    assert_null(virtio_net_init(&net, &f->memory, local_unicast, &backend, count_interrupt, f));

    backend.transmit = NULL;
    assert_non_null(virtio_net_init(&net, &f->memory, MAC, &backend, count_interrupt, f));
    backend = backend_of(f);
    backend.receive_ready = NULL;
    assert_non_null(virtio_net_init(&net, &f->memory, MAC, &backend, count_interrupt, f));
}

/* Linux when it cannot push the header in front of the frame: header, then frame. */
static void transmit_header_then_frame(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 1);
    uint8_t packet[HEADER_SIZE + sizeof(frame)];
    make_packet(packet, 0, 0, frame, sizeof(frame));
    const uint32_t segments[] = {HEADER_SIZE, sizeof(frame)};
    transmit_segments(f, packet, sizeof(packet), segments, 2);

    assert_int_equal(f->transmit_calls, 1);
    assert_int_equal(f->transmitted_length, sizeof(frame));
    assert_memory_equal(f->transmitted, frame, sizeof(frame));
    expect_tx_returned(f, 1);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(f->net.statistics.tx_frames, 1);
    assert_int_equal(f->net.statistics.tx_bytes, sizeof(frame));
}

static void transmit_header_and_frame_in_one_segment(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[MAX_FRAME];
    fill_frame(frame, sizeof(frame), 2);
    transmit_frame(f, 0, 0, frame, sizeof(frame));
    assert_int_equal(f->transmitted_length, MAX_FRAME);
    assert_memory_equal(f->transmitted, frame, MAX_FRAME);
    expect_tx_returned(f, 1);
    assert_int_equal(f->net.statistics.tx_frames, 1);
    assert_int_equal(f->net.statistics.tx_bytes, MAX_FRAME);
}

/* Split anywhere: inside the header, and a segment holding the header's tail and the frame's start. */
static void transmit_over_three_segments(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[100];
    fill_frame(frame, sizeof(frame), 3);
    uint8_t packet[HEADER_SIZE + sizeof(frame)];
    make_packet(packet, 0, 0, frame, sizeof(frame));
    const uint32_t segments[] = {5, 20, sizeof(packet) - 25};
    transmit_segments(f, packet, sizeof(packet), segments, 3);
    assert_int_equal(f->transmitted_length, sizeof(frame));
    assert_memory_equal(f->transmitted, frame, sizeof(frame));
    expect_tx_returned(f, 1);
}

/* Offloads were not negotiated: a header asking for one drops the frame, and the chain still comes back. */
static void offload_header_is_dropped(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 4);
    transmit_frame(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, frame, sizeof(frame));
    transmit_frame(f, 0, 1 /* VIRTIO_NET_HDR_GSO_TCPV4 */, frame, sizeof(frame));
    transmit_frame(f, 0, 0x80 /* VIRTIO_NET_HDR_GSO_ECN alone */, frame, sizeof(frame));
    transmit_frame(f, VIRTIO_NET_HDR_F_DATA_VALID, 0, frame, sizeof(frame));
    assert_int_equal(f->transmit_calls, 0);
    expect_tx_returned(f, 4);
    assert_int_equal(f->net.statistics.tx_malformed, 4);
    assert_int_equal(f->net.statistics.tx_frames, 0);
    assert_false(needs_reset(f));

    /* Flag bits the spec does not define the device must ignore. */
    transmit_frame(f, 0x80, 0, frame, sizeof(frame));
    assert_int_equal(f->transmit_calls, 1);
    assert_int_equal(f->net.statistics.tx_frames, 1);
}

static void frames_outside_the_size_limits_are_dropped(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[MAX_FRAME + 1];
    fill_frame(frame, sizeof(frame), 5);
    transmit_frame(f, 0, 0, frame, 13);
    transmit_frame(f, 0, 0, frame, MAX_FRAME + 1);
    uint8_t short_header[8] = {0};
    transmit_packet(f, short_header, sizeof(short_header));
    transmit_packet(f, short_header, 0); /* a chain of one empty descriptor */
    assert_int_equal(f->transmit_calls, 0);
    assert_int_equal(f->net.statistics.tx_malformed, 4);
    assert_false(needs_reset(f));

    transmit_frame(f, 0, 0, frame, 14);
    assert_int_equal(f->transmitted_length, 14);
    assert_int_equal(f->net.statistics.tx_frames, 1);
    assert_int_equal(fake_driver_used_index(&f->tx), 5);
}

/* A full link drops the frame (counted) and returns the chain: the queue never waits for the link. */
static void full_link_drops_and_keeps_the_queue_moving(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 6);
    f->link_full = true;
    transmit_frame(f, 0, 0, frame, sizeof(frame));
    transmit_frame(f, 0, 0, frame, sizeof(frame));
    assert_int_equal(f->transmit_calls, 2);
    expect_tx_returned(f, 2);
    assert_int_equal(f->net.statistics.tx_dropped, 2);
    assert_int_equal(f->net.statistics.tx_frames, 0);

    f->link_full = false;
    transmit_frame(f, 0, 0, frame, sizeof(frame));
    assert_int_equal(f->net.statistics.tx_frames, 1);
    assert_int_equal(f->net.statistics.tx_dropped, 2);
    assert_memory_equal(f->transmitted, frame, sizeof(frame));
}

static void receive_into_rx_buffer(void **state)
{
    struct fixture *f = *state;
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_int_equal(f->receive_ready_calls, 1);
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 7);
    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));
    expect_rx_frame(f, frame, sizeof(frame));
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    assert_int_equal(f->net.statistics.rx_frames, 1);
    assert_int_equal(f->net.statistics.rx_bytes, sizeof(frame));

    uint8_t largest[MAX_FRAME];
    fill_frame(largest, sizeof(largest), 8);
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_true(virtio_net_receive(&f->net, largest, sizeof(largest)));
    expect_rx_frame(f, largest, sizeof(largest));
}

/* A buffer split anywhere takes header and frame across its segments. */
static void receive_into_split_rx_buffer(void **state)
{
    struct fixture *f = *state;
    const uint32_t segments[] = {7, 40, 100};
    add_rx_chain(f, segments, 3, true);
    uint8_t frame[120];
    fill_frame(frame, sizeof(frame), 9);
    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));
    expect_rx_frame(f, frame, sizeof(frame));
}

/* Refused for want of a buffer, the frame goes in once the driver adds one and receive_ready offers it again. */
static void receive_without_buffer_waits_for_receive_ready(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 10);
    assert_false(virtio_net_receive(&f->net, frame, sizeof(frame)));
    assert_int_equal(f->interrupts, 0);
    f->held_frame = frame;
    f->held_length = sizeof(frame);

    /* A transmit notification is not the cue. */
    transmit_frame(f, 0, 0, frame, sizeof(frame));
    assert_int_equal(f->receive_ready_calls, 0);

    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_int_equal(f->receive_ready_calls, 1);
    assert_null(f->held_frame);
    expect_rx_frame(f, frame, sizeof(frame));
    assert_int_equal(f->net.statistics.rx_frames, 1);
}

/* With VIRTIO_F_EVENT_IDX an empty receiveq asks the driver to notify on its next buffer. */
static void empty_receive_queue_asks_for_notification(void **state)
{
    struct fixture *f = *state;
    bring_up(f, LINUX_FEATURES | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 11);
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));
    assert_int_equal(fake_driver_available_event(&f->rx), 0);
    assert_false(virtio_net_receive(&f->net, frame, sizeof(frame)));
    assert_int_equal(fake_driver_available_event(&f->rx), 1);
    expect_rx_frame(f, frame, sizeof(frame));
}

/* A frame larger than the buffer is dropped; the buffer comes back empty and the next frame that fits uses the next. */
static void frame_too_large_for_rx_buffer_is_dropped(void **state)
{
    struct fixture *f = *state;
    uint32_t small = HEADER_SIZE + 100;
    add_rx_chain(f, &small, 1, false);
    post_rx_buffer(f, LINUX_RX_BUFFER);
    uint8_t frame[101];
    fill_frame(frame, sizeof(frame), 12);
    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));
    uint8_t bytes[LINUX_RX_BUFFER];
    assert_int_equal(next_rx(f, bytes, sizeof(bytes)), 0);
    assert_int_equal(*fake_ram_at(&f->memory, RX_AREA(0)), GAP_BYTE);
    assert_int_equal(f->net.statistics.rx_dropped, 1);
    assert_int_equal(f->net.statistics.rx_frames, 0);
    assert_int_equal(f->interrupts, 1);

    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));
    expect_rx_frame(f, frame, sizeof(frame));
    assert_false(needs_reset(f));
}

/* What the link hands in is checked too; such frames are done with (true) without using a buffer. */
static void receive_drops_frames_outside_the_size_limits(void **state)
{
    struct fixture *f = *state;
    post_rx_buffer(f, LINUX_RX_BUFFER);
    uint8_t frame[MAX_FRAME + 1];
    fill_frame(frame, sizeof(frame), 13);
    assert_true(virtio_net_receive(&f->net, frame, 13));
    assert_true(virtio_net_receive(&f->net, frame, MAX_FRAME + 1));
    assert_true(virtio_net_receive(&f->net, NULL, 0));
    assert_int_equal(f->net.statistics.rx_malformed, 3);
    assert_int_equal(fake_driver_used_index(&f->rx), 0);
    assert_true(virtio_net_receive(&f->net, frame, 14));
    expect_rx_frame(f, frame, 14);
}

/* Before DRIVER_OK there is no driver to take a frame: the caller keeps it. */
static void receive_before_driver_ok_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 14);
    assert_false(virtio_net_receive(&f->net, frame, sizeof(frame)));
    f->held_frame = frame;
    f->held_length = sizeof(frame);
    bring_up(f, LINUX_FEATURES);
    assert_int_equal(f->receive_ready_calls, 1); /* DRIVER_OK looks at the ready queues */
    assert_non_null(f->held_frame);
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_null(f->held_frame);
    expect_rx_frame(f, frame, sizeof(frame));
}

/* The whole device stops until the driver resets it: receive buffers are left alone too. */
static void malformed_tx_chain_needs_reset(void **state)
{
    struct fixture *f = *state;
    post_rx_buffer(f, LINUX_RX_BUFFER);
    fake_driver_set_descriptor(&f->tx, 0, OUTSIDE_RAM, 72, 0, 0);
    fake_driver_make_available(&f->tx, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_NET_TRANSMIT_QUEUE);
    assert_true(needs_reset(f));
    assert_string_equal(f->net.transport.needs_reset_reason, "a buffer lies outside guest RAM");
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    assert_int_equal(f->transmit_calls, 0);
    assert_int_equal(fake_driver_used_index(&f->tx), 0);

    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 17);
    assert_false(virtio_net_receive(&f->net, frame, sizeof(frame)));
    assert_int_equal(fake_driver_used_index(&f->rx), 0);
}

/* A broken receiveq stops delivery until the driver resets; the statistics stay. */
static void malformed_rx_chain_needs_reset(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60];
    fill_frame(frame, sizeof(frame), 15);
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));

    fake_driver_set_descriptor(&f->rx, 0, RX_AREA(0), LINUX_RX_BUFFER, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
                               QUEUE_SIZE);
    fake_driver_make_available(&f->rx, 0);
    assert_false(virtio_net_receive(&f->net, frame, sizeof(frame)));
    assert_true(needs_reset(f));
    assert_string_equal(f->net.transport.needs_reset_reason, "a descriptor index is beyond its table");
    assert_int_equal(fake_driver_used_index(&f->rx), 1);
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_false(virtio_net_receive(&f->net, frame, sizeof(frame)));
    assert_int_equal(fake_driver_used_index(&f->rx), 1);

    bring_up(f, LINUX_FEATURES);
    assert_false(needs_reset(f));
    post_rx_buffer(f, LINUX_RX_BUFFER);
    assert_true(virtio_net_receive(&f->net, frame, sizeof(frame)));
    expect_rx_frame(f, frame, sizeof(frame));
    assert_int_equal(f->net.statistics.rx_frames, 2);
}

/* The transmit callback may hand the frame straight back (a loopback link): the queues use separate chains. */
static void loopback_link_receives_inside_transmit(void **state)
{
    struct fixture *f = *state;
    f->loopback = true;
    post_rx_buffer(f, LINUX_RX_BUFFER);
    uint8_t frame[200];
    fill_frame(frame, sizeof(frame), 16);
    uint8_t packet[HEADER_SIZE + sizeof(frame)];
    make_packet(packet, 0, 0, frame, sizeof(frame));
    const uint32_t segments[] = {HEADER_SIZE, 50, sizeof(frame) - 50};
    transmit_segments(f, packet, sizeof(packet), segments, 3);
    expect_rx_frame(f, frame, sizeof(frame));
    expect_tx_returned(f, 1);
    assert_int_equal(f->net.statistics.tx_frames, 1);
    assert_int_equal(f->net.statistics.rx_frames, 1);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(identifies_as_network_device),
        TEST(config_holds_mac_status_and_mtu),
        TEST(link_changes_notify_the_driver),
        TEST(init_refuses_group_or_zero_mac_and_incomplete_backend),
        TEST(transmit_header_then_frame),
        TEST(transmit_header_and_frame_in_one_segment),
        TEST(transmit_over_three_segments),
        TEST(offload_header_is_dropped),
        TEST(frames_outside_the_size_limits_are_dropped),
        TEST(full_link_drops_and_keeps_the_queue_moving),
        TEST(receive_into_rx_buffer),
        TEST(receive_into_split_rx_buffer),
        TEST(receive_without_buffer_waits_for_receive_ready),
        TEST(empty_receive_queue_asks_for_notification),
        TEST(frame_too_large_for_rx_buffer_is_dropped),
        TEST(receive_drops_frames_outside_the_size_limits),
        cmocka_unit_test_setup_teardown(receive_before_driver_ok_is_refused, setup_without_driver, teardown),
        TEST(malformed_tx_chain_needs_reset),
        TEST(malformed_rx_chain_needs_reset),
        TEST(loopback_link_receives_inside_transmit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
