/* See port_round.h. */
#include "port_round.h"

#include <stdio.h>

/* Hands a frame from port source to the ports forwarding decides on. */
static void forward(struct port ports[SWITCH_MAX_PORTS], struct forwarding *forwarding, unsigned source,
                    const uint8_t *frame, size_t length)
{
    uint32_t destinations = forwarding_decide(forwarding, source, frame, length);
    for (unsigned target = 0; target < SWITCH_MAX_PORTS; target++) {
        struct port *to = &ports[target];
        if (!(destinations & (1u << target)) || to->closed || to->closed_here) {
            continue;
        }
        if (frame_ring_push(&to->link.out, frame, length) == FRAME_RING_OK) {
            to->frames_out++;
            to->needs_wake = true;
        } else {
            ports[source].dropped_destination_full++;
        }
    }
}

/* Takes the port's next frame, if it has one, and forwards it; true if it did. */
static bool take_one(struct port ports[SWITCH_MAX_PORTS], struct forwarding *forwarding, unsigned source,
                     uint8_t *frame)
{
    struct port *port = &ports[source];
    size_t length = 0;
    enum frame_ring_result result = frame_ring_peek(&port->link.in, frame, FRAME_RING_MAX_FRAME, &length);
    if (result == FRAME_RING_CORRUPT) {
        port->broken = true;
        printf("port %s: stopped: its VM's side corrupted the ring\n", port->name);
    }
    if (result != FRAME_RING_OK) {
        return false;
    }
    frame_ring_consume(&port->link.in);
    port->frames_in++;
    forward(ports, forwarding, source, frame, length);
    return true;
}

bool port_round_serve(struct port ports[SWITCH_MAX_PORTS], struct forwarding *forwarding, uint8_t *frame)
{
    bool moved = false;
    bool took = true;
    for (unsigned pass = 0; pass < PORT_ROUND_BUDGET / PORT_ROUND_QUANTUM && took; pass++) {
        took = false;
        for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
            for (unsigned n = 0; n < PORT_ROUND_QUANTUM && ports[i].in_use && !ports[i].broken; n++) {
                if (!take_one(ports, forwarding, i, frame)) {
                    break;
                }
                took = true;
            }
        }
        moved |= took;
    }
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
        struct port *port = &ports[i];
        /* Closed once it said so and nothing it pushed before is left (a full budget may have left some). */
        size_t length;
        if (port->in_use && !port->closed && frame_ring_closed(&port->link.in) &&
            frame_ring_peek(&port->link.in, frame, FRAME_RING_MAX_FRAME, &length) == FRAME_RING_EMPTY) {
            port->closed = true;
        }
    }
    return moved;
}
