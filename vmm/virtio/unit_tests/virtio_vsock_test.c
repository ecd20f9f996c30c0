/* End-to-end tests of the socket device (vmm/virtio/virtio_vsock.c) on the transport and the queues. */
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
#include "vmm/virtio/virtio_vsock.h"
#include "vmm/virtio/vsock_echo.h"

#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 32
#define GUEST_CID 0x12345678u
#define HOST_CID 2u
#define GUEST_PORT 49152u
#define ECHO_PORT 5000u
#define RECORDER_PORT 6000u
#define UNKNOWN_PORT 7777u

/* Three queues at different bases, as Linux allocates them, then the buffers. */
#define RX_QUEUE_BASE 0x10000ull
#define TX_QUEUE_BASE 0x20000ull
#define EVENT_QUEUE_BASE 0x30000ull
#define CHAIN_SLOTS 8u /* chains of up to four descriptors each, per queue */
#define SEGMENTS_PER_CHAIN 4u
#define SEGMENT_GAP 16u /* between a chain's segments, so a device reading past one reads garbage */
#define GAP_BYTE 0xee
#define TX_AREA(slot) (0x40000ull + 0x2000ull * (slot))
#define RX_AREA(slot) (0x60000ull + 0x2000ull * (slot))
#define EVENT_BUFFER 0x80000ull

#define HEADER_SIZE 44u
#define LINUX_RX_PAYLOAD 4096u /* Linux's rx buffers: one writable buffer for the header and 4 KiB */
#define GUEST_BUF_ALLOC 262144u

/* struct virtio_vsock_hdr as the spec lays it out (section 5.10.6), written and read by the test itself. */
struct header {
    uint64_t src_cid;
    uint64_t dst_cid;
    uint32_t src_port;
    uint32_t dst_port;
    uint32_t len;
    uint16_t type;
    uint16_t op;
    uint32_t flags;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
};

static void put_le(uint8_t *bytes, uint64_t value, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        bytes[i] = (uint8_t)(value >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *bytes, unsigned count)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < count; i++) {
        value |= (uint64_t)bytes[i] << (8 * i);
    }
    return value;
}

static void encode(const struct header *h, uint8_t bytes[HEADER_SIZE])
{
    put_le(bytes + 0, h->src_cid, 8);
    put_le(bytes + 8, h->dst_cid, 8);
    put_le(bytes + 16, h->src_port, 4);
    put_le(bytes + 20, h->dst_port, 4);
    put_le(bytes + 24, h->len, 4);
    put_le(bytes + 28, h->type, 2);
    put_le(bytes + 30, h->op, 2);
    put_le(bytes + 32, h->flags, 4);
    put_le(bytes + 36, h->buf_alloc, 4);
    put_le(bytes + 40, h->fwd_cnt, 4);
}

static struct header decode(const uint8_t bytes[HEADER_SIZE])
{
    return (struct header){
        .src_cid = get_le(bytes + 0, 8),
        .dst_cid = get_le(bytes + 8, 8),
        .src_port = (uint32_t)get_le(bytes + 16, 4),
        .dst_port = (uint32_t)get_le(bytes + 20, 4),
        .len = (uint32_t)get_le(bytes + 24, 4),
        .type = (uint16_t)get_le(bytes + 28, 2),
        .op = (uint16_t)get_le(bytes + 30, 2),
        .flags = (uint32_t)get_le(bytes + 32, 4),
        .buf_alloc = (uint32_t)get_le(bytes + 36, 4),
        .fwd_cnt = (uint32_t)get_le(bytes + 40, 4),
    };
}

/* A host-side service that records what the device does with it. */
struct recorder {
    unsigned accepted;
    unsigned closed;
    bool refuse;
    size_t budget; /* bytes it will still take */
    size_t received_length;
    uint8_t received[4 * VIRTIO_VSOCK_BUFFER_SIZE];
    struct vsock_connection *connection;
};

static bool recorder_accept(void *context, struct vsock_connection *connection)
{
    struct recorder *r = context;
    r->accepted++;
    r->connection = connection;
    return !r->refuse;
}

static size_t recorder_receive(void *context, struct vsock_connection *connection, const uint8_t *bytes, size_t length)
{
    struct recorder *r = context;
    assert_ptr_equal(connection, r->connection);
    size_t take = length < r->budget ? length : r->budget;
    assert_true(r->received_length + take <= sizeof(r->received));
    memcpy(r->received + r->received_length, bytes, take);
    r->received_length += take;
    r->budget -= take;
    return take;
}

static void recorder_closed(void *context, struct vsock_connection *connection)
{
    struct recorder *r = context;
    assert_ptr_equal(connection, r->connection);
    r->closed++;
}

static const struct vsock_service recorder_service = {
    .accept = recorder_accept,
    .receive = recorder_receive,
    .closed = recorder_closed,
};

struct rx_chain {
    unsigned count;
    uint32_t lengths[SEGMENTS_PER_CHAIN];
};

struct fixture {
    struct guest_memory memory;
    struct fake_driver rx;
    struct fake_driver tx;
    struct fake_driver event;
    struct virtio_vsock vsock;
    struct vsock_echo echo;
    struct recorder recorder;
    unsigned interrupts;
    unsigned tx_packets; /* chains the guest put on tx */
    unsigned rx_posted;  /* rx chains the guest made available */
    uint16_t rx_taken;   /* rx used entries the guest has read */
    struct rx_chain rx_chains[CHAIN_SLOTS];
};

/* A packet the device put in an rx buffer. */
struct rx_packet {
    struct header header;
    uint32_t written;
    uint8_t payload[2 * LINUX_RX_PAYLOAD];
};

static void count_interrupt(void *context)
{
    struct fixture *f = context;
    f->interrupts++;
}

static uint32_t read32(struct fixture *f, uint64_t offset)
{
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->vsock.transport, offset, 4, &value));
    return value;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_null(virtio_mmio_write(&f->vsock.transport, offset, 4, value));
}

static void set_up_queue(struct fixture *f, uint16_t index, const struct fake_driver *driver)
{
    struct virtq_layout layout = fake_driver_layout(driver);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, index);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_READY), 0);
    assert_true(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX) >= QUEUE_SIZE);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NUM, layout.size);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_LOW, (uint32_t)layout.descriptor_table);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_HIGH, (uint32_t)(layout.descriptor_table >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW, (uint32_t)layout.available_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH, (uint32_t)(layout.available_ring >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW, (uint32_t)layout.used_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH, (uint32_t)(layout.used_ring >> 32));
    write32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
}

/* What Linux's virtio_mmio and virtio_vsock probe do: reset, negotiate VERSION_1 only, three queues, DRIVER_OK. */
static void bring_up(struct fixture *f)
{
    fake_driver_init(&f->rx, &f->memory, RX_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->tx, &f->memory, TX_QUEUE_BASE, QUEUE_SIZE);
    fake_driver_init(&f->event, &f->memory, EVENT_QUEUE_BASE, QUEUE_SIZE);
    f->tx_packets = 0;
    f->rx_posted = 0;
    f->rx_taken = 0;
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    write32(f, VIRTIO_MMIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 is bit 32 */
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 0);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 0);
    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    write32(f, VIRTIO_MMIO_REG_STATUS, status);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), status);
    set_up_queue(f, VIRTIO_VSOCK_RX_QUEUE, &f->rx);
    set_up_queue(f, VIRTIO_VSOCK_TX_QUEUE, &f->tx);
    set_up_queue(f, VIRTIO_VSOCK_EVENT_QUEUE, &f->event);
    write32(f, VIRTIO_MMIO_REG_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    assert_null(virtio_vsock_init(&f->vsock, &f->memory, GUEST_CID, count_interrupt, f));
    assert_null(vsock_echo_listen(&f->echo, &f->vsock, ECHO_PORT));
    f->recorder.budget = SIZE_MAX;
    assert_null(virtio_vsock_listen(&f->vsock, RECORDER_PORT, &recorder_service, &f->recorder));
    bring_up(f);
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

/*
 * Puts packet (length bytes) on tx as a chain of segments of the given
 * lengths (summing to length), each in its own descriptor with a gap of
 * garbage between them, and notifies.
 */
static void transmit_segments(struct fixture *f, const uint8_t *packet, uint32_t length, const uint32_t *segments,
                              unsigned segment_count)
{
    unsigned slot = f->tx_packets++ % CHAIN_SLOTS;
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
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_VSOCK_TX_QUEUE);
}

/* As Linux sends: the header in one buffer, the payload (if any) in a second. The header's len is taken as given. */
static void transmit(struct fixture *f, const struct header *h, const void *payload, uint32_t payload_length)
{
    uint8_t packet[HEADER_SIZE + 2 * VIRTIO_VSOCK_BUFFER_SIZE];
    assert_true(payload_length <= sizeof(packet) - HEADER_SIZE);
    encode(h, packet);
    if (payload_length > 0) {
        memcpy(packet + HEADER_SIZE, payload, payload_length);
    }
    uint32_t segments[] = {HEADER_SIZE, payload_length};
    transmit_segments(f, packet, HEADER_SIZE + payload_length, segments, payload_length > 0 ? 2 : 1);
}

static struct header guest_header(uint16_t op, uint32_t guest_port, uint32_t host_port)
{
    return (struct header){
        .src_cid = GUEST_CID,
        .dst_cid = HOST_CID,
        .src_port = guest_port,
        .dst_port = host_port,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = op,
        .buf_alloc = GUEST_BUF_ALLOC,
    };
}

static void guest_control(struct fixture *f, uint16_t op, uint32_t host_port)
{
    struct header h = guest_header(op, GUEST_PORT, host_port);
    transmit(f, &h, NULL, 0);
}

static void guest_data(struct fixture *f, uint32_t host_port, const void *bytes, uint32_t length)
{
    struct header h = guest_header(VIRTIO_VSOCK_OP_RW, GUEST_PORT, host_port);
    h.len = length;
    transmit(f, &h, bytes, length);
}

/* Makes an rx chain of writable segments of the given lengths available, without notifying. */
static void add_rx_chain(struct fixture *f, const uint32_t *segments, unsigned segment_count)
{
    assert_true(f->rx_posted - f->rx_taken < CHAIN_SLOTS);
    unsigned slot = f->rx_posted++ % CHAIN_SLOTS;
    uint64_t address = RX_AREA(slot);
    f->rx_chains[slot].count = segment_count;
    for (unsigned i = 0; i < segment_count; i++) {
        f->rx_chains[slot].lengths[i] = segments[i];
        memset(fake_ram_at(&f->memory, address), GAP_BYTE, segments[i] + SEGMENT_GAP);
        bool last = i + 1 == segment_count;
        uint16_t index = (uint16_t)(slot * SEGMENTS_PER_CHAIN + i);
        fake_driver_set_descriptor(&f->rx, index, address, segments[i],
                                   VIRTQ_DESC_F_WRITE | (last ? 0 : VIRTQ_DESC_F_NEXT), (uint16_t)(index + 1));
        address += segments[i] + SEGMENT_GAP;
    }
    fake_driver_make_available(&f->rx, (uint16_t)(slot * SEGMENTS_PER_CHAIN));
}

static void notify_rx(struct fixture *f)
{
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_VSOCK_RX_QUEUE);
}

/* Linux's rx buffers, count of them, then the notification. */
static void post_rx_buffers(struct fixture *f, unsigned count)
{
    uint32_t segment = HEADER_SIZE + LINUX_RX_PAYLOAD;
    for (unsigned i = 0; i < count; i++) {
        add_rx_chain(f, &segment, 1);
    }
    notify_rx(f);
}

/* The next rx buffer the device used, gathered from its segments; false if there is none. */
static bool next_rx(struct fixture *f, struct rx_packet *packet)
{
    if (fake_driver_used_index(&f->rx) == f->rx_taken) {
        return false;
    }
    struct virtq_used_element used = fake_driver_used_element(&f->rx, f->rx_taken++);
    unsigned slot = used.head / SEGMENTS_PER_CHAIN;
    assert_int_equal(used.head % SEGMENTS_PER_CHAIN, 0);
    const struct rx_chain *chain = &f->rx_chains[slot];
    uint8_t bytes[HEADER_SIZE + sizeof(packet->payload)];
    uint32_t gathered = 0;
    uint64_t address = RX_AREA(slot);
    for (unsigned i = 0; i < chain->count && gathered < used.written_length; i++) {
        uint32_t piece = chain->lengths[i];
        if (piece > used.written_length - gathered) {
            piece = used.written_length - gathered;
        }
        memcpy(bytes + gathered, fake_ram_at(&f->memory, address), piece);
        /* Nothing written into the gap after a segment. */
        assert_int_equal(*fake_ram_at(&f->memory, address + chain->lengths[i]), GAP_BYTE);
        gathered += piece;
        address += chain->lengths[i] + SEGMENT_GAP;
    }
    assert_int_equal(gathered, used.written_length);
    assert_true(used.written_length >= HEADER_SIZE);
    packet->written = used.written_length;
    packet->header = decode(bytes);
    assert_int_equal(packet->header.len, used.written_length - HEADER_SIZE);
    memcpy(packet->payload, bytes + HEADER_SIZE, packet->header.len);
    return true;
}

/* Checks the next rx packet is op from host_port to GUEST_PORT, as every host packet must be addressed. */
static struct rx_packet *expect_rx(struct fixture *f, uint16_t op, uint32_t host_port)
{
    static struct rx_packet packet;
    assert_true(next_rx(f, &packet));
    assert_int_equal(packet.header.op, op);
    assert_int_equal(packet.header.src_cid, HOST_CID);
    assert_int_equal(packet.header.dst_cid, GUEST_CID);
    assert_int_equal(packet.header.src_port, host_port);
    assert_int_equal(packet.header.dst_port, GUEST_PORT);
    assert_int_equal(packet.header.type, VIRTIO_VSOCK_TYPE_STREAM);
    return &packet;
}

static void expect_no_rx(struct fixture *f)
{
    struct rx_packet packet;
    assert_false(next_rx(f, &packet));
}

/* Connects GUEST_PORT to host_port and checks the RESPONSE (one rx buffer posted for it). */
static void connect_to(struct fixture *f, uint32_t host_port)
{
    post_rx_buffers(f, 1);
    guest_control(f, VIRTIO_VSOCK_OP_REQUEST, host_port);
    struct rx_packet *response = expect_rx(f, VIRTIO_VSOCK_OP_RESPONSE, host_port);
    assert_int_equal(response->header.len, 0);
    assert_int_equal(response->header.buf_alloc, VIRTIO_VSOCK_BUFFER_SIZE);
    assert_int_equal(response->header.fwd_cnt, 0);
}

static bool needs_reset(struct fixture *f)
{
    return (read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}

static void identifies_as_socket_device_with_its_cid(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_ID), VIRTIO_ID_SOCKET);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, VIRTIO_VSOCK_QUEUE_COUNT);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), 0); /* rx, tx, event and no more */
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES) & 0x00ffffffu, 0); /* stream only: no device bits */
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES) & 0xfffc0000u, 0);

    /* le64 guest_cid, read as Linux does (two 32-bit halves), and in smaller pieces. */
    assert_int_equal(read32(f, VIRTIO_MMIO_CONFIG_OFFSET), GUEST_CID);
    assert_int_equal(read32(f, VIRTIO_MMIO_CONFIG_OFFSET + 4), 0);
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->vsock.transport, VIRTIO_MMIO_CONFIG_OFFSET + 1, 1, &value));
    assert_int_equal(value, 0x56);
    assert_null(virtio_mmio_read(&f->vsock.transport, VIRTIO_MMIO_CONFIG_OFFSET + 2, 2, &value));
    assert_int_equal(value, 0x1234);
    assert_non_null(virtio_mmio_read(&f->vsock.transport, VIRTIO_MMIO_CONFIG_OFFSET + 8, 1, &value));
    assert_non_null(virtio_mmio_write(&f->vsock.transport, VIRTIO_MMIO_CONFIG_OFFSET, 4, 3));
    assert_int_equal(read32(f, VIRTIO_MMIO_CONFIG_OFFSET), GUEST_CID);
}

static void init_refuses_reserved_cids(void **state)
{
    struct fixture *f = *state;
    struct virtio_vsock *vsock = malloc(sizeof(*vsock));
    const uint64_t reserved[] = {0, 1, 2, 0xffffffffull, 0x100000000ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        assert_non_null(virtio_vsock_init(vsock, &f->memory, reserved[i], count_interrupt, f));
    }
    assert_null(virtio_vsock_init(vsock, &f->memory, 3, count_interrupt, f));
    assert_null(virtio_vsock_init(vsock, &f->memory, 0xfffffffeull, count_interrupt, f));
    assert_non_null(virtio_vsock_init(vsock, &f->memory, 3, NULL, NULL));
    free(vsock);
}

static void listen_checks_its_arguments(void **state)
{
    struct fixture *f = *state;
    struct vsock_service incomplete = recorder_service;
    incomplete.closed = NULL;
    assert_non_null(virtio_vsock_listen(&f->vsock, 1, &incomplete, NULL));
    assert_non_null(virtio_vsock_listen(&f->vsock, ECHO_PORT, &recorder_service, &f->recorder)); /* taken */
    assert_non_null(virtio_vsock_listen(&f->vsock, VIRTIO_VSOCK_PORT_ANY, &recorder_service, &f->recorder));
    assert_null(virtio_vsock_listen(&f->vsock, 1, &recorder_service, &f->recorder));
    assert_null(virtio_vsock_listen(&f->vsock, 2, &recorder_service, &f->recorder));
    assert_non_null(virtio_vsock_listen(&f->vsock, 3, &recorder_service, &f->recorder)); /* four is the limit */
}

static void request_to_unknown_port_gets_rst(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 1);
    unsigned interrupts = f->interrupts;
    guest_control(f, VIRTIO_VSOCK_OP_REQUEST, UNKNOWN_PORT);

    assert_int_equal(fake_driver_used_index(&f->tx), 1);
    assert_int_equal(fake_driver_used_element(&f->tx, 0).written_length, 0);
    struct rx_packet *reset = expect_rx(f, VIRTIO_VSOCK_OP_RST, UNKNOWN_PORT);
    assert_int_equal(reset->written, HEADER_SIZE);
    assert_int_equal(reset->header.len, 0);
    assert_true(f->interrupts > interrupts);
    assert_int_equal(f->recorder.accepted + f->echo.connections, 0);
}

static void connect_to_echo_gets_response(void **state)
{
    struct fixture *f = *state;
    connect_to(f, ECHO_PORT);
    assert_int_equal(f->echo.connections, 1);
    expect_no_rx(f);
}

static void data_is_echoed_back_as_rw(void **state)
{
    struct fixture *f = *state;
    connect_to(f, ECHO_PORT);
    post_rx_buffers(f, 1);
    guest_data(f, ECHO_PORT, "hello", 5);

    struct rx_packet *echoed = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(echoed->written, HEADER_SIZE + 5);
    assert_memory_equal(echoed->payload, "hello", 5);
    assert_int_equal(echoed->header.fwd_cnt, 5); /* the echo took the five bytes */
    assert_int_equal(echoed->header.buf_alloc, VIRTIO_VSOCK_BUFFER_SIZE);
    assert_int_equal(f->echo.bytes_echoed, 5);
    expect_no_rx(f);
}

static void data_waits_for_rx_buffers(void **state)
{
    struct fixture *f = *state;
    connect_to(f, ECHO_PORT);
    guest_data(f, ECHO_PORT, "hello", 5);
    guest_data(f, ECHO_PORT, " world", 6);
    assert_int_equal(fake_driver_used_index(&f->tx), 3);
    expect_no_rx(f);

    post_rx_buffers(f, 2);
    struct rx_packet *echoed = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(echoed->header.len, 11); /* queued bytes go out together */
    assert_memory_equal(echoed->payload, "hello world", 11);
    expect_no_rx(f);
    assert_int_equal(fake_driver_used_index(&f->rx), 2); /* the second buffer stays available */
}

static void host_sends_no_more_than_the_guest_credit(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 4);
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.buf_alloc = 4;
    transmit(f, &request, NULL, 0);
    expect_rx(f, VIRTIO_VSOCK_OP_RESPONSE, ECHO_PORT);

    struct header data = guest_header(VIRTIO_VSOCK_OP_RW, GUEST_PORT, ECHO_PORT);
    data.buf_alloc = 4;
    data.len = 11;
    transmit(f, &data, "hello world", 11);
    struct rx_packet *first = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(first->header.len, 4);
    assert_memory_equal(first->payload, "hell", 4);
    expect_no_rx(f); /* buffers are left, but no credit */

    /* The guest read two bytes: two still occupy its window of four. */
    struct header update = guest_header(VIRTIO_VSOCK_OP_CREDIT_UPDATE, GUEST_PORT, ECHO_PORT);
    update.buf_alloc = 4;
    update.fwd_cnt = 2;
    transmit(f, &update, NULL, 0);
    struct rx_packet *second = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(second->header.len, 2);
    assert_memory_equal(second->payload, "o ", 2);
    expect_no_rx(f);

    /* A bigger window counts too: 6 sent, 6 read, 5 left to send. */
    update.buf_alloc = 100;
    update.fwd_cnt = 6;
    transmit(f, &update, NULL, 0);
    struct rx_packet *rest = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(rest->header.len, 5);
    assert_memory_equal(rest->payload, "world", 5);
}

/* A guest whose fwd_cnt runs ahead of what it was sent gets no credit at all, not a wrapped-around windfall. */
static void guest_claiming_more_than_it_got_gets_nothing(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 2);
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.fwd_cnt = 100;
    transmit(f, &request, NULL, 0);
    expect_rx(f, VIRTIO_VSOCK_OP_RESPONSE, ECHO_PORT);
    struct header data = guest_header(VIRTIO_VSOCK_OP_RW, GUEST_PORT, ECHO_PORT);
    data.fwd_cnt = 100;
    data.len = 5;
    transmit(f, &data, "hello", 5);
    expect_no_rx(f);

    guest_control(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, ECHO_PORT); /* fwd_cnt 0: the truth */
    assert_int_equal(expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT)->header.len, 5);
}

static void guest_beyond_host_credit_gets_rst(void **state)
{
    struct fixture *f = *state;
    f->recorder.budget = 0; /* the service takes nothing: the guest's credit is used up */
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 2);
    static uint8_t window[VIRTIO_VSOCK_BUFFER_SIZE];
    guest_data(f, RECORDER_PORT, window, sizeof(window));
    expect_no_rx(f);
    assert_int_equal(f->recorder.closed, 0);

    guest_data(f, RECORDER_PORT, "x", 1);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
    assert_int_equal(f->recorder.received_length, 0);

    /* The connection is gone: more data gets the RST for an unknown connection. */
    guest_data(f, RECORDER_PORT, "y", 1);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
}

static void one_packet_beyond_host_credit_gets_rst(void **state)
{
    struct fixture *f = *state;
    connect_to(f, ECHO_PORT);
    post_rx_buffers(f, 1);
    static uint8_t too_much[VIRTIO_VSOCK_BUFFER_SIZE + 1];
    guest_data(f, ECHO_PORT, too_much, sizeof(too_much));
    expect_rx(f, VIRTIO_VSOCK_OP_RST, ECHO_PORT);
    assert_int_equal(f->echo.bytes_echoed, 0);
}

/* The host tells the guest of taken bytes once the guest's view of the free space falls below half. */
static void credit_update_once_half_the_window_is_used(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 2);
    static uint8_t bytes[VIRTIO_VSOCK_BUFFER_SIZE / 2 + 1];
    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)(i * 7);
    }
    guest_data(f, RECORDER_PORT, bytes, VIRTIO_VSOCK_BUFFER_SIZE / 2);
    expect_no_rx(f);
    guest_data(f, RECORDER_PORT, bytes + VIRTIO_VSOCK_BUFFER_SIZE / 2, 1);
    struct rx_packet *update = expect_rx(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, RECORDER_PORT);
    assert_int_equal(update->header.fwd_cnt, sizeof(bytes));
    assert_int_equal(update->header.buf_alloc, VIRTIO_VSOCK_BUFFER_SIZE);
    assert_int_equal(f->recorder.received_length, sizeof(bytes));
    assert_memory_equal(f->recorder.received, bytes, sizeof(bytes));
}

static void credit_request_gets_credit_update(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 1);
    guest_data(f, RECORDER_PORT, "abc", 3);
    guest_control(f, VIRTIO_VSOCK_OP_CREDIT_REQUEST, RECORDER_PORT);
    struct rx_packet *update = expect_rx(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, RECORDER_PORT);
    assert_int_equal(update->header.fwd_cnt, 3);
    assert_int_equal(update->header.buf_alloc, VIRTIO_VSOCK_BUFFER_SIZE);
}

/* Linux's close(): SHUTDOWN with both flags, answered with RST; the service hears of it once. */
static void shutdown_closes_the_connection(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 2);
    struct header shutdown = guest_header(VIRTIO_VSOCK_OP_SHUTDOWN, GUEST_PORT, RECORDER_PORT);
    shutdown.flags = VIRTIO_VSOCK_SHUTDOWN_RECEIVE | VIRTIO_VSOCK_SHUTDOWN_SEND;
    transmit(f, &shutdown, NULL, 0);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);

    guest_data(f, RECORDER_PORT, "late", 4);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.received_length, 0);
    assert_int_equal(f->recorder.closed, 1);
}

/* The flags are permanent: SEND now and RECEIVE later close it just the same. */
static void shutdown_in_two_steps(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 1);
    struct header shutdown = guest_header(VIRTIO_VSOCK_OP_SHUTDOWN, GUEST_PORT, RECORDER_PORT);
    shutdown.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
    transmit(f, &shutdown, NULL, 0);
    expect_no_rx(f);
    assert_int_equal(f->recorder.closed, 0);
    /* Still receiving: the host may send. */
    assert_int_equal(virtio_vsock_send(&f->vsock, f->recorder.connection, (const uint8_t *)"ok", 2), 2);
    assert_int_equal(expect_rx(f, VIRTIO_VSOCK_OP_RW, RECORDER_PORT)->header.len, 2);

    post_rx_buffers(f, 1);
    shutdown.flags = VIRTIO_VSOCK_SHUTDOWN_RECEIVE;
    transmit(f, &shutdown, NULL, 0);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
}

static void guest_rst_closes_without_reply(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 1);
    guest_control(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
    expect_no_rx(f);
    /* Nor is an RST for no connection answered. */
    guest_control(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    expect_no_rx(f);
}

/* The service closes: its queued bytes still go, then SHUTDOWN; the guest's RST frees the slot. */
static void host_close_flushes_then_shuts_down(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    struct vsock_connection *connection = f->recorder.connection;
    assert_int_equal(connection->guest_port, GUEST_PORT);
    assert_int_equal(connection->host_port, RECORDER_PORT);
    assert_int_equal(virtio_vsock_send(&f->vsock, connection, (const uint8_t *)"bye", 3), 3);
    virtio_vsock_close(&f->vsock, connection);
    assert_int_equal(virtio_vsock_send(&f->vsock, connection, (const uint8_t *)"more", 4), 0);

    post_rx_buffers(f, 3);
    struct rx_packet *data = expect_rx(f, VIRTIO_VSOCK_OP_RW, RECORDER_PORT);
    assert_memory_equal(data->payload, "bye", 3);
    struct rx_packet *shutdown = expect_rx(f, VIRTIO_VSOCK_OP_SHUTDOWN, RECORDER_PORT);
    assert_int_equal(shutdown->header.flags, VIRTIO_VSOCK_SHUTDOWN_RECEIVE | VIRTIO_VSOCK_SHUTDOWN_SEND);
    expect_no_rx(f);

    guest_data(f, RECORDER_PORT, "ignored", 7); /* the guest had not seen the SHUTDOWN yet */
    assert_int_equal(f->recorder.received_length, 0);
    guest_control(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    expect_no_rx(f);
    assert_int_equal(f->recorder.closed, 0);

    /* The same address pair connects afresh. */
    guest_control(f, VIRTIO_VSOCK_OP_REQUEST, RECORDER_PORT);
    expect_rx(f, VIRTIO_VSOCK_OP_RESPONSE, RECORDER_PORT);
    assert_int_equal(f->recorder.accepted, 2);
}

static void wrong_cids_reset_the_connection_or_are_dropped(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 1);
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.src_cid = GUEST_CID + 1;
    transmit(f, &request, NULL, 0);
    request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.dst_cid = 3;
    transmit(f, &request, NULL, 0);
    request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.src_cid = (uint64_t)1 << 32 | GUEST_CID; /* the reserved upper half is not ignored */
    transmit(f, &request, NULL, 0);
    assert_int_equal(fake_driver_used_index(&f->tx), 3);
    expect_no_rx(f);
    assert_int_equal(f->echo.connections, 0);

    connect_to(f, RECORDER_PORT);
    struct header data = guest_header(VIRTIO_VSOCK_OP_RW, GUEST_PORT, RECORDER_PORT);
    data.src_cid = 3;
    data.len = 2;
    transmit(f, &data, "hi", 2);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
    assert_int_equal(f->recorder.received_length, 0);
}

static void length_mismatch_resets_the_connection_or_is_dropped(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 1);
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.len = 4; /* but nothing follows */
    transmit(f, &request, NULL, 0);
    request.len = 0; /* and a control packet carries no payload */
    transmit(f, &request, "abcd", 4);
    expect_no_rx(f);
    assert_int_equal(f->echo.connections, 0);

    connect_to(f, ECHO_PORT);
    post_rx_buffers(f, 1);
    struct header data = guest_header(VIRTIO_VSOCK_OP_RW, GUEST_PORT, ECHO_PORT);
    data.len = 10;
    transmit(f, &data, "hello", 5);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, ECHO_PORT);
    assert_int_equal(f->echo.bytes_echoed, 0);
}

/* An operation the spec does not define on a connection ends it. */
static void unknown_op_resets_the_connection(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 1);
    guest_control(f, 8, RECORDER_PORT);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
}

/* The spec wants an RST for an unknown type, connection or not (SEQPACKET is not offered). */
static void unknown_type_gets_rst(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 1);
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    request.type = 2;
    transmit(f, &request, NULL, 0);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, ECHO_PORT);
    assert_int_equal(f->echo.connections, 0);
}

/* Any split of header and payload over descriptors reads the same. */
static void header_split_across_descriptors(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 2);
    uint8_t packet[HEADER_SIZE + 5];
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    encode(&request, packet);
    const uint32_t request_segments[] = {30, 14};
    transmit_segments(f, packet, HEADER_SIZE, request_segments, 2);
    expect_rx(f, VIRTIO_VSOCK_OP_RESPONSE, ECHO_PORT);

    struct header data = guest_header(VIRTIO_VSOCK_OP_RW, GUEST_PORT, ECHO_PORT);
    data.len = 5;
    encode(&data, packet);
    memcpy(packet + HEADER_SIZE, "hello", 5);
    const uint32_t data_segments[] = {20, 26, 1, 2}; /* the second holds the header's tail and the payload's start */
    transmit_segments(f, packet, sizeof(packet), data_segments, 4);
    struct rx_packet *echoed = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_memory_equal(echoed->payload, "hello", 5);
}

/* rx buffers split anywhere (older Linux: header, then payload) take the header and as much payload as fits. */
static void rx_buffers_split_across_descriptors(void **state)
{
    struct fixture *f = *state;
    connect_to(f, ECHO_PORT);
    const uint32_t odd_split[] = {16, 40, 8}; /* room for 20 payload bytes */
    add_rx_chain(f, odd_split, 3);
    const uint32_t linux_split[] = {HEADER_SIZE, LINUX_RX_PAYLOAD};
    add_rx_chain(f, linux_split, 2);
    notify_rx(f);

    const char *text = "abcdefghijklmnopqrstuvwxyz0123";
    guest_data(f, ECHO_PORT, text, 30);
    struct rx_packet *first = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(first->written, HEADER_SIZE + 20);
    assert_memory_equal(first->payload, text, 20);
    struct rx_packet *second = expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT);
    assert_int_equal(second->header.len, 10);
    assert_memory_equal(second->payload, text + 20, 10);
}

/* An rx buffer with room for a header only cannot carry data: it carries the credit, and data waits for the next. */
static void header_only_rx_buffer_carries_credit(void **state)
{
    struct fixture *f = *state;
    connect_to(f, ECHO_PORT);
    const uint32_t header_only = HEADER_SIZE;
    add_rx_chain(f, &header_only, 1);
    notify_rx(f);
    guest_data(f, ECHO_PORT, "hello", 5);
    struct rx_packet *update = expect_rx(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, ECHO_PORT);
    assert_int_equal(update->header.fwd_cnt, 5);
    post_rx_buffers(f, 1);
    assert_memory_equal(expect_rx(f, VIRTIO_VSOCK_OP_RW, ECHO_PORT)->payload, "hello", 5);
}

static void short_tx_chain_needs_reset(void **state)
{
    struct fixture *f = *state;
    post_rx_buffers(f, 1);
    uint8_t packet[HEADER_SIZE];
    struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT, ECHO_PORT);
    encode(&request, packet);
    const uint32_t segments[] = {40};
    transmit_segments(f, packet, 40, segments, 1);
    assert_true(needs_reset(f));
    assert_string_equal(f->vsock.transport.needs_reset_reason, "a vsock tx packet is shorter than its header");
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    expect_no_rx(f);
    assert_int_equal(f->echo.connections, 0);
}

static void short_rx_buffer_needs_reset(void **state)
{
    struct fixture *f = *state;
    const uint32_t too_short = HEADER_SIZE - 1;
    add_rx_chain(f, &too_short, 1);
    notify_rx(f);
    assert_false(needs_reset(f)); /* nothing to send yet: the buffer is not looked at */
    guest_control(f, VIRTIO_VSOCK_OP_REQUEST, UNKNOWN_PORT);
    assert_true(needs_reset(f));
    assert_int_equal(fake_driver_used_index(&f->rx), 0);
}

/* RST replies wait outside the rings up to a bound; beyond it tx waits for rx buffers (spec: flow control). */
static void pending_resets_hold_back_tx(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i <= VIRTIO_VSOCK_PENDING_RESETS; i++) {
        struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT + i, UNKNOWN_PORT);
        transmit(f, &request, NULL, 0);
    }
    assert_int_equal(fake_driver_used_index(&f->tx), VIRTIO_VSOCK_PENDING_RESETS);

    uint32_t next_port = GUEST_PORT;
    for (unsigned round = 0; round < 3; round++) {
        post_rx_buffers(f, CHAIN_SLOTS);
        struct rx_packet packet;
        while (next_rx(f, &packet)) {
            assert_int_equal(packet.header.op, VIRTIO_VSOCK_OP_RST);
            assert_int_equal(packet.header.dst_port, next_port++);
        }
        /* The first rx buffers made room: the waiting packet was handled. */
        assert_int_equal(fake_driver_used_index(&f->tx), VIRTIO_VSOCK_PENDING_RESETS + 1);
    }
    assert_int_equal(next_port, GUEST_PORT + VIRTIO_VSOCK_PENDING_RESETS + 1);
    assert_false(needs_reset(f));
}

static void full_connection_table_gets_rst(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i <= VIRTIO_VSOCK_MAX_CONNECTIONS; i++) {
        post_rx_buffers(f, 1);
        struct header request = guest_header(VIRTIO_VSOCK_OP_REQUEST, GUEST_PORT + i, ECHO_PORT);
        transmit(f, &request, NULL, 0);
        struct rx_packet packet;
        assert_true(next_rx(f, &packet));
        assert_int_equal(packet.header.dst_port, GUEST_PORT + i);
        assert_int_equal(packet.header.op,
                         i < VIRTIO_VSOCK_MAX_CONNECTIONS ? VIRTIO_VSOCK_OP_RESPONSE : VIRTIO_VSOCK_OP_RST);
    }
    assert_int_equal(f->echo.connections, VIRTIO_VSOCK_MAX_CONNECTIONS);
}

static void refused_connection_gets_rst(void **state)
{
    struct fixture *f = *state;
    f->recorder.refuse = true;
    post_rx_buffers(f, 1);
    guest_control(f, VIRTIO_VSOCK_OP_REQUEST, RECORDER_PORT);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.accepted, 1);
    assert_int_equal(f->recorder.closed, 0);
}

/* A REQUEST for an address pair that is connected already ends the old stream. */
static void repeated_request_resets_the_connection(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    post_rx_buffers(f, 1);
    guest_control(f, VIRTIO_VSOCK_OP_REQUEST, RECORDER_PORT);
    expect_rx(f, VIRTIO_VSOCK_OP_RST, RECORDER_PORT);
    assert_int_equal(f->recorder.closed, 1);
    assert_int_equal(f->recorder.accepted, 1);
}

static void device_reset_ends_connections(void **state)
{
    struct fixture *f = *state;
    connect_to(f, RECORDER_PORT);
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    assert_int_equal(f->recorder.closed, 1);
    assert_int_equal(virtio_vsock_send(&f->vsock, f->recorder.connection, (const uint8_t *)"x", 1), 0);

    bring_up(f);
    connect_to(f, RECORDER_PORT);
    assert_int_equal(f->recorder.accepted, 2);
}

/* Event buffers are kept for events (none are sent yet): taken by the device, never used up. */
static void event_buffers_are_kept(void **state)
{
    struct fixture *f = *state;
    fake_driver_set_descriptor(&f->event, 0, EVENT_BUFFER, 4, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_make_available(&f->event, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_VSOCK_EVENT_QUEUE);
    assert_int_equal(fake_driver_used_index(&f->event), 0);
    assert_false(needs_reset(f));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(identifies_as_socket_device_with_its_cid),
        TEST(init_refuses_reserved_cids),
        TEST(listen_checks_its_arguments),
        TEST(request_to_unknown_port_gets_rst),
        TEST(connect_to_echo_gets_response),
        TEST(data_is_echoed_back_as_rw),
        TEST(data_waits_for_rx_buffers),
        TEST(host_sends_no_more_than_the_guest_credit),
        TEST(guest_claiming_more_than_it_got_gets_nothing),
        TEST(guest_beyond_host_credit_gets_rst),
        TEST(one_packet_beyond_host_credit_gets_rst),
        TEST(credit_update_once_half_the_window_is_used),
        TEST(credit_request_gets_credit_update),
        TEST(shutdown_closes_the_connection),
        TEST(shutdown_in_two_steps),
        TEST(guest_rst_closes_without_reply),
        TEST(host_close_flushes_then_shuts_down),
        TEST(wrong_cids_reset_the_connection_or_are_dropped),
        TEST(length_mismatch_resets_the_connection_or_is_dropped),
        TEST(unknown_op_resets_the_connection),
        TEST(unknown_type_gets_rst),
        TEST(header_split_across_descriptors),
        TEST(rx_buffers_split_across_descriptors),
        TEST(header_only_rx_buffer_carries_credit),
        TEST(short_tx_chain_needs_reset),
        TEST(short_rx_buffer_needs_reset),
        TEST(pending_resets_hold_back_tx),
        TEST(full_connection_table_gets_rst),
        TEST(refused_connection_gets_rst),
        TEST(repeated_request_resets_the_connection),
        TEST(device_reset_ends_connections),
        TEST(event_buffers_are_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
