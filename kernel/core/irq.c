#include <kapsel/interrupt_lines.h>
#include <kapsel/ipc.h>
#include <kapsel/irq.h>
#include <kapsel/msi.h>
#include <kapsel/thread.h>

void irq_raise(struct irq *irq)
{
    if (irq->in_service || !irq->receiver) {
        irq->pending = true;
        return;
    }
    if (ipc_deliver_irq(irq->receiver, &irq->object, irq->label)) {
        irq->in_service = true;
        return;
    }
    irq->pending = true;
    if (!list_linked(&irq->pending_link)) {
        list_add_tail(&irq->receiver->pending_irqs, &irq->pending_link);
    }
}

static void acknowledge(struct irq *irq)
{
    irq->in_service = false;
    interrupt_line_unmask(irq);
    if (irq->pending) {
        irq->pending = false;
        if (list_linked(&irq->pending_link)) {
            list_remove(&irq->pending_link);
        }
        irq_raise(irq);
    }
}

static enum error bind(struct irq *irq, struct task *caller, uint64_t thread_slot, uint64_t label)
{
    struct capability *thread_capability;
    enum error error = capability_lookup(caller, thread_slot, OBJECT_THREAD, RIGHT_WRITE, &thread_capability);
    if (error != ERROR_NONE) {
        return error;
    }
    if (irq->receiver) {
        list_remove(&irq->receiver_link);
        if (list_linked(&irq->pending_link)) {
            list_remove(&irq->pending_link);
        }
    }
    struct thread *receiver = (struct thread *)thread_capability->object;
    irq->receiver = receiver;
    irq->label = label;
    list_add_tail(&receiver->bound_irqs, &irq->receiver_link);
    if (irq->pending && !irq->in_service) {
        irq->pending = false;
        irq_raise(irq);
    }
    return ERROR_NONE;
}

enum error irq_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    (void)reply_words;
    struct irq *irq = (struct irq *)capability->object;
    if (!(capability->rights & RIGHT_WRITE)) {
        return ERROR_MISSING_RIGHTS;
    }
    switch (MESSAGE_TAG_LABEL(tag)) {
    case IRQ_BIND:
        if (MESSAGE_TAG_WORDS(tag) < 2) {
            return ERROR_INVALID_ARGUMENT;
        }
        return bind(irq, capability->owner, message[0], message[1]);
    case IRQ_TRIGGER:
        irq_raise(irq);
        return ERROR_NONE;
    case IRQ_ACKNOWLEDGE:
        acknowledge(irq);
        return ERROR_NONE;
    default:
        return ERROR_INVALID_OPERATION;
    }
}

void irq_teardown(struct irq *irq)
{
    interrupt_line_unbind(irq);
    msi_unbind(irq);
    if (irq->receiver) {
        list_remove(&irq->receiver_link);
        if (list_linked(&irq->pending_link)) {
            list_remove(&irq->pending_link);
        }
        irq->receiver = NULL;
    }
}
