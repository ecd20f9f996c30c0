/* The Console object: the kernel console, written by the root task's log service. */
#ifndef KAPSEL_CONSOLE_OBJECT_H
#define KAPSEL_CONSOLE_OBJECT_H

#include <kapsel/object.h>

struct object *console_object(void);

enum error console_object_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

#endif
