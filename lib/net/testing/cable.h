/*
 * An in-memory Ethernet cable between two net_interfaces, for tests: each end's transmit callback queues the
 * frame for the other end, and cable_deliver() hands the queued frames over (never from inside lwIP, as
 * net_interface_input requires). A full queue drops the frame, as a busy link would; the cable can also drop
 * every n-th frame on purpose, to make TCP retransmit.
 */
#ifndef KAPSEL_NET_TESTING_CABLE_H
#define KAPSEL_NET_TESTING_CABLE_H

#include <kapsel/net_interface.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CABLE_QUEUE_FRAMES 32

struct cable_frame {
    size_t length;
    uint8_t bytes[NET_FRAME_MAX];
};

struct cable;

/* One end: its interface, and the frames on their way to it. */
struct cable_end {
    struct cable *cable;
    struct net_interface *iface; /* set once the interface is added; frames for none are dropped */
    struct cable_end *peer;      /* the end whose interface receives what this end's interface sends */
    struct cable_frame queue[CABLE_QUEUE_FRAMES];
    size_t head;
    size_t count;
    uint64_t frames_carried; /* frames queued at this end for its interface */
    uint64_t frames_dropped; /* frames for this end's interface lost: queue full, or dropped on purpose */
};

struct cable {
    struct cable_end ends[2];
    uint32_t drop_every; /* > 0: drop every drop_every-th frame sent, either way */
    uint64_t frames_sent;
};

/* Empties the cable and joins its two ends. */
void cable_init(struct cable *cable);

/* net_transmit_function of the interface at one end (context: that &cable->ends[i]): queues the frame for the
 * other end's interface. */
bool cable_transmit(void *context, const uint8_t *frame, size_t length);

/* The number of frames waiting in the cable, either way. */
size_t cable_queued(const struct cable *cable);

/* Hands the frames queued when it is called to their interfaces (frames sent meanwhile wait for the next call);
 * returns how many it handed over. */
size_t cable_deliver(struct cable *cable);

#endif
