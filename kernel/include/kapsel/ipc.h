/* Synchronous IPC between threads: send, receive, call, reply; words and map/grant items. */
#ifndef KAPSEL_IPC_H
#define KAPSEL_IPC_H

#include <kapsel/thread.h>
#include <stdint.h>

struct ipc_result {
    enum error error;
    uint64_t tag;   /* of the message received */
    uint64_t label; /* of the gate or Irq it came through */
};

/* The one system call: decodes selector, tag and timeouts for the current thread and performs them. */
struct ipc_result ipc_invoke(uint64_t selector, uint64_t tag, uint64_t timeouts);

/* Sends a kernel-made message (page fault, exception) from thread to the handler in slot, as a call. */
enum error ipc_send_fault(struct thread *thread, uint64_t handler_slot, uint64_t label, unsigned words);

/* Aborts the IPC the thread is blocked in (a timeout, or ex_regs); it sees result. */
void ipc_cancel(struct thread *thread, enum error result);

/* The thread dies: its own IPC ends, queued senders and a caller it owes a reply see ERROR_PEER_GONE. */
void ipc_thread_dies(struct thread *thread);

/* Delivers a raised Irq to its thread if that thread waits for it now; true if delivered. */
bool ipc_deliver_irq(struct thread *receiver, struct object *irq, uint64_t label);

#endif
