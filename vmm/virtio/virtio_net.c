#include "virtio_net.h"

#include "virtio_spec.h"

#include <string.h>

/* Header byte offsets: flags and gso_type; num_buffers (le16) is the last field. */
#define HEADER_FLAGS 0u
#define HEADER_GSO_TYPE 1u
#define HEADER_NUM_BUFFERS 10u

/* Defined flags a driver may not set without VIRTIO_NET_F_CSUM (never offered); undefined ones it ignores. */
#define REFUSED_HEADER_FLAGS (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_RSC_INFO)

/* Without VIRTIO_NET_F_MRG_RXBUF every frame fills exactly one buffer (spec: Setting Up Receive Buffers). */
#define RECEIVE_BUFFERS_PER_FRAME 1u

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

static bool frame_size_allowed(uint64_t length)
{
    return length >= VIRTIO_NET_MIN_FRAME_SIZE && length <= VIRTIO_NET_MAX_FRAME_SIZE;
}

/* DRIVER_OK without DEVICE_NEEDS_RESET: the state in which the device may use the queues. */
static bool driver_running(const struct virtio_net *net)
{
    return (net->transport.status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) ==
           VIRTIO_STATUS_DRIVER_OK;
}

/*
 * Sends the frame in net->transmit_chain to the link, or drops and counts it.
 * Without offloads negotiated a header asking for one cannot be honoured (a
 * partial checksum would go out wrong), so the frame is dropped; flag bits
 * the spec does not define are ignored, as it requires.
 */
static void send_frame(struct virtio_net *net)
{
    const struct virtq_chain *chain = &net->transmit_chain;
    if (chain->readable_bytes < VIRTIO_NET_HEADER_SIZE) {
        net->statistics.tx_malformed++;
        return;
    }
    uint8_t header[VIRTIO_NET_HEADER_SIZE] = {0}; /* filled: readable_bytes is the sum of the readable segments */
    virtq_chain_read(chain, 0, header, sizeof(header));
    uint64_t length = chain->readable_bytes - VIRTIO_NET_HEADER_SIZE;
    if ((header[HEADER_FLAGS] & REFUSED_HEADER_FLAGS) || header[HEADER_GSO_TYPE] != VIRTIO_NET_HDR_GSO_NONE ||
        !frame_size_allowed(length)) {
        net->statistics.tx_malformed++;
        return;
    }
    virtq_chain_read(chain, VIRTIO_NET_HEADER_SIZE, net->frame, length);
    if (!net->backend.transmit(net->backend.context, net->frame, (size_t)length)) {
        net->statistics.tx_dropped++;
        return;
    }
    net->statistics.tx_frames++;
    net->statistics.tx_bytes += length;
}

/*
 * Every chain the driver made available on the transmitq, each sent or
 * dropped and returned with nothing written: a full link never holds the
 * queue up. Stops when the device needs a reset, which a callback's
 * receive may also have found.
 */
static void transmit_frames(struct virtio_net *net)
{
    struct virtio_mmio_device *transport = &net->transport;
    struct virtq *queue = virtio_mmio_queue(transport, VIRTIO_NET_TRANSMIT_QUEUE);
    while (driver_running(net)) {
        enum virtq_result result = virtq_pop_chain(queue, transport->memory, &net->transmit_chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result == VIRTQ_OK) {
            send_frame(net);
            result = virtq_push_used(queue, transport->memory, net->transmit_chain.head, 0);
        }
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
    }
    virtio_mmio_signal_used(transport, queue);
}

/* Writes the header (num_buffers 1, no offloads) and the frame into net->receive_chain, which has room. */
static void write_received_frame(struct virtio_net *net, const uint8_t *frame, size_t length)
{
    uint8_t header[VIRTIO_NET_HEADER_SIZE] = {0};
    store_little_endian(header + HEADER_NUM_BUFFERS, RECEIVE_BUFFERS_PER_FRAME, 2);
    virtq_chain_write(&net->receive_chain, 0, header, sizeof(header));
    virtq_chain_write(&net->receive_chain, VIRTIO_NET_HEADER_SIZE, frame, length);
}

bool virtio_net_receive(struct virtio_net *net, const uint8_t *frame, size_t length)
{
    if (!frame_size_allowed(length)) {
        net->statistics.rx_malformed++;
        return true;
    }
    struct virtio_mmio_device *transport = &net->transport;
    struct virtq *queue = virtio_mmio_queue(transport, VIRTIO_NET_RECEIVE_QUEUE);
    if (!driver_running(net) || !queue->ready) {
        return false;
    }
    /* Finding the queue empty asks the driver (with VIRTIO_F_EVENT_IDX) to notify on its next buffer. */
    enum virtq_result result = virtq_pop_chain(queue, transport->memory, &net->receive_chain);
    if (result == VIRTQ_EMPTY) {
        return false;
    }
    if (result != VIRTQ_OK) {
        virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
        return false;
    }
    /*
     * A frame must fit one buffer; one that does not is dropped and the buffer
     * goes back empty (a driver takes that as a short frame and reposts it),
     * since a popped chain cannot wait for a smaller frame.
     */
    bool fits = net->receive_chain.writable_bytes >= VIRTIO_NET_HEADER_SIZE + (uint64_t)length;
    if (fits) {
        write_received_frame(net, frame, length);
    }
    uint32_t written = fits ? VIRTIO_NET_HEADER_SIZE + (uint32_t)length : 0;
    result = virtq_push_used(queue, transport->memory, net->receive_chain.head, written);
    if (result != VIRTQ_OK) {
        virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
        return false;
    }
    if (fits) {
        net->statistics.rx_frames++;
        net->statistics.rx_bytes += length;
    } else {
        net->statistics.rx_dropped++;
    }
    virtio_mmio_signal_used(transport, queue);
    return true;
}

/* New receive buffers are the backend's cue to offer what it holds; transmitted frames go out at once. */
static void queue_notify(void *context, uint16_t queue_index)
{
    struct virtio_net *net = context;
    if (queue_index == VIRTIO_NET_RECEIVE_QUEUE) {
        net->backend.receive_ready(net->backend.context);
    } else {
        transmit_frames(net);
    }
}

/* Any aligned 1-, 2- or 4-byte piece of the little-endian configuration (the transport checked the range). */
static const char *config_read(void *context, uint32_t offset, unsigned size, uint32_t *value)
{
    const struct virtio_net *net = context;
    if (offset > VIRTIO_NET_CONFIG_SIZE || size > VIRTIO_NET_CONFIG_SIZE - offset || size > sizeof(*value)) {
        return "access beyond the network device's configuration space";
    }
    uint8_t config[VIRTIO_NET_CONFIG_SIZE] = {0};
    memcpy(config + VIRTIO_NET_CONFIG_MAC, net->mac, VIRTIO_NET_MAC_BYTES);
    store_little_endian(config + VIRTIO_NET_CONFIG_STATUS, net->status, 2);
    store_little_endian(config + VIRTIO_NET_CONFIG_MTU, VIRTIO_NET_MTU, 2);
    *value = (uint32_t)load_little_endian(config + offset, size);
    return NULL;
}

static const char *config_write(void *context, uint32_t offset, unsigned size, uint32_t value)
{
    (void)context;
    (void)offset;
    (void)size;
    (void)value;
    return "the network device's configuration space is read-only (the driver must not write it)";
}

static const struct virtio_device_ops net_ops = {
    .device_id = VIRTIO_ID_NET,
    .features =
        VIRTIO_FEATURE(VIRTIO_NET_F_MTU) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS),
    .queue_count = VIRTIO_NET_QUEUE_COUNT,
    .config_size = VIRTIO_NET_CONFIG_SIZE,
    .config_read = config_read,
    .config_write = config_write,
    .queue_notify = queue_notify,
};

static bool mac_is_unicast(const uint8_t mac[VIRTIO_NET_MAC_BYTES])
{
    bool all_zero = true;
    for (unsigned i = 0; i < VIRTIO_NET_MAC_BYTES; i++) {
        all_zero = all_zero && mac[i] == 0;
    }
    /* The individual/group bit is the lowest bit of the first byte; broadcast has it too. */
    return !all_zero && (mac[0] & 1u) == 0;
}

const char *virtio_net_init(struct virtio_net *net, const struct guest_memory *memory,
                            const uint8_t mac[VIRTIO_NET_MAC_BYTES], const struct virtio_net_backend *backend,
                            void (*raise_interrupt)(void *context), void *interrupt_context)
{
    if (!mac_is_unicast(mac)) {
        return "the network device's MAC address must be a unicast address other than 00:00:00:00:00:00";
    }
    if (!backend->transmit || !backend->receive_ready) {
        return "the network device's backend needs transmit and receive_ready";
    }
    memcpy(net->mac, mac, VIRTIO_NET_MAC_BYTES);
    net->status = VIRTIO_NET_S_LINK_UP;
    net->backend = *backend;
    net->statistics = (struct virtio_net_statistics){0};
    return virtio_mmio_init(&net->transport, &net_ops, net, memory, raise_interrupt, interrupt_context);
}

void virtio_net_set_link(struct virtio_net *net, bool up)
{
    uint16_t status = up ? VIRTIO_NET_S_LINK_UP : 0;
    if (status == net->status) {
        return;
    }
    net->status = status;
    virtio_mmio_config_changed(&net->transport);
}
