/* Irq objects: an interrupt delivered to a bound thread as a message, then acknowledged. */
#ifndef KAPSEL_IRQ_H
#define KAPSEL_IRQ_H

#include <kapsel/list.h>
#include <kapsel/object.h>
#include <stdbool.h>

struct thread;

struct irq {
    struct object object;
    struct thread *receiver;
    uint64_t label;
    bool pending;    /* raised, not yet delivered */
    bool in_service; /* delivered, not yet acknowledged: further raises stay pending */
    bool line_bound; /* a hardware interrupt line raises it */
    uint32_t line;
    bool msi_bound; /* a message-signalled interrupt vector raises it */
    uint32_t msi_vector;
    struct list_node receiver_link; /* in receiver->bound_irqs */
    struct list_node pending_link;  /* in receiver->pending_irqs */
};

enum error irq_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

/* Raises the Irq (from hardware or IRQ_TRIGGER): delivered now if its thread waits, else kept pending. */
void irq_raise(struct irq *irq);

void irq_teardown(struct irq *irq);

/* Bound to a hardware interrupt line or an MSI vector: it can be bound to no other. */
static inline bool irq_bound_to_hardware(const struct irq *irq)
{
    return irq->line_bound || irq->msi_bound;
}

#endif
