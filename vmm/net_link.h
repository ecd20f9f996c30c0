/*
 * A VM's network port linked to another VM's: the two uvmms share a memory
 * region (the manifest's "shared" line, named by both) holding a frame ring
 * each way. The guest's transmitted frames go into the ring to the peer and
 * the peer's uvmm is woken through a gate to its thread (the manifest's
 * "capability peer:<app>", named "net-peer"); frames from the peer move into
 * the guest's receive buffers before each guest entry and whenever the guest
 * adds buffers. Until the host's virtual switch exists, this is how two VMs
 * talk: a point-to-point Ethernet cable.
 *
 * A peer that corrupts the rings breaks the link (noted once), not this VM.
 */
#ifndef VMM_NET_LINK_H
#define VMM_NET_LINK_H

#include "net/frame_link.h"
#include "virtio/virtio_net.h"

#include <stdbool.h>
#include <stdint.h>

struct net_link_statistics {
    uint64_t sent;         /* frames handed to the peer */
    uint64_t received;     /* frames delivered to the guest */
    uint64_t dropped_full; /* the ring to the peer was full */
};

struct net_link {
    struct frame_link link;
    struct virtio_net *net;
    const char *broken; /* why the link stopped, or NULL */
    struct net_link_statistics statistics;
    uint8_t frame[FRAME_RING_MAX_FRAME];
};

/*
 * Opens end (0 or 1) of the link in the shared region named region, woken through "peer:<peer_app>" (NULL: none),
 * for the device net (whose backend is net_link_backend(link)). NULL, or why not.
 */
const char *net_link_open(struct net_link *link, const char *region, unsigned end, const char *peer_app);

/* The backend a virtio-net device needs to send through link and to be told of new receive buffers. */
struct virtio_net_backend net_link_backend(struct net_link *link);

/* The VM ended: tells the peer (the ring to it is closed) and wakes it. */
void net_link_close(struct net_link *link);

/* Moves the peer's frames into the guest's receive buffers while it has some (before each guest entry). */
void net_link_deliver(struct net_link *link);

#endif
