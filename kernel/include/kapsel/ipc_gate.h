/* IPC gates: endpoints bound to one receiving thread, each with a label the receiver sees. */
#ifndef KAPSEL_IPC_GATE_H
#define KAPSEL_IPC_GATE_H

#include <kapsel/list.h>
#include <kapsel/object.h>

struct thread;

struct ipc_gate {
    struct object object;
    struct thread *receiver; /* NULL once the thread is gone: sends fail with ERROR_PEER_GONE */
    uint64_t label;
    struct list_node receiver_link; /* in receiver->bound_gates */
};

/* Called by object_destroy: senders queued on the gate get ERROR_PEER_GONE. */
void ipc_gate_teardown(struct ipc_gate *gate);

#endif
