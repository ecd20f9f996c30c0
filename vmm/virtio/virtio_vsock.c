#include "virtio_vsock.h"

#include "virtio_spec.h"

#include <string.h>

/* The first reserved CID above the usable ones: 0xffffffff and the 64-bit values beyond. */
#define FIRST_RESERVED_HIGH_CID 0xffffffffull

/* struct virtio_vsock_hdr, decoded. */
struct packet_header {
    uint64_t source_cid;
    uint64_t destination_cid;
    uint32_t source_port;
    uint32_t destination_port;
    uint32_t length;
    uint16_t type;
    uint16_t op;
    uint32_t flags;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
};

/* Field offsets in the 44 header bytes. */
#define HEADER_SOURCE_CID 0
#define HEADER_DESTINATION_CID 8
#define HEADER_SOURCE_PORT 16
#define HEADER_DESTINATION_PORT 20
#define HEADER_LENGTH 24
#define HEADER_TYPE 28
#define HEADER_OP 30
#define HEADER_FLAGS 32
#define HEADER_BUF_ALLOC 36
#define HEADER_FWD_CNT 40

static uint64_t load_little_endian(const uint8_t *bytes, unsigned count)
{
    uint64_t value = 0;
    for (unsigned i = count; i-- > 0;) {
        value = value << 8 | bytes[i];
    }
    return value;
}

static void store_little_endian(uint8_t *bytes, uint64_t value, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        bytes[i] = (uint8_t)(value >> (8 * i));
    }
}

static struct packet_header decode_header(const uint8_t bytes[VIRTIO_VSOCK_HEADER_SIZE])
{
    return (struct packet_header){
        .source_cid = load_little_endian(bytes + HEADER_SOURCE_CID, 8),
        .destination_cid = load_little_endian(bytes + HEADER_DESTINATION_CID, 8),
        .source_port = (uint32_t)load_little_endian(bytes + HEADER_SOURCE_PORT, 4),
        .destination_port = (uint32_t)load_little_endian(bytes + HEADER_DESTINATION_PORT, 4),
        .length = (uint32_t)load_little_endian(bytes + HEADER_LENGTH, 4),
        .type = (uint16_t)load_little_endian(bytes + HEADER_TYPE, 2),
        .op = (uint16_t)load_little_endian(bytes + HEADER_OP, 2),
        .flags = (uint32_t)load_little_endian(bytes + HEADER_FLAGS, 4),
        .buf_alloc = (uint32_t)load_little_endian(bytes + HEADER_BUF_ALLOC, 4),
        .fwd_cnt = (uint32_t)load_little_endian(bytes + HEADER_FWD_CNT, 4),
    };
}

static void encode_header(const struct packet_header *header, uint8_t bytes[VIRTIO_VSOCK_HEADER_SIZE])
{
    store_little_endian(bytes + HEADER_SOURCE_CID, header->source_cid, 8);
    store_little_endian(bytes + HEADER_DESTINATION_CID, header->destination_cid, 8);
    store_little_endian(bytes + HEADER_SOURCE_PORT, header->source_port, 4);
    store_little_endian(bytes + HEADER_DESTINATION_PORT, header->destination_port, 4);
    store_little_endian(bytes + HEADER_LENGTH, header->length, 4);
    store_little_endian(bytes + HEADER_TYPE, header->type, 2);
    store_little_endian(bytes + HEADER_OP, header->op, 2);
    store_little_endian(bytes + HEADER_FLAGS, header->flags, 4);
    store_little_endian(bytes + HEADER_BUF_ALLOC, header->buf_alloc, 4);
    store_little_endian(bytes + HEADER_FWD_CNT, header->fwd_cnt, 4);
}

static uint32_t ring_free(const struct vsock_byte_ring *ring)
{
    return VIRTIO_VSOCK_BUFFER_SIZE - ring->count;
}

/* The ring's oldest bytes that lie contiguously: *bytes and the count. */
static uint32_t ring_contiguous_data(struct vsock_byte_ring *ring, uint8_t **bytes)
{
    uint32_t to_end = VIRTIO_VSOCK_BUFFER_SIZE - ring->start;
    *bytes = ring->bytes + ring->start;
    return ring->count < to_end ? ring->count : to_end;
}

/* The free space right after the ring's data that lies contiguously: *bytes and the count. */
static uint32_t ring_contiguous_space(struct vsock_byte_ring *ring, uint8_t **bytes)
{
    uint32_t end = (ring->start + ring->count) % VIRTIO_VSOCK_BUFFER_SIZE;
    uint32_t to_end = VIRTIO_VSOCK_BUFFER_SIZE - end;
    *bytes = ring->bytes + end;
    return ring_free(ring) < to_end ? ring_free(ring) : to_end;
}

static void ring_consume(struct vsock_byte_ring *ring, uint32_t count)
{
    ring->start = (ring->start + count) % VIRTIO_VSOCK_BUFFER_SIZE;
    ring->count -= count;
}

static void ring_clear(struct vsock_byte_ring *ring)
{
    ring->start = 0;
    ring->count = 0;
}

/* Appends as much of bytes as fits; returns how much that was. */
static size_t ring_append(struct vsock_byte_ring *ring, const uint8_t *bytes, size_t length)
{
    size_t appended = 0;
    while (appended < length && ring_free(ring) > 0) {
        uint8_t *space;
        uint32_t piece = ring_contiguous_space(ring, &space);
        if (piece > length - appended) {
            piece = (uint32_t)(length - appended);
        }
        memcpy(space, bytes + appended, piece);
        ring->count += piece;
        appended += piece;
    }
    return appended;
}

/* Appends length bytes of the chain's readable bytes from offset on; the caller checked they fit. */
static void ring_append_from_chain(struct vsock_byte_ring *ring, const struct virtq_chain *chain, uint64_t offset,
                                   uint32_t length)
{
    while (length > 0) {
        uint8_t *space;
        uint32_t piece = ring_contiguous_space(ring, &space);
        if (piece > length) {
            piece = length;
        }
        virtq_chain_read(chain, offset, space, piece);
        ring->count += piece;
        offset += piece;
        length -= piece;
    }
}

/* Moves the ring's first length bytes into the chain's writable bytes from offset on. */
static void ring_move_to_chain(struct vsock_byte_ring *ring, const struct virtq_chain *chain, uint64_t offset,
                               uint32_t length)
{
    while (length > 0) {
        uint8_t *data;
        uint32_t piece = ring_contiguous_data(ring, &data);
        if (piece > length) {
            piece = length;
        }
        virtq_chain_write(chain, offset, data, piece);
        ring_consume(ring, piece);
        offset += piece;
        length -= piece;
    }
}

static bool device_running(const struct virtio_vsock *vsock)
{
    uint32_t status = vsock->transport.status;
    return (status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK;
}

static struct virtq *queue(struct virtio_vsock *vsock, uint16_t index)
{
    return virtio_mmio_queue(&vsock->transport, index);
}

static bool is_connection_of(const struct virtio_vsock *vsock, const struct vsock_connection *connection)
{
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNECTIONS; i++) {
        if (connection == &vsock->connections[i]) {
            return connection->state != VSOCK_CONNECTION_FREE;
        }
    }
    return false;
}

static struct vsock_connection *find_connection(struct virtio_vsock *vsock, uint32_t guest_port, uint32_t host_port)
{
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNECTIONS; i++) {
        struct vsock_connection *connection = &vsock->connections[i];
        if (connection->state != VSOCK_CONNECTION_FREE && connection->guest_port == guest_port &&
            connection->host_port == host_port) {
            return connection;
        }
    }
    return NULL;
}

static const struct vsock_listener *find_listener(const struct virtio_vsock *vsock, uint32_t port)
{
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_LISTENERS; i++) {
        if (vsock->listeners[i].service && vsock->listeners[i].port == port) {
            return &vsock->listeners[i];
        }
    }
    return NULL;
}

/*
 * What the guest may still receive: its buf_alloc less the bytes in flight.
 * A guest claiming to have taken more than was sent gets nothing rather than
 * a wrapped-around windfall: it only stalls its own connection.
 */
static uint32_t guest_credit(const struct vsock_connection *connection)
{
    uint32_t in_flight = connection->sent_count - connection->guest_fwd_cnt;
    return in_flight >= connection->guest_buf_alloc ? 0 : connection->guest_buf_alloc - in_flight;
}

/*
 * The guest's view of the host's free buffer space is buf_alloc less what it
 * sent since the fwd_cnt it last saw; once that falls below half while the
 * service has taken bytes the guest does not know of, tell it.
 */
static void consider_credit_update(struct vsock_connection *connection)
{
    uint32_t unadvertised = connection->forwarded_count - connection->advertised_forwarded_count;
    if (unadvertised > 0 && unadvertised + connection->received.count > VIRTIO_VSOCK_BUFFER_SIZE / 2) {
        connection->credit_update_pending = true;
    }
}

/* Drops what the guest sent but the service will never take, counting it as forwarded so credit flows on. */
static void discard_received(struct vsock_connection *connection)
{
    connection->forwarded_count += connection->received.count;
    ring_clear(&connection->received);
    consider_credit_update(connection);
}

/*
 * Ends the connection with an RST to the guest (pending until an rx buffer
 * takes it). The service hears of it unless it closed the connection itself.
 */
static void reset_connection(struct vsock_connection *connection)
{
    enum vsock_connection_state previous = connection->state;
    if (previous == VSOCK_CONNECTION_RESETTING) {
        return;
    }
    connection->state = VSOCK_CONNECTION_RESETTING;
    connection->response_pending = false;
    connection->credit_update_pending = false;
    ring_clear(&connection->received);
    ring_clear(&connection->to_send);
    if (previous == VSOCK_CONNECTION_OPEN) {
        connection->service->closed(connection->service_context, connection);
    }
}

/* The guest reset the connection: nothing is owed to it, so the slot is free at once. */
static void drop_connection(struct vsock_connection *connection)
{
    enum vsock_connection_state previous = connection->state;
    connection->state = VSOCK_CONNECTION_FREE;
    if (previous == VSOCK_CONNECTION_OPEN) {
        connection->service->closed(connection->service_context, connection);
    }
}

/* Owes the guest an RST for a packet that named no connection; the caller made sure there is room. */
static void queue_reset_reply(struct virtio_vsock *vsock, const struct packet_header *header)
{
    uint16_t slot = (uint16_t)((vsock->pending_reset_start + vsock->pending_reset_count) % VIRTIO_VSOCK_PENDING_RESETS);
    vsock->pending_resets[slot] = (struct vsock_pending_reset){
        .guest_port = header->source_port,
        .host_port = header->destination_port,
    };
    vsock->pending_reset_count++;
}

/* Offers the service what the guest sent, until it takes less than offered; true if it took anything. */
static bool deliver_received(struct vsock_connection *connection)
{
    if (connection->state != VSOCK_CONNECTION_OPEN) {
        return false;
    }
    bool progress = false;
    while (connection->state == VSOCK_CONNECTION_OPEN && connection->received.count > 0) {
        uint8_t *bytes;
        uint32_t offered = ring_contiguous_data(&connection->received, &bytes);
        size_t taken = connection->service->receive(connection->service_context, connection, bytes, offered);
        if (connection->state != VSOCK_CONNECTION_OPEN) {
            break; /* the service closed it: what it had was discarded with the rest */
        }
        if (taken > offered) {
            taken = offered;
        }
        ring_consume(&connection->received, (uint32_t)taken);
        connection->forwarded_count += (uint32_t)taken;
        progress = progress || taken > 0;
        if (taken < offered) {
            break;
        }
    }
    consider_credit_update(connection);
    return progress;
}

/* A REQUEST: a new connection if a service listens on the port and takes it, an RST otherwise. */
static void handle_request(struct virtio_vsock *vsock, struct vsock_connection *existing,
                           const struct packet_header *header)
{
    if (existing) {
        /* The guest reuses a live address pair: neither side can tell the two streams apart. */
        reset_connection(existing);
        return;
    }
    const struct vsock_listener *listener = find_listener(vsock, header->destination_port);
    struct vsock_connection *connection = NULL;
    for (unsigned i = 0; listener && i < VIRTIO_VSOCK_MAX_CONNECTIONS && !connection; i++) {
        if (vsock->connections[i].state == VSOCK_CONNECTION_FREE) {
            connection = &vsock->connections[i];
        }
    }
    if (!connection) {
        queue_reset_reply(vsock, header);
        return;
    }
    *connection = (struct vsock_connection){
        .guest_port = header->source_port,
        .host_port = header->destination_port,
        .state = VSOCK_CONNECTION_OPEN,
        .service = listener->service,
        .service_context = listener->context,
        .response_pending = true,
        .guest_buf_alloc = header->buf_alloc,
        .guest_fwd_cnt = header->fwd_cnt,
    };
    if (!listener->service->accept(listener->context, connection)) {
        connection->state = VSOCK_CONNECTION_RESETTING;
        connection->response_pending = false;
        ring_clear(&connection->to_send);
    }
}

/* RW payload: within the host's credit it goes to the receive buffer and on to the service; beyond it, RST. */
static void handle_data(struct virtio_vsock *vsock, struct vsock_connection *connection, uint32_t length)
{
    if (length > ring_free(&connection->received)) {
        reset_connection(connection);
        return;
    }
    ring_append_from_chain(&connection->received, &vsock->chain, VIRTIO_VSOCK_HEADER_SIZE, length);
    if (connection->state == VSOCK_CONNECTION_OPEN) {
        deliver_received(connection);
    } else {
        discard_received(connection);
    }
}

static void handle_shutdown(struct vsock_connection *connection, uint32_t flags)
{
    connection->guest_shutdown |= flags & VIRTIO_VSOCK_SHUTDOWN_BOTH;
    if (connection->guest_shutdown == VIRTIO_VSOCK_SHUTDOWN_BOTH) {
        /* The clean end of a stream: the peer answers the last SHUTDOWN with RST. */
        reset_connection(connection);
    } else if (connection->guest_shutdown & VIRTIO_VSOCK_SHUTDOWN_RECEIVE) {
        ring_clear(&connection->to_send);
    }
}

/* Whether the header fits this device at all: from this guest, to the host, sized as the chain is. */
static bool header_acceptable(const struct virtio_vsock *vsock, const struct packet_header *header,
                              uint64_t payload_bytes)
{
    if (header->source_cid != vsock->guest_cid || header->destination_cid != VIRTIO_VSOCK_HOST_CID) {
        return false;
    }
    if (header->length != payload_bytes || header->length > VIRTIO_VSOCK_MAX_PAYLOAD) {
        return false;
    }
    if (header->op < VIRTIO_VSOCK_OP_REQUEST || header->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST) {
        return false;
    }
    /* Only data carries payload. */
    return header->op == VIRTIO_VSOCK_OP_RW || header->length == 0;
}

/* One packet from the tx queue, in vsock->chain, at least a header long. */
static void handle_packet(struct virtio_vsock *vsock)
{
    uint8_t bytes[VIRTIO_VSOCK_HEADER_SIZE];
    virtq_chain_read(&vsock->chain, 0, bytes, sizeof(bytes));
    struct packet_header header = decode_header(bytes);
    struct vsock_connection *connection = find_connection(vsock, header.source_port, header.destination_port);

    if (!header_acceptable(vsock, &header, vsock->chain.readable_bytes - VIRTIO_VSOCK_HEADER_SIZE)) {
        if (connection) {
            reset_connection(connection);
        }
        return;
    }
    if (header.type != VIRTIO_VSOCK_TYPE_STREAM) {
        /* The spec asks for an RST for an unknown type, connection or not. */
        if (connection) {
            reset_connection(connection);
        } else {
            queue_reset_reply(vsock, &header);
        }
        return;
    }
    if (header.op == VIRTIO_VSOCK_OP_REQUEST) {
        handle_request(vsock, connection, &header);
        return;
    }
    if (!connection) {
        /* Never answer an RST with one: two confused peers would bounce them forever. */
        if (header.op != VIRTIO_VSOCK_OP_RST) {
            queue_reset_reply(vsock, &header);
        }
        return;
    }
    if (connection->state == VSOCK_CONNECTION_RESETTING) {
        if (header.op == VIRTIO_VSOCK_OP_RST) {
            connection->state = VSOCK_CONNECTION_FREE;
        }
        return;
    }
    connection->guest_buf_alloc = header.buf_alloc;
    connection->guest_fwd_cnt = header.fwd_cnt;
    switch (header.op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        /* The host never connects to the guest, so there is nothing this could answer. */
        reset_connection(connection);
        break;
    case VIRTIO_VSOCK_OP_RST:
        drop_connection(connection);
        break;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
        handle_shutdown(connection, header.flags);
        break;
    case VIRTIO_VSOCK_OP_RW:
        handle_data(vsock, connection, header.length);
        break;
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        connection->credit_update_pending = true;
        break;
    default: /* VIRTIO_VSOCK_OP_CREDIT_UPDATE: its credit fields, taken above, are the whole message */
        break;
    }
}

/*
 * Every packet the driver made available on tx, while there is room for the
 * RST a packet may need; the rest waits until rx buffers take the pending
 * ones (spec: Virtqueue Flow Control). True if any packet was handled.
 */
static bool serve_transmit_queue(struct virtio_vsock *vsock)
{
    struct virtio_mmio_device *transport = &vsock->transport;
    struct virtq *tx = queue(vsock, VIRTIO_VSOCK_TX_QUEUE);
    bool progress = false;
    while (device_running(vsock) && tx->ready && vsock->pending_reset_count < VIRTIO_VSOCK_PENDING_RESETS) {
        enum virtq_result result = virtq_pop_chain(tx, transport->memory, &vsock->chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
        if (vsock->chain.readable_bytes < VIRTIO_VSOCK_HEADER_SIZE) {
            virtio_mmio_set_needs_reset(transport, "a vsock tx packet is shorter than its header");
            break;
        }
        handle_packet(vsock);
        result = virtq_push_used(tx, transport->memory, vsock->chain.head, 0);
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
        progress = true;
    }
    return progress;
}

/* Offers every open connection's received bytes to its service again; true if any were taken. */
static bool deliver_all_received(struct virtio_vsock *vsock)
{
    bool progress = false;
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNECTIONS; i++) {
        progress = deliver_received(&vsock->connections[i]) || progress;
    }
    return progress;
}

/* A packet for the guest: to whom, which operation and how much payload (RW). */
struct outgoing_packet {
    struct vsock_connection *connection; /* NULL for a pending RST reply */
    uint32_t guest_port;
    uint32_t host_port;
    uint16_t op;
    uint32_t flags;
    uint32_t payload;
};

/*
 * The connection's next packet for an rx buffer with room payload bytes after
 * the header, if it has one: the RESPONSE first, then data as far as the
 * guest's credit goes, a credit update, the SHUTDOWN after the service's last
 * byte, or the RST that ends it.
 */
static bool connection_outgoing(struct vsock_connection *connection, uint64_t room, struct outgoing_packet *packet)
{
    *packet = (struct outgoing_packet){
        .connection = connection,
        .guest_port = connection->guest_port,
        .host_port = connection->host_port,
    };
    if (connection->state == VSOCK_CONNECTION_FREE) {
        return false;
    }
    if (connection->state == VSOCK_CONNECTION_RESETTING) {
        packet->op = VIRTIO_VSOCK_OP_RST;
        return true;
    }
    if (connection->response_pending) {
        packet->op = VIRTIO_VSOCK_OP_RESPONSE;
        return true;
    }
    uint64_t payload = connection->to_send.count;
    if (payload > guest_credit(connection)) {
        payload = guest_credit(connection);
    }
    if (payload > room) {
        payload = room;
    }
    if (payload > 0) {
        packet->op = VIRTIO_VSOCK_OP_RW;
        packet->payload = (uint32_t)payload;
        return true;
    }
    if (connection->credit_update_pending) {
        packet->op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
        return true;
    }
    if (connection->state == VSOCK_CONNECTION_HOST_CLOSING && !connection->shutdown_sent &&
        connection->to_send.count == 0) {
        packet->op = VIRTIO_VSOCK_OP_SHUTDOWN;
        packet->flags = VIRTIO_VSOCK_SHUTDOWN_BOTH;
        return true;
    }
    return false;
}

/* The next packet for an rx buffer with room payload bytes: pending RST replies first, then connections in turn. */
static bool next_outgoing(struct virtio_vsock *vsock, uint64_t room, struct outgoing_packet *packet)
{
    if (vsock->pending_reset_count > 0) {
        const struct vsock_pending_reset *reset = &vsock->pending_resets[vsock->pending_reset_start];
        *packet = (struct outgoing_packet){
            .guest_port = reset->guest_port,
            .host_port = reset->host_port,
            .op = VIRTIO_VSOCK_OP_RST,
        };
        return true;
    }
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNECTIONS; i++) {
        unsigned index = (vsock->next_connection + i) % VIRTIO_VSOCK_MAX_CONNECTIONS;
        if (connection_outgoing(&vsock->connections[index], room, packet)) {
            return true;
        }
    }
    return false;
}

/* Writes packet into vsock->chain (room checked) and updates what was owed; returns the bytes written. */
static uint32_t write_packet(struct virtio_vsock *vsock, const struct outgoing_packet *packet)
{
    struct vsock_connection *connection = packet->connection;
    struct packet_header header = {
        .source_cid = VIRTIO_VSOCK_HOST_CID,
        .destination_cid = vsock->guest_cid,
        .source_port = packet->host_port,
        .destination_port = packet->guest_port,
        .length = packet->payload,
        .type = VIRTIO_VSOCK_TYPE_STREAM,
        .op = packet->op,
        .flags = packet->flags,
    };
    if (connection) {
        header.buf_alloc = VIRTIO_VSOCK_BUFFER_SIZE;
        header.fwd_cnt = connection->forwarded_count;
    }
    uint8_t bytes[VIRTIO_VSOCK_HEADER_SIZE];
    encode_header(&header, bytes);
    virtq_chain_write(&vsock->chain, 0, bytes, sizeof(bytes));

    if (!connection) {
        vsock->pending_reset_start = (uint16_t)((vsock->pending_reset_start + 1) % VIRTIO_VSOCK_PENDING_RESETS);
        vsock->pending_reset_count--;
        return VIRTIO_VSOCK_HEADER_SIZE;
    }
    /* Every packet carries the credit, so every packet is a credit update. */
    connection->advertised_forwarded_count = connection->forwarded_count;
    connection->credit_update_pending = false;
    switch (packet->op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        connection->response_pending = false;
        break;
    case VIRTIO_VSOCK_OP_RW:
        ring_move_to_chain(&connection->to_send, &vsock->chain, VIRTIO_VSOCK_HEADER_SIZE, packet->payload);
        connection->sent_count += packet->payload;
        break;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
        connection->shutdown_sent = true;
        break;
    case VIRTIO_VSOCK_OP_RST:
        connection->state = VSOCK_CONNECTION_FREE;
        break;
    default: /* VIRTIO_VSOCK_OP_CREDIT_UPDATE: the header was all of it */
        break;
    }
    vsock->next_connection = (uint16_t)((connection - vsock->connections + 1) % VIRTIO_VSOCK_MAX_CONNECTIONS);
    return VIRTIO_VSOCK_HEADER_SIZE + packet->payload;
}

/* Moves pending packets into the rx buffers the driver made available; true if any went. */
static bool fill_receive_buffers(struct virtio_vsock *vsock)
{
    struct virtio_mmio_device *transport = &vsock->transport;
    struct virtq *rx = queue(vsock, VIRTIO_VSOCK_RX_QUEUE);
    bool progress = false;
    struct outgoing_packet planned;
    while (device_running(vsock) && rx->ready && next_outgoing(vsock, UINT64_MAX, &planned)) {
        enum virtq_result result = virtq_pop_chain(rx, transport->memory, &vsock->chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
        if (vsock->chain.writable_bytes < VIRTIO_VSOCK_HEADER_SIZE) {
            virtio_mmio_set_needs_reset(transport, "a vsock rx buffer is shorter than a packet header");
            break;
        }
        struct outgoing_packet packet;
        if (!next_outgoing(vsock, vsock->chain.writable_bytes - VIRTIO_VSOCK_HEADER_SIZE, &packet)) {
            /* Only data was pending and the buffer holds just a header: it carries the credit instead. */
            packet = planned;
            packet.op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
            packet.payload = 0;
        }
        result = virtq_push_used(rx, transport->memory, vsock->chain.head, write_packet(vsock, &packet));
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
        progress = true;
    }
    return progress;
}

/*
 * Everything that can move now: the guest's packets, bytes the services can
 * take again, packets for the guest. Each step can enable another (rx buffers
 * free room for RST replies, sent bytes make the echo take more), so it goes
 * round until nothing moves. Then the driver hears of the used buffers.
 */
static void run_device(struct virtio_vsock *vsock)
{
    vsock->busy = true;
    bool progress;
    do {
        progress = serve_transmit_queue(vsock);
        progress = deliver_all_received(vsock) || progress;
        progress = fill_receive_buffers(vsock) || progress;
    } while (progress && device_running(vsock));
    virtio_mmio_signal_used(&vsock->transport, queue(vsock, VIRTIO_VSOCK_TX_QUEUE));
    virtio_mmio_signal_used(&vsock->transport, queue(vsock, VIRTIO_VSOCK_RX_QUEUE));
    vsock->busy = false;
}

/* Calls from a service's callback only change state: the processing that called it goes round again. */
static void run_device_unless_busy(struct virtio_vsock *vsock)
{
    if (!vsock->busy) {
        run_device(vsock);
    }
}

/*
 * Any notification can let something move (event buffers are only kept for
 * events, of which the device sends none yet).
 */
static void notified(void *context, uint16_t queue_index)
{
    (void)queue_index;
    run_device_unless_busy(context);
}

/* A device reset ends every connection; the listeners are the VMM's and stay. */
static void reset_device(void *context)
{
    struct virtio_vsock *vsock = context;
    vsock->busy = true;
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNECTIONS; i++) {
        drop_connection(&vsock->connections[i]);
    }
    vsock->pending_reset_start = 0;
    vsock->pending_reset_count = 0;
    vsock->next_connection = 0;
    vsock->busy = false;
}

static const char *read_config(void *context, uint32_t offset, unsigned size, uint32_t *value)
{
    const struct virtio_vsock *vsock = context;
    *value = (uint32_t)(vsock->guest_cid >> (8 * offset));
    if (size < 4) {
        *value &= (1u << (8 * size)) - 1;
    }
    return NULL;
}

static const char *write_config(void *context, uint32_t offset, unsigned size, uint32_t value)
{
    (void)context;
    (void)offset;
    (void)size;
    (void)value;
    return "the vsock configuration space (guest_cid) is read-only";
}

static const struct virtio_device_ops vsock_ops = {
    .device_id = VIRTIO_ID_SOCKET,
    .features = 0, /* stream sockets only, which needs no feature bit */
    .queue_count = VIRTIO_VSOCK_QUEUE_COUNT,
    .config_size = VIRTIO_VSOCK_CONFIG_SIZE,
    .config_read = read_config,
    .config_write = write_config,
    .queue_notify = notified,
    .reset = reset_device,
};

const char *virtio_vsock_init(struct virtio_vsock *vsock, const struct guest_memory *memory, uint64_t guest_cid,
                              void (*raise_interrupt)(void *context), void *interrupt_context)
{
    if (guest_cid <= VIRTIO_VSOCK_HOST_CID || guest_cid >= FIRST_RESERVED_HIGH_CID) {
        return "guest CIDs 0, 1, 2 and 0xffffffff and above are reserved";
    }
    memset(vsock, 0, sizeof(*vsock));
    vsock->guest_cid = guest_cid;
    return virtio_mmio_init(&vsock->transport, &vsock_ops, vsock, memory, raise_interrupt, interrupt_context);
}

const char *virtio_vsock_listen(struct virtio_vsock *vsock, uint32_t port, const struct vsock_service *service,
                                void *context)
{
    if (!service || !service->accept || !service->receive || !service->closed) {
        return "a vsock service needs accept, receive and closed";
    }
    if (port == VIRTIO_VSOCK_PORT_ANY) {
        return "port 0xffffffff means any port, not one to listen on";
    }
    if (find_listener(vsock, port)) {
        return "a service already listens on this vsock port";
    }
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_LISTENERS; i++) {
        if (!vsock->listeners[i].service) {
            vsock->listeners[i] = (struct vsock_listener){.port = port, .service = service, .context = context};
            return NULL;
        }
    }
    return "no free vsock listener entry (VIRTIO_VSOCK_MAX_LISTENERS)";
}

size_t virtio_vsock_send(struct virtio_vsock *vsock, struct vsock_connection *connection, const uint8_t *bytes,
                         size_t length)
{
    if (!is_connection_of(vsock, connection) || connection->state != VSOCK_CONNECTION_OPEN ||
        (connection->guest_shutdown & VIRTIO_VSOCK_SHUTDOWN_RECEIVE)) {
        return 0;
    }
    size_t accepted = ring_append(&connection->to_send, bytes, length);
    if (accepted > 0) {
        run_device_unless_busy(vsock);
    }
    return accepted;
}

void virtio_vsock_close(struct virtio_vsock *vsock, struct vsock_connection *connection)
{
    if (!is_connection_of(vsock, connection) || connection->state != VSOCK_CONNECTION_OPEN) {
        return;
    }
    connection->state = VSOCK_CONNECTION_HOST_CLOSING;
    discard_received(connection);
    run_device_unless_busy(vsock);
}
