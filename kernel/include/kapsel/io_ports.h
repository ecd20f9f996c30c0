/* The I/O port space (x86): the root task owns it and grants port ranges to drivers, task by task. */
#ifndef KAPSEL_IO_PORTS_H
#define KAPSEL_IO_PORTS_H

#include <kapsel/object.h>

struct task;

struct object *io_ports_object(void);

enum error io_ports_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

/* Frees a task's port permissions (task teardown). */
void io_ports_release(struct task *task);

#endif
