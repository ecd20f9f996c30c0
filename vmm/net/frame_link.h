/*
 * One end of a frame link between two Micro-Apps (a VM's uvmm, the virtual
 * switch, the agent): the two frame rings in the memory region the manifest
 * shares between them ("shared <region>"), and the gate that wakes the other
 * side ("capability peer:<app>"). End 0 and end 1 see the rings the other
 * way round. Uses the runtime (environment, capabilities, IPC), unlike the
 * rings themselves.
 */
#ifndef VMM_NET_FRAME_LINK_H
#define VMM_NET_FRAME_LINK_H

#include "frame_ring.h"

#include <stdint.h>

struct frame_link {
    struct frame_ring out; /* frames to the peer */
    struct frame_ring in;  /* frames from the peer */
    uint64_t peer_gate;    /* 0: the peer is not woken (it polls) */
};

/* Opens end (0 or 1) of the link in the shared region named region, woken through "peer:<peer_app>" (NULL: none). */
const char *frame_link_open(struct frame_link *link, const char *region, unsigned end, const char *peer_app);

/* Tells the peer there is news (frames, or the close) without waiting: a busy peer finds it on its next round. */
void frame_link_wake(const struct frame_link *link);

/* This side sends no more (its VM or app ended): closes the ring to the peer and wakes it. */
void frame_link_close(struct frame_link *link);

#endif
