/*
 * Message-signalled interrupts on x86-64: the vectors VECTOR_FIRST_MSI..VECTOR_LAST_MSI,
 * each delivered by the local APIC straight to the Irq bound to it (no I/O APIC; EOI to
 * the local APIC). The message is the one the Intel SDM gives for fixed delivery to one
 * CPU in physical destination mode: address 0xfee00000 | APIC ID << 12, data = vector
 * (edge-triggered, fixed).
 */
#include <arch/lapic.h>
#include <arch/trap.h>
#include <kapsel/irq.h>
#include <kapsel/msi.h>

#define MSI_VECTORS (VECTOR_LAST_MSI - VECTOR_FIRST_MSI + 1)
#define MSI_ADDRESS_BASE 0xfee00000ull
#define MSI_ADDRESS_DESTINATION_SHIFT 12
#define MSI_ADDRESS_DESTINATION_MASK 0xff000ull
#define MSI_DATA_VECTOR_MASK 0xffu

_Static_assert(VECTOR_FIRST_MSI >= VECTOR_FIRST_IRQ && VECTOR_LAST_MSI < VECTOR_SPURIOUS && MSI_VECTORS > 0,
               "the MSI pool lies between the exceptions and the spurious vector");

static struct irq *bound[MSI_VECTORS];
static uint32_t free_vectors = MSI_VECTORS;

static uint64_t address_for_this_cpu(void)
{
    return MSI_ADDRESS_BASE | (((uint64_t)lapic_id() << MSI_ADDRESS_DESTINATION_SHIFT) & MSI_ADDRESS_DESTINATION_MASK);
}

enum error msi_bind(struct irq *irq, struct msi_message *message)
{
    if (irq_bound_to_hardware(irq)) {
        return ERROR_BUSY;
    }
    for (uint32_t index = 0; index < MSI_VECTORS; index++) {
        if (!bound[index]) {
            bound[index] = irq;
            free_vectors--;
            irq->msi_bound = true;
            irq->msi_vector = VECTOR_FIRST_MSI + index;
            message->address = address_for_this_cpu();
            message->data = irq->msi_vector;
            return ERROR_NONE;
        }
    }
    return ERROR_TOO_MANY;
}

void msi_unbind(struct irq *irq)
{
    if (irq->msi_bound) {
        bound[irq->msi_vector - VECTOR_FIRST_MSI] = NULL;
        free_vectors++;
        irq->msi_bound = false;
    }
}

uint32_t msi_vectors_total(void)
{
    return MSI_VECTORS;
}

uint32_t msi_vectors_free(void)
{
    return free_vectors;
}

void msi_fired(uint32_t vector)
{
    if (vector < VECTOR_FIRST_MSI || vector > VECTOR_LAST_MSI || !bound[vector - VECTOR_FIRST_MSI]) {
        return; /* a device still programmed with a vector that was freed: ignored */
    }
    irq_raise(bound[vector - VECTOR_FIRST_MSI]);
}

enum error msi_send_self(const struct msi_message *message)
{
    uint32_t vector = message->data & MSI_DATA_VECTOR_MASK;
    if (message->address != address_for_this_cpu() || message->data != vector || vector < VECTOR_FIRST_MSI ||
        vector > VECTOR_LAST_MSI) {
        return ERROR_INVALID_ARGUMENT;
    }
    lapic_send_self_ipi((uint8_t)vector);
    return ERROR_NONE;
}
