/* Tasks: an address space and a capability table, and the threads bound to them. */
#ifndef KAPSEL_TASK_H
#define KAPSEL_TASK_H

#include <kapsel/address_space.h>
#include <kapsel/list.h>
#include <kapsel/object.h>
#include <stdint.h>

#define TASK_MIN_SLOTS 16
#define TASK_MAX_SLOTS 65536

struct task {
    struct object object;
    struct memory_space space; /* its address space, paid for by the factory that made the task */
    struct capability *slots;
    uint64_t slot_count;
    struct list_node threads;
    uint8_t *io_bitmap; /* x86: the ports it may use, one bit each, set = denied; NULL: none */
};

/* A new task with slot_count (a power of two) empty capability slots, charged to factory. */
enum error task_create(struct factory *factory, uint64_t slot_count, struct task **task);

/* Handles a message sent to a task capability. */
enum error task_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

/* Called by object_destroy: kills the task's threads, revokes its capabilities and memory. */
void task_teardown(struct task *task);

#endif
