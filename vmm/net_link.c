#include "net_link.h"

#include <stdio.h>

static void break_link(struct net_link *link, const char *reason)
{
    if (!link->broken) {
        link->broken = reason;
        printf("net: link stopped: %s\n", reason);
    }
}

void net_link_close(struct net_link *link)
{
    frame_link_close(&link->link);
}

static bool transmit(void *context, const uint8_t *frame, size_t length)
{
    struct net_link *link = context;
    if (link->broken) {
        return false;
    }
    enum frame_ring_result result = frame_ring_push(&link->link.out, frame, length);
    if (result == FRAME_RING_CORRUPT) {
        break_link(link, "the peer corrupted the ring to it");
    }
    if (result != FRAME_RING_OK) {
        link->statistics.dropped_full += result == FRAME_RING_EMPTY;
        return false;
    }
    link->statistics.sent++;
    frame_link_wake(&link->link);
    return true;
}

void net_link_deliver(struct net_link *link)
{
    while (!link->broken) {
        size_t length = 0;
        enum frame_ring_result result = frame_ring_peek(&link->link.in, link->frame, sizeof(link->frame), &length);
        if (result == FRAME_RING_CORRUPT) {
            break_link(link, "the peer corrupted the ring from it");
        }
        if (result != FRAME_RING_OK || !virtio_net_receive(link->net, link->frame, length)) {
            return; /* empty, or the guest has no receive buffer now: it gets the frame when it adds one */
        }
        frame_ring_consume(&link->link.in);
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

const char *net_link_open(struct net_link *link, const char *region, unsigned end, const char *peer_app)
{
    return frame_link_open(&link->link, region, end, peer_app);
}
