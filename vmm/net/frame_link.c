#include "frame_link.h"

#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>

#define WAKE_LABEL 1 /* the message carries nothing: the peer looks at the rings */

const char *frame_link_open(struct frame_link *link, const char *region, unsigned end, const char *peer_app)
{
    link->peer_gate = 0;
    if (peer_app) {
        char name[APP_CAPABILITY_NAME_SIZE];
        snprintf(name, sizeof(name), "peer:%s", peer_app);
        if (!(link->peer_gate = capability_named(name))) {
            return "no gate to the link's peer (the manifest's capability peer:<app>)";
        }
    }
    void *memory = NULL;
    uint64_t size = 0;
    if (!environment_shared(region, &memory, &size)) {
        return "no such shared region (the manifest's shared lines)";
    }
    return frame_ring_attach_link(&link->out, &link->in, memory, size, end);
}

void frame_link_wake(const struct frame_link *link)
{
    if (link->peer_gate) {
        ipc_send(link->peer_gate, WAKE_LABEL, TIMEOUTS(0, 0));
    }
}

void frame_link_close(struct frame_link *link)
{
    frame_ring_close(&link->out);
    frame_link_wake(link);
}
