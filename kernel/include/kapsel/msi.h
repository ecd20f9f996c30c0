/*
 * Message-signalled interrupts (PCI MSI and MSI-X): a pool of interrupt
 * vectors, each bound to at most one Irq. A device raises the Irq by writing
 * the message's data to its address; the kernel never touches the device.
 * MSIs are edge-triggered: nothing is masked while the Irq is in service,
 * further messages are kept as one pending raise.
 */
#ifndef KAPSEL_MSI_H
#define KAPSEL_MSI_H

#include <kapsel/error.h>
#include <stdint.h>

struct irq;

/* What a device's MSI capability or MSI-X table entry is programmed with. */
struct msi_message {
    uint64_t address;
    uint32_t data;
};

/*
 * Ties irq to a free vector of the pool and fills *message. ERROR_BUSY if irq
 * is bound to a line or an MSI vector already, ERROR_TOO_MANY if the pool is exhausted.
 */
enum error msi_bind(struct irq *irq, struct msi_message *message);

/* Frees irq's vector, if it has one; a message that arrives later is ignored. */
void msi_unbind(struct irq *irq);

/* Vectors in the pool, and how many of them are free. */
uint32_t msi_vectors_total(void);
uint32_t msi_vectors_free(void);

/* Called by the arch interrupt entry for a vector of the pool. */
void msi_fired(uint32_t vector);

/*
 * Self-test support: delivers message to this CPU as a device's write would
 * (an interprocessor interrupt to itself). ERROR_INVALID_ARGUMENT if the
 * message does not name this CPU and a vector of the pool.
 */
enum error msi_send_self(const struct msi_message *message);

#endif
