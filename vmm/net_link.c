#include "net_link.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>

#define WAKE_LABEL 1 /* the message carries nothing: the peer looks at the ring */

static void break_link(struct net_link *link, const char *reason)
{
    if (!link->broken) {
        link->broken = reason;
        printf("net: link stopped: %s\n", reason);
    }
}

static void wake_peer(const struct net_link *link)
{
    if (link->peer_gate) {
        /* Polling send: a peer that is not waiting finds the ring's news on its next round anyway. */
        ipc_send(link->peer_gate, WAKE_LABEL, TIMEOUTS(0, 0));
    }
}

void net_link_close(struct net_link *link)
{
    frame_ring_close(&link->to_peer);
    wake_peer(link);
}

static bool transmit(void *context, const uint8_t *frame, size_t length)
{
    struct net_link *link = context;
    if (link->broken) {
        return false;
    }
    enum frame_ring_result result = frame_ring_push(&link->to_peer, frame, length);
    if (result == FRAME_RING_CORRUPT) {
        break_link(link, "the peer corrupted the ring to it");
    }
    if (result != FRAME_RING_OK) {
        link->statistics.dropped_full += result == FRAME_RING_EMPTY;
        return false;
    }
    link->statistics.sent++;
    wake_peer(link);
    return true;
}

void net_link_deliver(struct net_link *link)
{
    while (!link->broken) {
        size_t length = 0;
        enum frame_ring_result result = frame_ring_peek(&link->from_peer, link->frame, sizeof(link->frame), &length);
        if (result == FRAME_RING_CORRUPT) {
            break_link(link, "the peer corrupted the ring from it");
        }
        if (result != FRAME_RING_OK || !virtio_net_receive(link->net, link->frame, length)) {
            return; /* empty, or the guest has no receive buffer now: it gets the frame when it adds one */
        }
        frame_ring_consume(&link->from_peer);
        link->statistics.received++;
    }
}

static void receive_ready(void *context)
{
    net_link_deliver(context);
}

struct virtio_net_backend net_link_backend(struct net_link *link)
{
    return (struct virtio_net_backend){.transmit = transmit, .receive_ready = receive_ready, .context = link};
}

const char *net_link_open(struct net_link *link, const char *region, unsigned end, uint64_t peer_gate)
{
    void *memory = NULL;
    uint64_t size = 0;
    if (!environment_shared(region, &memory, &size)) {
        return "no such shared region (the manifest's shared lines)";
    }
    link->peer_gate = peer_gate;
    return frame_ring_attach_link(&link->to_peer, &link->from_peer, memory, size, end);
}
