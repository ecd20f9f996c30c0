/* The Icu object: the authority to tie Irq objects to hardware interrupt lines (the root task's, to hand out). */
#ifndef KAPSEL_ICU_H
#define KAPSEL_ICU_H

#include <kapsel/object.h>

struct object *icu_object(void);

enum error icu_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

#endif
