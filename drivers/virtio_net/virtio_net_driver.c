#include "virtio_net_driver.h"

#include "virtio_pci_registers.h"
#include "virtio_spec.h"

#include <string.h>

_Static_assert(VIRTIO_NET_RECEIVE_BUFFER_SIZE <= VIRTIO_NET_BUFFER_STRIDE, "a buffer fits its stride");
_Static_assert(VIRTIO_NET_BUFFER_STRIDE % DMA_ALLOCATOR_ALIGN == 0, "buffers stay aligned");

const char *virtio_net_result_reason(enum virtio_net_result result)
{
    switch (result) {
    case VIRTIO_NET_OK:
        return "no error";
    case VIRTIO_NET_FULL:
        return "every transmit buffer is with the device";
    case VIRTIO_NET_ERROR_ARGUMENT:
        return "invalid argument";
    case VIRTIO_NET_ERROR_TRANSPORT:
        return "the virtio-pci transport failed";
    case VIRTIO_NET_ERROR_MAC:
        return "no usable MAC address";
    case VIRTIO_NET_ERROR_NO_MEMORY:
        return "no DMA memory for the frame buffers";
    case VIRTIO_NET_ERROR_QUEUE:
        return "the device broke a virtqueue";
    case VIRTIO_NET_ERROR_NEEDS_RESET:
        return "the device needs a reset";
    case VIRTIO_NET_ERROR_NOT_RUNNING:
        return "the driver is not running";
    }
    return "unknown network driver result";
}

static bool unicast(const uint8_t mac[VIRTIO_NET_MAC_BYTES])
{
    static const uint8_t zero[VIRTIO_NET_MAC_BYTES] = {0};
    return (mac[0] & 1u) == 0 && memcmp(mac, zero, VIRTIO_NET_MAC_BYTES) != 0;
}

static bool locally_administered(const uint8_t mac[VIRTIO_NET_MAC_BYTES])
{
    return (mac[0] & 2u) != 0;
}

static bool power_of_two(uint32_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

static enum virtio_net_result transport_failed(struct virtio_net_driver *net, enum virtio_pci_result result)
{
    net->transport_result = result;
    return VIRTIO_NET_ERROR_TRANSPORT;
}

/* Gives up on the device: FAILED for it, NOT_RUNNING for every later call. */
static enum virtio_net_result give_up(struct virtio_net_driver *net, enum virtio_net_result result)
{
    net->running = false;
    virtio_pci_fail(&net->transport);
    return result;
}

static enum virtio_net_result queue_failed(struct virtio_net_driver *net, enum virtq_driver_result result)
{
    net->queue_result = result;
    return give_up(net, VIRTIO_NET_ERROR_QUEUE);
}

/* The features to accept: MAC and STATUS if offered, MTU if offered with an mtu the buffers can hold. */
static enum virtio_net_result choose_features(struct virtio_net_driver *net, uint64_t offered, uint64_t *wanted)
{
    *wanted = offered & (VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS));
    net->mtu = VIRTIO_NET_MTU_MAX;
    if (!(offered & VIRTIO_FEATURE(VIRTIO_NET_F_MTU))) {
        return VIRTIO_NET_OK;
    }
    struct virtio_pci_config_field mtu = {.offset = VIRTIO_NET_CONFIG_MTU, .width = 2};
    enum virtio_pci_result result = virtio_pci_read_config(&net->transport, &mtu, 1);
    if (result == VIRTIO_PCI_ERROR_CONFIG_RANGE) {
        return VIRTIO_NET_OK; /* offered without the field to go with it: not accepted */
    }
    if (result != VIRTIO_PCI_OK) {
        return transport_failed(net, result);
    }
    /* Larger would need larger receive buffers; smaller than the spec allows is nonsense. Either: not accepted. */
    if (mtu.value >= VIRTIO_NET_MTU_MIN && mtu.value <= VIRTIO_NET_MTU_MAX) {
        *wanted |= VIRTIO_FEATURE(VIRTIO_NET_F_MTU);
        net->mtu = (uint16_t)mtu.value;
    }
    return VIRTIO_NET_OK;
}

/* MAC and link state, read together; the device's MAC must be unicast, a fallback locally administered too. */
static enum virtio_net_result read_identity(struct virtio_net_driver *net, const struct virtio_net_setup *setup)
{
    bool has_mac = virtio_pci_has_feature(&net->transport, VIRTIO_NET_F_MAC);
    bool has_status = virtio_pci_has_feature(&net->transport, VIRTIO_NET_F_STATUS);
    struct virtio_pci_config_field fields[VIRTIO_NET_MAC_BYTES + 1];
    size_t count = 0;
    if (has_mac) {
        for (unsigned i = 0; i < VIRTIO_NET_MAC_BYTES; i++) {
            fields[count++] = (struct virtio_pci_config_field){.offset = VIRTIO_NET_CONFIG_MAC + i, .width = 1};
        }
    }
    if (has_status) {
        fields[count++] = (struct virtio_pci_config_field){.offset = VIRTIO_NET_CONFIG_STATUS, .width = 2};
    }
    enum virtio_pci_result result = virtio_pci_read_config(&net->transport, fields, count);
    if (result != VIRTIO_PCI_OK) {
        return transport_failed(net, result);
    }
    if (has_mac) {
        for (unsigned i = 0; i < VIRTIO_NET_MAC_BYTES; i++) {
            net->mac[i] = (uint8_t)fields[i].value;
        }
        if (!unicast(net->mac)) {
            return VIRTIO_NET_ERROR_MAC;
        }
    } else {
        if (!unicast(setup->fallback_mac) || !locally_administered(setup->fallback_mac)) {
            return VIRTIO_NET_ERROR_MAC;
        }
        memcpy(net->mac, setup->fallback_mac, VIRTIO_NET_MAC_BYTES);
    }
    /* Without STATUS the spec says to assume the link is up. */
    net->link_up = has_status ? (fields[count - 1].value & VIRTIO_NET_S_LINK_UP) != 0 : true;
    return VIRTIO_NET_OK;
}

/* count buffers of VIRTIO_NET_BUFFER_STRIDE bytes in one DMA block. */
static enum virtio_net_result allocate_buffers(const struct dma_allocator *dma, uint16_t count, uint8_t **buffers,
                                               uint64_t *device_address)
{
    size_t bytes = (size_t)count * VIRTIO_NET_BUFFER_STRIDE;
    *buffers = dma->allocate(dma->context, bytes, device_address);
    if (!*buffers || *device_address > UINT64_MAX - bytes) {
        return VIRTIO_NET_ERROR_NO_MEMORY;
    }
    memset(*buffers, 0, bytes);
    return VIRTIO_NET_OK;
}

/* Adds receive buffer index to the receive queue (published by the caller). */
static enum virtq_driver_result post_receive_buffer(struct virtio_net_driver *net, uint16_t index)
{
    struct virtq_driver_segment segment = {
        .device_address = net->receive_buffers_device + (uint64_t)index * VIRTIO_NET_BUFFER_STRIDE,
        .length = VIRTIO_NET_RECEIVE_BUFFER_SIZE,
        .device_writable = true,
    };
    return virtq_driver_add(&net->receive_queue, &segment, 1, index);
}

static enum virtio_net_result set_up_queues(struct virtio_net_driver *net, const struct virtio_net_setup *setup,
                                            uint16_t queue_size)
{
    enum virtio_pci_result result = virtio_pci_set_config_vector(&net->transport, setup->config_vector);
    if (result == VIRTIO_PCI_OK) {
        result = virtio_pci_setup_queue(&net->transport, VIRTIO_NET_RECEIVE_QUEUE, queue_size, setup->receive_vector,
                                        &setup->dma, &net->receive_queue);
    }
    if (result == VIRTIO_PCI_OK) {
        result = virtio_pci_setup_queue(&net->transport, VIRTIO_NET_TRANSMIT_QUEUE, queue_size, setup->transmit_vector,
                                        &setup->dma, &net->transmit_queue);
    }
    if (result != VIRTIO_PCI_OK) {
        return transport_failed(net, result);
    }
    enum virtio_net_result buffers =
        allocate_buffers(&setup->dma, net->receive_queue.size, &net->receive_buffers, &net->receive_buffers_device);
    if (buffers == VIRTIO_NET_OK) {
        buffers = allocate_buffers(&setup->dma, net->transmit_queue.size, &net->transmit_buffers,
                                   &net->transmit_buffers_device);
    }
    if (buffers != VIRTIO_NET_OK) {
        return buffers;
    }
    for (uint16_t i = 0; i < net->receive_queue.size; i++) {
        enum virtq_driver_result posted = post_receive_buffer(net, i);
        if (posted != VIRTQ_DRIVER_OK) {
            net->queue_result = posted;
            return VIRTIO_NET_ERROR_QUEUE;
        }
    }
    virtq_driver_publish(&net->receive_queue); /* no notification before DRIVER_OK */
    for (uint16_t i = 0; i < net->transmit_queue.size; i++) {
        net->transmit_free[i] = i;
    }
    net->transmit_free_count = net->transmit_queue.size;
    virtq_driver_disable_interrupts(&net->transmit_queue);
    return VIRTIO_NET_OK;
}

enum virtio_net_result virtio_net_start(struct virtio_net_driver *net, const struct virtio_net_setup *setup)
{
    if (!net || !setup || !setup->callbacks.receive || !setup->dma.allocate ||
        (setup->queue_size != 0 &&
         (!power_of_two(setup->queue_size) || setup->queue_size > VIRTIO_NET_QUEUE_SIZE_MAX))) {
        return VIRTIO_NET_ERROR_ARGUMENT;
    }
    uint16_t queue_size = setup->queue_size != 0 ? setup->queue_size : VIRTIO_NET_QUEUE_SIZE_MAX;
    memset(net, 0, sizeof(*net));
    net->callbacks = setup->callbacks;
    enum virtio_pci_result transport = virtio_pci_init(&net->transport, &setup->regions);
    if (transport != VIRTIO_PCI_OK) {
        return transport_failed(net, transport);
    }
    uint64_t offered = 0;
    transport = virtio_pci_start(&net->transport, &offered);
    if (transport != VIRTIO_PCI_OK) {
        return transport_failed(net, transport); /* FAILED already set where the device was refused */
    }
    uint64_t wanted = 0;
    enum virtio_net_result result = choose_features(net, offered, &wanted);
    if (result != VIRTIO_NET_OK) {
        return give_up(net, result);
    }
    transport = virtio_pci_negotiate(&net->transport, wanted);
    if (transport != VIRTIO_PCI_OK) {
        return transport_failed(net, transport);
    }
    result = read_identity(net, setup);
    if (result == VIRTIO_NET_OK) {
        result = set_up_queues(net, setup, queue_size);
    }
    if (result == VIRTIO_NET_OK) {
        transport = virtio_pci_ready(&net->transport);
        if (transport == VIRTIO_PCI_OK) {
            transport = virtio_pci_notify(&net->transport, VIRTIO_NET_RECEIVE_QUEUE);
        }
        if (transport != VIRTIO_PCI_OK) {
            result = transport_failed(net, transport);
        }
    }
    if (result != VIRTIO_NET_OK) {
        return give_up(net, result);
    }
    net->running = true;
    return VIRTIO_NET_OK;
}

/* Publishes what was added to queue index and notifies the device if it wants to be. */
static enum virtio_net_result publish(struct virtio_net_driver *net, struct virtq_driver *queue, uint16_t index)
{
    if (!virtq_driver_publish(queue)) {
        return VIRTIO_NET_OK;
    }
    enum virtio_pci_result result = virtio_pci_notify(&net->transport, index);
    if (result != VIRTIO_PCI_OK) {
        net->transport_result = result;
        return give_up(net, VIRTIO_NET_ERROR_TRANSPORT);
    }
    return VIRTIO_NET_OK;
}

/* One used receive buffer: the frame to the callback, unless the device filled it wrongly. */
static void deliver(struct virtio_net_driver *net, uint16_t index, uint32_t length)
{
    if (length < VIRTIO_NET_HEADER_SIZE + VIRTIO_NET_ETHERNET_HEADER_SIZE) {
        net->counters.receive_runts++;
        return;
    }
    const uint8_t *buffer = net->receive_buffers + (size_t)index * VIRTIO_NET_BUFFER_STRIDE;
    uint8_t header[VIRTIO_NET_HEADER_SIZE];
    memcpy(header, buffer, sizeof(header)); /* read once: the device could still be writing */
    uint16_t num_buffers =
        (uint16_t)(header[VIRTIO_NET_HEADER_NUM_BUFFERS] | header[VIRTIO_NET_HEADER_NUM_BUFFERS + 1] << 8);
    /* Without merged buffers (never negotiated) num_buffers must say one; QEMU leaves it 0 then: one as well. */
    if (num_buffers > 1 || header[VIRTIO_NET_HEADER_GSO_TYPE] != VIRTIO_NET_HDR_GSO_NONE ||
        (header[VIRTIO_NET_HEADER_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        net->counters.receive_header_errors++;
        return;
    }
    net->counters.frames_received++;
    net->callbacks.receive(net->callbacks.context, buffer + VIRTIO_NET_HEADER_SIZE, length - VIRTIO_NET_HEADER_SIZE);
}

static enum virtio_net_result receive(struct virtio_net_driver *net)
{
    struct virtq_driver *queue = &net->receive_queue;
    for (uint16_t taken = 0; taken < queue->size; taken++) {
        struct virtq_driver_used used;
        enum virtq_driver_result result = virtq_driver_get_used(queue, &used);
        if (result == VIRTQ_DRIVER_EMPTY) {
            break;
        }
        if (result != VIRTQ_DRIVER_OK && result != VIRTQ_DRIVER_ERROR_USED_LENGTH) {
            return queue_failed(net, result);
        }
        uint16_t index = (uint16_t)used.cookie; /* the queue hands back only cookies it was given: below size */
        if (result == VIRTQ_DRIVER_ERROR_USED_LENGTH) {
            net->counters.receive_length_errors++;
        } else {
            deliver(net, index, used.length);
        }
        result = post_receive_buffer(net, index);
        if (result != VIRTQ_DRIVER_OK) {
            return queue_failed(net, result);
        }
    }
    return publish(net, queue, VIRTIO_NET_RECEIVE_QUEUE);
}

/* Takes back the transmit buffers the device has finished with. */
static enum virtio_net_result reclaim_transmitted(struct virtio_net_driver *net)
{
    for (;;) {
        struct virtq_driver_used used;
        enum virtq_driver_result result = virtq_driver_get_used(&net->transmit_queue, &used);
        if (result == VIRTQ_DRIVER_EMPTY) {
            break;
        }
        if (result != VIRTQ_DRIVER_OK && result != VIRTQ_DRIVER_ERROR_USED_LENGTH) {
            return queue_failed(net, result);
        }
        if (result == VIRTQ_DRIVER_ERROR_USED_LENGTH) {
            net->counters.transmit_length_errors++;
        }
        net->transmit_free[net->transmit_free_count++] = (uint16_t)used.cookie;
    }
    if (net->transmit_waiting && net->transmit_free_count != 0) {
        net->transmit_waiting = false;
        virtq_driver_disable_interrupts(&net->transmit_queue);
    }
    return VIRTIO_NET_OK;
}

enum virtio_net_result virtio_net_poll(struct virtio_net_driver *net)
{
    if (!net->running) {
        return VIRTIO_NET_ERROR_NOT_RUNNING;
    }
    enum virtio_net_result result = receive(net);
    if (result != VIRTIO_NET_OK) {
        return result;
    }
    return reclaim_transmitted(net);
}

size_t virtio_net_frame_max(const struct virtio_net_driver *net)
{
    return (size_t)net->mtu + VIRTIO_NET_ETHERNET_HEADER_SIZE + VIRTIO_NET_VLAN_TAG_SIZE;
}

/* A free transmit buffer, or FULL with transmit interrupts on so that the device says when one comes back. */
static enum virtio_net_result free_transmit_buffer(struct virtio_net_driver *net, uint16_t *index)
{
    enum virtio_net_result result = reclaim_transmitted(net);
    if (result == VIRTIO_NET_OK && net->transmit_free_count == 0) {
        net->transmit_waiting = true;
        if (virtq_driver_enable_interrupts(&net->transmit_queue)) {
            result = reclaim_transmitted(net); /* used while interrupts were off: no interrupt will say so */
        }
    }
    if (result != VIRTIO_NET_OK) {
        return result;
    }
    if (net->transmit_free_count == 0) {
        net->counters.transmit_full++;
        return VIRTIO_NET_FULL;
    }
    *index = net->transmit_free[--net->transmit_free_count];
    return VIRTIO_NET_OK;
}

enum virtio_net_result virtio_net_transmit(struct virtio_net_driver *net, const uint8_t *frame, size_t length)
{
    if (!net->running) {
        return VIRTIO_NET_ERROR_NOT_RUNNING;
    }
    if (!frame || length < VIRTIO_NET_ETHERNET_HEADER_SIZE || length > virtio_net_frame_max(net)) {
        return VIRTIO_NET_ERROR_ARGUMENT;
    }
    uint16_t index = 0;
    enum virtio_net_result result = free_transmit_buffer(net, &index);
    if (result != VIRTIO_NET_OK) {
        return result;
    }
    uint8_t *buffer = net->transmit_buffers + (size_t)index * VIRTIO_NET_BUFFER_STRIDE;
    memset(buffer, 0, VIRTIO_NET_HEADER_SIZE); /* no flags, GSO_NONE, num_buffers 0 (spec: Packet Transmission) */
    memcpy(buffer + VIRTIO_NET_HEADER_SIZE, frame, length);
    struct virtq_driver_segment segment = {
        .device_address = net->transmit_buffers_device + (uint64_t)index * VIRTIO_NET_BUFFER_STRIDE,
        .length = (uint32_t)(VIRTIO_NET_HEADER_SIZE + length),
        .device_writable = false,
    };
    /* As many buffers as descriptors, one descriptor a frame: a free buffer means a free descriptor. */
    enum virtq_driver_result added = virtq_driver_add(&net->transmit_queue, &segment, 1, index);
    if (added != VIRTQ_DRIVER_OK) {
        net->transmit_free[net->transmit_free_count++] = index;
        return queue_failed(net, added);
    }
    net->counters.frames_sent++;
    return publish(net, &net->transmit_queue, VIRTIO_NET_TRANSMIT_QUEUE);
}

enum virtio_net_result virtio_net_config_changed(struct virtio_net_driver *net)
{
    if (!net->running) {
        return VIRTIO_NET_ERROR_NOT_RUNNING;
    }
    if (virtio_pci_device_status(&net->transport) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
        return give_up(net, VIRTIO_NET_ERROR_NEEDS_RESET);
    }
    if (!virtio_pci_has_feature(&net->transport, VIRTIO_NET_F_STATUS)) {
        return VIRTIO_NET_OK;
    }
    struct virtio_pci_config_field status = {.offset = VIRTIO_NET_CONFIG_STATUS, .width = 2};
    enum virtio_pci_result result = virtio_pci_read_config(&net->transport, &status, 1);
    if (result != VIRTIO_PCI_OK) {
        return transport_failed(net, result); /* the link state is unknown this time; the driver runs on */
    }
    bool up = (status.value & VIRTIO_NET_S_LINK_UP) != 0;
    if (up != net->link_up) {
        net->link_up = up;
        net->counters.link_changes++;
        if (net->callbacks.link_changed) {
            net->callbacks.link_changed(net->callbacks.context, up);
        }
    }
    return VIRTIO_NET_OK;
}

bool virtio_net_link_up(const struct virtio_net_driver *net)
{
    return net->link_up;
}

const uint8_t *virtio_net_mac(const struct virtio_net_driver *net)
{
    return net->mac;
}
