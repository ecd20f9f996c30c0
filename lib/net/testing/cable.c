/* An in-memory Ethernet cable between two net_interfaces (cable.h). */
#include "cable.h"

#include <string.h>

void cable_init(struct cable *cable)
{
    memset(cable, 0, sizeof(*cable));
    for (int i = 0; i < 2; i++) {
        cable->ends[i].cable = cable;
        cable->ends[i].peer = &cable->ends[1 - i];
    }
}

bool cable_transmit(void *context, const uint8_t *frame, size_t length)
{
    struct cable_end *from = context;
    struct cable_end *to = from->peer;
    struct cable *cable = from->cable;
    cable->frames_sent++;
    if (length > NET_FRAME_MAX || to->count == CABLE_QUEUE_FRAMES ||
        (cable->drop_every > 0 && cable->frames_sent % cable->drop_every == 0)) {
        to->frames_dropped++;
        return true; /* sent, and lost on the way */
    }
    struct cable_frame *slot = &to->queue[(to->head + to->count) % CABLE_QUEUE_FRAMES];
    memcpy(slot->bytes, frame, length);
    slot->length = length;
    to->count++;
    to->frames_carried++;
    return true;
}

/* Hands at most count frames of one end's queue to its interface. */
static size_t deliver_end(struct cable_end *end, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct cable_frame *frame = &end->queue[end->head];
        end->head = (end->head + 1) % CABLE_QUEUE_FRAMES;
        end->count--;
        /* net_interface_input copies the frame before lwIP sees it: what lwIP sends meanwhile may reuse the slot. */
        if (end->iface != NULL) {
            net_interface_input(end->iface, frame->bytes, frame->length);
        }
    }
    return count;
}

size_t cable_queued(const struct cable *cable)
{
    return cable->ends[0].count + cable->ends[1].count;
}

size_t cable_deliver(struct cable *cable)
{
    size_t queued[2] = {cable->ends[0].count, cable->ends[1].count};
    return deliver_end(&cable->ends[0], queued[0]) + deliver_end(&cable->ends[1], queued[1]);
}
