/*
 * The network device (VIRTIO 1.2 section 5.1): one Ethernet port with one
 * receiveq and one transmitq. Offered: MAC (given at init), STATUS (the link
 * state) and MTU (1500). No checksum or segmentation offloads, no merged
 * receive buffers, no control queue, no multiqueue: every frame travels whole,
 * fully checksummed, in one chain, behind a 12-byte struct virtio_net_hdr.
 *
 * The device knows nothing of the link behind it. Frames the guest sends go,
 * one by one, to the backend's transmit callback; frames for the guest come in
 * through virtio_net_receive. Frames are at most VIRTIO_NET_MAX_FRAME_SIZE
 * bytes: the 1500-byte MTU, the 14-byte Ethernet header and one 4-byte VLAN
 * tag (a tagged frame from a VLAN interface on a 1500-byte port), no FCS.
 *
 * Nothing here allocates, blocks or makes system calls; all calls come from
 * the thread that handles the guest's MMIO accesses.
 */
#ifndef VMM_VIRTIO_VIRTIO_NET_H
#define VMM_VIRTIO_VIRTIO_NET_H

#include "virtio_mmio.h"
#include "virtqueue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

#define VIRTIO_NET_RECEIVE_QUEUE 0u  /* receiveq1: the guest's empty buffers for incoming frames */
#define VIRTIO_NET_TRANSMIT_QUEUE 1u /* transmitq1: the guest's outgoing frames */
#define VIRTIO_NET_QUEUE_COUNT 2u

/* Feature bits (section 5.1.3) this device offers. */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16

/*
 * The fields of struct virtio_net_config (section 5.1.4) up to mtu, as byte
 * offsets; max_virtqueue_pairs (without VIRTIO_NET_F_MQ) lies between and
 * reads as 0.
 */
#define VIRTIO_NET_CONFIG_MAC 0u    /* u8[6] */
#define VIRTIO_NET_CONFIG_STATUS 6u /* le16 */
#define VIRTIO_NET_CONFIG_MTU 10u   /* le16 */
#define VIRTIO_NET_CONFIG_SIZE 12u

#define VIRTIO_NET_MAC_BYTES 6u
#define VIRTIO_NET_S_LINK_UP 1u /* the status bit; VIRTIO_NET_S_ANNOUNCE needs the control queue */
#define VIRTIO_NET_MTU 1500u

/* struct virtio_net_hdr with num_buffers (VERSION_1 always has it), without the hash fields. */
#define VIRTIO_NET_HEADER_SIZE 12u
/* Header flags the spec defines: NEEDS_CSUM needs VIRTIO_NET_F_CSUM; the other two are the device's, for rx. */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_F_RSC_INFO 4u
#define VIRTIO_NET_HDR_GSO_NONE 0u

#define VIRTIO_NET_ETHERNET_HEADER_SIZE 14u
#define VIRTIO_NET_VLAN_TAG_SIZE 4u
/* The frames the device carries either way: an Ethernet header at least, the MTU and one VLAN tag at most. */
#define VIRTIO_NET_MIN_FRAME_SIZE VIRTIO_NET_ETHERNET_HEADER_SIZE
#define VIRTIO_NET_MAX_FRAME_SIZE (VIRTIO_NET_ETHERNET_HEADER_SIZE + VIRTIO_NET_VLAN_TAG_SIZE + VIRTIO_NET_MTU)

/* What the device connects to; the callbacks run inside the device's processing of a guest access. */
struct virtio_net_backend {
    /*
     * Sends one frame the guest transmitted (VIRTIO_NET_MIN_FRAME_SIZE to
     * VIRTIO_NET_MAX_FRAME_SIZE bytes, in the device's own buffer, valid
     * during the call). False: the link is full; the frame is dropped and
     * counted, as a real port does (the guest's protocols retransmit). It may
     * call virtio_net_receive (a loopback link).
     */
    bool (*transmit)(void *context, const uint8_t *frame, size_t length);
    /* The driver added receive buffers: frames virtio_net_receive refused can be offered again. May be spurious. */
    void (*receive_ready)(void *context);
    void *context;
};

/* What moved through the port, for the VMM to report; kept across driver resets. */
struct virtio_net_statistics {
    uint64_t tx_frames; /* handed to the link */
    uint64_t tx_bytes;
    uint64_t tx_dropped;   /* the link was full */
    uint64_t tx_malformed; /* dropped: offload flags, no whole header, frame size outside the limits */
    uint64_t rx_frames;    /* put into the guest's receive buffers */
    uint64_t rx_bytes;
    uint64_t rx_dropped;   /* larger than the guest's receive buffer, which came back empty */
    uint64_t rx_malformed; /* dropped: frame size from the link outside the limits */
};

struct virtio_net {
    struct virtio_mmio_device transport; /* what the VMM forwards the MMIO window to */
    uint8_t mac[VIRTIO_NET_MAC_BYTES];
    uint16_t status; /* VIRTIO_NET_S_LINK_UP or 0 */
    struct virtio_net_backend backend;
    struct virtio_net_statistics statistics;
    /* One chain per queue (too large for a small stack), so a transmit callback may receive. */
    struct virtq_chain transmit_chain;
    struct virtq_chain receive_chain;
    uint8_t frame[VIRTIO_NET_MAX_FRAME_SIZE]; /* the frame being transmitted, copied out of guest RAM */
};

/*
 * Sets up the device with the port's mac (a unicast address, not all zeros)
 * and the link up, connected to backend (transmit and receive_ready
 * required). The VMM then forwards the guest's accesses to its window to
 * virtio_mmio_read/write(&net->transport, ...). NULL, or why it cannot be set
 * up.
 */
const char *virtio_net_init(struct virtio_net *net, const struct guest_memory *memory,
                            const uint8_t mac[VIRTIO_NET_MAC_BYTES], const struct virtio_net_backend *backend,
                            void (*raise_interrupt)(void *context), void *interrupt_context);

/*
 * Sets the link state the guest reads in status; a change notifies the
 * driver. It is what the guest sees, not a switch: frames move either way.
 */
void virtio_net_set_link(struct virtio_net *net, bool up);

/*
 * Puts one frame from the link into the guest's next receive buffer and
 * interrupts the driver. True: the device is done with the frame, delivered
 * or dropped and counted (outside the frame size limits, or larger than that
 * buffer, which goes back empty). False: no receive buffer now (or no running
 * driver); the caller keeps the frame and offers it again after receive_ready.
 */
bool virtio_net_receive(struct virtio_net *net, const uint8_t *frame, size_t length);

#endif
