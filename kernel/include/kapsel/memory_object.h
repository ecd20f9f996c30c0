/* The Memory object: the root task's source of physical memory (fresh frames, mapped as it asks). */
#ifndef KAPSEL_MEMORY_OBJECT_H
#define KAPSEL_MEMORY_OBJECT_H

#include <kapsel/object.h>

struct object *memory_object(void);

enum error memory_object_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

#endif
