/* Tests of the echo service (vmm/virtio/vsock_echo.c) through the socket device, with a guest that keeps the rules. */
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

#define QUEUE_SIZE 16
#define GUEST_CID 3u
#define HOST_CID 2u
#define ECHO_PORT 5000u
#define HEADER_SIZE 44u
#define RX_PAYLOAD 4096u

#define RX_QUEUE_BASE 0x10000ull
#define TX_QUEUE_BASE 0x20000ull
#define EVENT_QUEUE_BASE 0x30000ull
#define TX_BUFFER 0x40000ull /* one packet at a time: the device handles it on the notification */
#define RX_BUFFER(slot) (0x50000ull + 0x2000ull * (slot))

/* The fields of struct virtio_vsock_hdr the test needs, at the spec's offsets. */
struct header {
    uint32_t src_port;
    uint32_t dst_port;
    uint32_t len;
    uint16_t op;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
};

static void put_le(uint8_t *bytes, uint64_t value, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        bytes[i] = (uint8_t)(value >> (8 * i));
    }
}

static uint32_t get_le32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

struct fixture {
    struct guest_memory memory;
    struct fake_driver rx;
    struct fake_driver tx;
    struct fake_driver event;
    struct virtio_vsock vsock;
    struct vsock_echo echo;
    uint16_t rx_posted;
    uint16_t rx_taken;
};

static void ignore_interrupt(void *context)
{
    (void)context;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_null(virtio_mmio_write(&f->vsock.transport, offset, 4, value));
}

static void set_up_queue(struct fixture *f, uint16_t index, struct fake_driver *driver, uint64_t base)
{
    fake_driver_init(driver, &f->memory, base, QUEUE_SIZE);
    struct virtq_layout layout = fake_driver_layout(driver);
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, index);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NUM, layout.size);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DESC_LOW, (uint32_t)layout.descriptor_table);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW, (uint32_t)layout.available_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW, (uint32_t)layout.used_ring);
    write32(f, VIRTIO_MMIO_REG_QUEUE_READY, 1);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    assert_null(virtio_vsock_init(&f->vsock, &f->memory, GUEST_CID, ignore_interrupt, NULL));
    assert_null(vsock_echo_listen(&f->echo, &f->vsock, ECHO_PORT));
    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    write32(f, VIRTIO_MMIO_REG_STATUS, status);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    write32(f, VIRTIO_MMIO_REG_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
    status |= VIRTIO_STATUS_FEATURES_OK;
    write32(f, VIRTIO_MMIO_REG_STATUS, status);
    set_up_queue(f, VIRTIO_VSOCK_RX_QUEUE, &f->rx, RX_QUEUE_BASE);
    set_up_queue(f, VIRTIO_VSOCK_TX_QUEUE, &f->tx, TX_QUEUE_BASE);
    set_up_queue(f, VIRTIO_VSOCK_EVENT_QUEUE, &f->event, EVENT_QUEUE_BASE);
    write32(f, VIRTIO_MMIO_REG_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
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

/* One packet from guest_port to the echo, header and payload in one buffer, and the notification. */
static void transmit(struct fixture *f, uint32_t guest_port, uint16_t op, const uint8_t *payload, uint32_t length,
                     uint32_t buf_alloc, uint32_t fwd_cnt)
{
    uint8_t *packet = fake_ram_at(&f->memory, TX_BUFFER);
    memset(packet, 0, HEADER_SIZE);
    put_le(packet + 0, GUEST_CID, 8);
    put_le(packet + 8, HOST_CID, 8);
    put_le(packet + 16, guest_port, 4);
    put_le(packet + 20, ECHO_PORT, 4);
    put_le(packet + 24, length, 4);
    put_le(packet + 28, VIRTIO_VSOCK_TYPE_STREAM, 2);
    put_le(packet + 30, op, 2);
    put_le(packet + 36, buf_alloc, 4);
    put_le(packet + 40, fwd_cnt, 4);
    if (length > 0) {
        memcpy(packet + HEADER_SIZE, payload, length);
    }
    fake_driver_set_descriptor(&f->tx, 0, TX_BUFFER, HEADER_SIZE + length, 0, 0);
    fake_driver_make_available(&f->tx, 0);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_VSOCK_TX_QUEUE);
    assert_false(f->vsock.transport.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* Keeps count rx buffers (header and 4 KiB, as Linux) available. */
static void keep_rx_buffers(struct fixture *f, uint16_t count)
{
    while ((uint16_t)(f->rx_posted - f->rx_taken) < count) {
        uint16_t slot = f->rx_posted++ % QUEUE_SIZE;
        fake_driver_set_descriptor(&f->rx, slot, RX_BUFFER(slot), HEADER_SIZE + RX_PAYLOAD, VIRTQ_DESC_F_WRITE, 0);
        fake_driver_make_available(&f->rx, slot);
    }
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, VIRTIO_VSOCK_RX_QUEUE);
}

/* The next packet the device put in an rx buffer: its header, and a pointer to its payload. */
static bool next_rx(struct fixture *f, struct header *h, const uint8_t **payload)
{
    if (fake_driver_used_index(&f->rx) == f->rx_taken) {
        return false;
    }
    struct virtq_used_element used = fake_driver_used_element(&f->rx, f->rx_taken++);
    const uint8_t *bytes = fake_ram_at(&f->memory, RX_BUFFER(used.head));
    *h = (struct header){
        .src_port = get_le32(bytes + 16),
        .dst_port = get_le32(bytes + 20),
        .len = get_le32(bytes + 24),
        .op = (uint16_t)(bytes[30] | bytes[31] << 8),
        .buf_alloc = get_le32(bytes + 36),
        .fwd_cnt = get_le32(bytes + 40),
    };
    assert_int_equal(used.written_length, HEADER_SIZE + h->len);
    assert_int_equal(h->src_port, ECHO_PORT);
    *payload = bytes + HEADER_SIZE;
    return true;
}

static void connect_guest_port(struct fixture *f, uint32_t guest_port, uint32_t buf_alloc)
{
    keep_rx_buffers(f, 1);
    transmit(f, guest_port, VIRTIO_VSOCK_OP_REQUEST, NULL, 0, buf_alloc, 0);
    struct header h;
    const uint8_t *payload;
    assert_true(next_rx(f, &h, &payload));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RESPONSE);
    assert_int_equal(h.dst_port, guest_port);
}

static void counts_connections_and_bytes(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->echo.connections, 0);
    connect_guest_port(f, 1024, 65536);
    connect_guest_port(f, 1025, 65536);
    assert_int_equal(f->echo.connections, 2);

    keep_rx_buffers(f, 2);
    transmit(f, 1024, VIRTIO_VSOCK_OP_RW, (const uint8_t *)"first", 5, 65536, 0);
    transmit(f, 1025, VIRTIO_VSOCK_OP_RW, (const uint8_t *)"two", 3, 65536, 0);
    struct header h;
    const uint8_t *payload;
    assert_true(next_rx(f, &h, &payload));
    assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
    assert_int_equal(h.dst_port, 1024);
    assert_memory_equal(payload, "first", 5);
    assert_true(next_rx(f, &h, &payload));
    assert_int_equal(h.dst_port, 1025);
    assert_memory_equal(payload, "two", 3);
    assert_int_equal(f->echo.bytes_echoed, 8);
}

static void listening_twice_on_a_port_is_refused(void **state)
{
    struct fixture *f = *state;
    struct vsock_echo second;
    assert_non_null(vsock_echo_listen(&second, &f->vsock, ECHO_PORT));
    assert_null(vsock_echo_listen(&second, &f->vsock, ECHO_PORT + 1));
}

/*
 * A guest with a small receive window sends three windows' worth of the host's
 * credit at once and keeps the rules: it sends only within the credit the
 * host advertises and reports what it read. Every byte comes back, in order,
 * never beyond the guest's window, and the exchange never stalls: the echo
 * takes only what it can send back and the device withholds the rest.
 */
static void nothing_is_lost_when_the_guest_reads_slowly(void **state)
{
    struct fixture *f = *state;
    enum { GUEST_WINDOW = 1000, TOTAL = 3 * VIRTIO_VSOCK_BUFFER_SIZE, GUEST_PORT = 2000 };
    static uint8_t sent[TOTAL];
    static uint8_t echoed[TOTAL];
    for (size_t i = 0; i < TOTAL; i++) {
        sent[i] = (uint8_t)(i * 31 + i / 256);
    }
    uint32_t sent_count = 0;
    uint32_t echoed_count = 0;
    uint32_t host_buf_alloc = VIRTIO_VSOCK_BUFFER_SIZE;
    uint32_t host_fwd_cnt = 0;
    uint32_t reported_fwd_cnt = 0; /* the fwd_cnt the host last heard from the guest */
    connect_guest_port(f, GUEST_PORT, GUEST_WINDOW);

    for (unsigned round = 0; round < 1000 && echoed_count < TOTAL; round++) {
        uint32_t credit = host_buf_alloc - (sent_count - host_fwd_cnt);
        uint32_t chunk = TOTAL - sent_count < credit ? TOTAL - sent_count : credit;
        if (chunk > 0) {
            transmit(f, GUEST_PORT, VIRTIO_VSOCK_OP_RW, sent + sent_count, chunk, GUEST_WINDOW, reported_fwd_cnt);
            sent_count += chunk;
        }
        keep_rx_buffers(f, 4);
        struct header h;
        const uint8_t *payload;
        bool read_any = false;
        while (next_rx(f, &h, &payload)) {
            assert_true(h.op == VIRTIO_VSOCK_OP_RW || h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE);
            host_buf_alloc = h.buf_alloc;
            host_fwd_cnt = h.fwd_cnt;
            assert_true(echoed_count + h.len - reported_fwd_cnt <= GUEST_WINDOW);
            memcpy(echoed + echoed_count, payload, h.len);
            echoed_count += h.len;
            read_any = read_any || h.len > 0;
        }
        if (read_any) {
            /* The application read it all: tell the host, as Linux does once its window runs low. */
            reported_fwd_cnt = echoed_count;
            transmit(f, GUEST_PORT, VIRTIO_VSOCK_OP_CREDIT_UPDATE, NULL, 0, GUEST_WINDOW, reported_fwd_cnt);
        }
    }
    assert_int_equal(echoed_count, TOTAL);
    assert_memory_equal(echoed, sent, TOTAL);
    assert_int_equal(f->echo.bytes_echoed, TOTAL);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(counts_connections_and_bytes),
        TEST(listening_twice_on_a_port_is_refused),
        TEST(nothing_is_lost_when_the_guest_reads_slowly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
