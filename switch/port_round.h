/*
 * A switch round over every port, apart from the runtime so that the host tests can run it over rings in plain
 * memory. The round takes frames from the ports in turn, up to PORT_ROUND_QUANTUM frames from each port per pass
 * and at most PORT_ROUND_BUDGET frames from a port in all, and hands each frame to the ports forwarding decides on.
 * So a port that floods fills its own ring and loses its own frames (its peer cannot push more), it gets no more of
 * the round than any other port, and the ports that send to the same destination share that destination's free
 * slots in turns of a quantum: a flood does not crowd another port's frames out. (One frame per turn would share
 * more finely, but measured about a fifth less VM-to-VM throughput than bursts of 8 under TCG.) A frame for a port
 * whose ring is still full is dropped and counted against the port it came from.
 */
#ifndef SWITCH_PORT_ROUND_H
#define SWITCH_PORT_ROUND_H

#include "forwarding.h"
#include "vmm/net/frame_link.h"

#include <stdbool.h>
#include <stdint.h>

#define PORT_ROUND_BUDGET 32 /* frames taken from one port per round */
#define PORT_ROUND_QUANTUM 8 /* frames taken from one port per pass: a burst keeps the rings' work in bulk */
#define PORT_NAME_SIZE 32    /* a port's name: at most 31 bytes and a NUL (SWITCH_PORT_NAME_SIZE) */

struct port {
    char name[PORT_NAME_SIZE]; /* the shared region's (static), or the one ATTACH gave */
    const char *peer;          /* static: the peer app; NULL: a runtime port */
    struct frame_link link;    /* end 0; the VM's uvmm (or the agent) holds end 1 */
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t dropped_destination_full; /* this port's frames that a full destination ring refused */
    bool in_use;
    bool closed;
    bool uplink;      /* closed by the switch once nothing else keeps it running */
    bool closed_here; /* the switch closed its side */
    bool needs_wake;  /* frames were pushed to it this round */
    bool broken;      /* the VM's side corrupted the ring: the port is ignored */
};

/*
 * One round over the ports in use; frame is a buffer of FRAME_RING_MAX_FRAME bytes. Marks the ports it pushed to
 * (needs_wake), a port closed once it closed and everything it pushed before was taken, broken if its ring is corrupt.
 * True if any frame moved.
 */
bool port_round_serve(struct port ports[SWITCH_MAX_PORTS], struct forwarding *forwarding, uint8_t *frame);

#endif
