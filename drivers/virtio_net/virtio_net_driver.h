/*
 * The host's NIC: a virtio network device (VIRTIO 1.2 section 5.1) over the
 * modern virtio-pci transport, with one receive and one transmit queue and no
 * offloads. Accepted if offered: MAC, STATUS, and MTU when the device's mtu
 * fits the buffers (68..1500); nothing else (no checksum or segmentation
 * offloads, no merged receive buffers, no control queue, no multiqueue), so
 * every frame travels whole, fully checksummed, in one buffer behind the
 * 12-byte struct virtio_net_hdr.
 *
 * Receive: every receive descriptor holds one buffer of
 * VIRTIO_NET_RECEIVE_BUFFER_SIZE bytes (header, 1514-byte frame, one VLAN
 * tag); virtio_net_poll hands each received frame to the receive callback and
 * puts its buffer straight back, so the ring stays full. Transmit: the frame
 * is copied behind a zeroed header into one of as many transmit buffers as
 * the queue has descriptors; completed ones are freed by the next transmit or
 * poll; VIRTIO_NET_FULL when all are with the device. Transmit interrupts are
 * suppressed except while the queue is full (then the transmit vector says
 * buffers came back: poll, then send again).
 *
 * The device is not trusted: used ring entries are checked by the queue
 * (virtqueue_driver.h); a broken queue ends the driver's use of the device
 * (FAILED set, every call VIRTIO_NET_ERROR_NOT_RUNNING until started again);
 * a received length beyond the buffer, a runt, or a header this driver did not
 * negotiate drop that one frame, counted.
 *
 * One thread calls everything, on MSI-X interrupts (receive and transmit
 * vectors: virtio_net_poll; configuration vector: virtio_net_config_changed)
 * or by polling. The receive callback may call virtio_net_transmit, not poll.
 */
#ifndef DRIVERS_VIRTIO_NET_VIRTIO_NET_DRIVER_H
#define DRIVERS_VIRTIO_NET_VIRTIO_NET_DRIVER_H

#include "dma_allocator.h"
#include "virtio_pci_modern.h"
#include "virtqueue_driver.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_NET 1u

#define VIRTIO_NET_RECEIVE_QUEUE 0u  /* receiveq1 */
#define VIRTIO_NET_TRANSMIT_QUEUE 1u /* transmitq1 */

/* Feature bits (section 5.1.3) the driver accepts. */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16

/* struct virtio_net_config (section 5.1.4): byte offsets of the fields read. */
#define VIRTIO_NET_CONFIG_MAC 0u    /* u8[6] */
#define VIRTIO_NET_CONFIG_STATUS 6u /* le16, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_CONFIG_MTU 10u   /* le16, with VIRTIO_NET_F_MTU */
#define VIRTIO_NET_S_LINK_UP 1u

#define VIRTIO_NET_MAC_BYTES 6u
#define VIRTIO_NET_MTU_MIN 68u   /* the spec's smallest mtu a device may report */
#define VIRTIO_NET_MTU_MAX 1500u /* what the buffers are sized for */

/* struct virtio_net_hdr without the hash fields: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset,
 * num_buffers. */
#define VIRTIO_NET_HEADER_SIZE 12u
#define VIRTIO_NET_HEADER_FLAGS 0u
#define VIRTIO_NET_HEADER_GSO_TYPE 1u
#define VIRTIO_NET_HEADER_NUM_BUFFERS 10u
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_GSO_NONE 0u

#define VIRTIO_NET_ETHERNET_HEADER_SIZE 14u
#define VIRTIO_NET_VLAN_TAG_SIZE 4u
/* The largest frame either way with the 1500-byte MTU: Ethernet header, one VLAN tag, payload; no FCS. */
#define VIRTIO_NET_FRAME_MAX (VIRTIO_NET_ETHERNET_HEADER_SIZE + VIRTIO_NET_VLAN_TAG_SIZE + VIRTIO_NET_MTU_MAX)
#define VIRTIO_NET_RECEIVE_BUFFER_SIZE (VIRTIO_NET_HEADER_SIZE + VIRTIO_NET_FRAME_MAX)
/* Buffers sit this far apart in their DMA block (16-byte aligned). */
#define VIRTIO_NET_BUFFER_STRIDE 1536u

/* The largest queue used (a power of two): 256 buffers of 1536 bytes each way. */
#define VIRTIO_NET_QUEUE_SIZE_MAX VIRTQ_DRIVER_SIZE_MAX

enum virtio_net_result {
    VIRTIO_NET_OK = 0,
    VIRTIO_NET_FULL,              /* transmit: every transmit buffer is with the device */
    VIRTIO_NET_ERROR_ARGUMENT,    /* a bad setup, or a frame shorter than an Ethernet header or too long */
    VIRTIO_NET_ERROR_TRANSPORT,   /* the transport failed: transport_result says how */
    VIRTIO_NET_ERROR_MAC,         /* the device's MAC (or without one, the fallback) is not usable */
    VIRTIO_NET_ERROR_NO_MEMORY,   /* no DMA memory for the frame buffers */
    VIRTIO_NET_ERROR_QUEUE,       /* the device broke a queue: queue_result says how; FAILED set */
    VIRTIO_NET_ERROR_NEEDS_RESET, /* the device set DEVICE_NEEDS_RESET; FAILED set */
    VIRTIO_NET_ERROR_NOT_RUNNING, /* not started, or given up after an error */
};

/* A sentence saying what the result means, for logs and failure reports. */
const char *virtio_net_result_reason(enum virtio_net_result result);

struct virtio_net_callbacks {
    /* One received frame (Ethernet header first, no FCS), in the driver's buffer: valid during the call only. */
    void (*receive)(void *context, const uint8_t *frame, size_t length);
    /* The link went up or down (VIRTIO_NET_F_STATUS); NULL: not wanted. */
    void (*link_changed)(void *context, bool up);
    void *context;
};

struct virtio_net_setup {
    struct virtio_pci_regions regions;
    struct dma_allocator dma;
    uint16_t config_vector; /* MSI-X table entry, or VIRTIO_MSI_NO_VECTOR (no interrupt: poll) */
    uint16_t receive_vector;
    uint16_t transmit_vector;
    uint16_t queue_size; /* the largest queue wanted: a power of two up to VIRTIO_NET_QUEUE_SIZE_MAX; 0: that */
    uint8_t fallback_mac[VIRTIO_NET_MAC_BYTES]; /* without VIRTIO_NET_F_MAC: a locally administered unicast MAC */
    struct virtio_net_callbacks callbacks;
};

/* What moved, and what the device got wrong. */
struct virtio_net_counters {
    uint64_t frames_received;        /* handed to the receive callback */
    uint64_t frames_sent;            /* handed to the device */
    uint64_t transmit_full;          /* transmit answered VIRTIO_NET_FULL */
    uint64_t receive_length_errors;  /* a used length beyond the receive buffer: dropped */
    uint64_t receive_runts;          /* shorter than a header and an Ethernet header: dropped */
    uint64_t receive_header_errors;  /* num_buffers above 1 (0 is taken as 1), a GSO type, or NEEDS_CSUM: dropped */
    uint64_t transmit_length_errors; /* the device claimed to write into a transmit buffer (freed all the same) */
    uint64_t link_changes;
};

struct virtio_net_driver {
    struct virtio_pci transport;
    struct virtq_driver receive_queue;
    struct virtq_driver transmit_queue;
    uint8_t *receive_buffers; /* receive_queue.size buffers, VIRTIO_NET_BUFFER_STRIDE apart */
    uint64_t receive_buffers_device;
    uint8_t *transmit_buffers;
    uint64_t transmit_buffers_device;
    uint16_t transmit_free[VIRTIO_NET_QUEUE_SIZE_MAX]; /* indices of the transmit buffers not with the device */
    uint16_t transmit_free_count;
    bool transmit_waiting; /* transmit interrupts on: the queue was full */
    uint8_t mac[VIRTIO_NET_MAC_BYTES];
    uint16_t mtu;
    bool link_up;
    bool running;
    enum virtio_pci_result transport_result; /* the transport's failure behind VIRTIO_NET_ERROR_TRANSPORT */
    enum virtq_driver_result queue_result;   /* the queue's failure behind VIRTIO_NET_ERROR_QUEUE */
    struct virtio_net_callbacks callbacks;
    struct virtio_net_counters counters;
};

/*
 * Brings the device up: features, MAC, link state, both queues with their
 * vectors, every receive buffer posted, DRIVER_OK. On failure the device is
 * left FAILED (when it got that far) and the driver not running.
 */
enum virtio_net_result virtio_net_start(struct virtio_net_driver *net, const struct virtio_net_setup *setup);

/* Delivers the frames received (at most one queue's worth), reposts their buffers, frees transmitted ones. */
enum virtio_net_result virtio_net_poll(struct virtio_net_driver *net);

/* Sends one Ethernet frame (copied: the caller's buffer is free again on return), or VIRTIO_NET_FULL. */
enum virtio_net_result virtio_net_transmit(struct virtio_net_driver *net, const uint8_t *frame, size_t length);

/* On the configuration vector: re-reads the link state (calling link_changed if it changed); checks for NEEDS_RESET. */
enum virtio_net_result virtio_net_config_changed(struct virtio_net_driver *net);

/* The largest frame virtio_net_transmit takes: the MTU, an Ethernet header and a VLAN tag. */
size_t virtio_net_frame_max(const struct virtio_net_driver *net);

bool virtio_net_link_up(const struct virtio_net_driver *net);

/* The NIC's MAC address: the device's (VIRTIO_NET_F_MAC), else the setup's fallback. */
const uint8_t *virtio_net_mac(const struct virtio_net_driver *net);

#endif
