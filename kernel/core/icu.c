#include <kapsel/icu.h>
#include <kapsel/interrupt_lines.h>
#include <kapsel/irq.h>
#include <kapsel/task.h>

static struct object icu = {.type = OBJECT_ICU, .permanent = true};

struct object *icu_object(void)
{
    return &icu;
}

enum error icu_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    switch (MESSAGE_TAG_LABEL(tag)) {
    case ICU_BIND_LINE: {
        if (!(capability->rights & RIGHT_WRITE)) {
            return ERROR_MISSING_RIGHTS;
        }
        if (MESSAGE_TAG_WORDS(tag) < 3 || (message[2] & ~(uint64_t)ICU_LINE_ISA)) {
            return ERROR_INVALID_ARGUMENT;
        }
        struct capability *irq;
        enum error error = capability_lookup(capability->owner, message[0], OBJECT_IRQ, RIGHT_WRITE, &irq);
        if (error != ERROR_NONE) {
            return error;
        }
        if (message[1] >= INTERRUPT_LINES) {
            return ERROR_OUT_OF_RANGE;
        }
        uint32_t line = (uint32_t)message[1];
        if (message[2] & ICU_LINE_ISA) {
            if (line >= 16) {
                return ERROR_OUT_OF_RANGE;
            }
            line = interrupt_line_for_isa(line);
        }
        return interrupt_line_bind((struct irq *)irq->object, line);
    }
    case ICU_INFO:
        if (!(capability->rights & RIGHT_READ)) {
            return ERROR_MISSING_RIGHTS;
        }
        message[0] = interrupt_lines_count();
        *reply_words = 1;
        return ERROR_NONE;
    default:
        return ERROR_INVALID_OPERATION;
    }
}
