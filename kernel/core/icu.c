#include <kapsel/icu.h>
#include <kapsel/interrupt_lines.h>
#include <kapsel/irq.h>
#include <kapsel/msi.h>
#include <kapsel/task.h>

static struct object icu = {.type = OBJECT_ICU, .permanent = true};

struct object *icu_object(void)
{
    return &icu;
}

/* ICU_BIND_MSI and ICU_UNBIND name an Irq in word 0, which the caller must be allowed to invoke. */
static enum error irq_argument(struct capability *capability, uint64_t tag, const uint64_t *message, unsigned min_words,
                               struct irq **irq)
{
    if (!(capability->rights & RIGHT_WRITE)) {
        return ERROR_MISSING_RIGHTS;
    }
    if (MESSAGE_TAG_WORDS(tag) < min_words) {
        return ERROR_INVALID_ARGUMENT;
    }
    struct capability *irq_capability;
    enum error error = capability_lookup(capability->owner, message[0], OBJECT_IRQ, RIGHT_WRITE, &irq_capability);
    if (error == ERROR_NONE) {
        *irq = (struct irq *)irq_capability->object;
    }
    return error;
}

static enum error bind_msi(struct irq *irq, uint64_t *message, unsigned *reply_words)
{
    struct msi_message msi;
    enum error error = msi_bind(irq, &msi);
    if (error == ERROR_NONE) {
        message[0] = msi.address;
        message[1] = msi.data;
        *reply_words = 2;
    }
    return error;
}

static enum error unbind(struct irq *irq)
{
    if (!irq_bound_to_hardware(irq)) {
        return ERROR_NOT_FOUND;
    }
    interrupt_line_unbind(irq);
    msi_unbind(irq);
    return ERROR_NONE;
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
    case ICU_BIND_MSI: {
        struct irq *irq;
        enum error error = irq_argument(capability, tag, message, 1, &irq);
        return error != ERROR_NONE ? error : bind_msi(irq, message, reply_words);
    }
    case ICU_UNBIND: {
        struct irq *irq;
        enum error error = irq_argument(capability, tag, message, 1, &irq);
        return error != ERROR_NONE ? error : unbind(irq);
    }
    case ICU_INFO:
        if (!(capability->rights & RIGHT_READ)) {
            return ERROR_MISSING_RIGHTS;
        }
        message[0] = interrupt_lines_count();
        message[1] = msi_vectors_total();
        message[2] = msi_vectors_free();
        *reply_words = 3;
        return ERROR_NONE;
    default:
        return ERROR_INVALID_OPERATION;
    }
}
