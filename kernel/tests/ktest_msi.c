/*
 * Message-signalled interrupts without a device: an Irq is bound to a vector of the MSI
 * pool through msi_bind (what ICU_BIND_MSI calls), and the message is delivered as the
 * device's write would be, by an interprocessor interrupt this CPU sends to itself.
 * A missing EOI would hold back the timer (a lower-priority vector) for good, and the
 * harness would report the hang.
 */
#include <kapsel/arch.h>
#include <kapsel/irq.h>
#include <kapsel/ktest.h>
#include <kapsel/msi.h>
#include <kapsel/timer.h>

#define MSI_ADDRESS_WINDOW 0xfee00000ull /* x86: the local APICs' message window, 1 MiB */
#define MSI_ADDRESS_WINDOW_MASK 0xfff00000ull
#define TICKS_TO_WAIT 3

static void irq_init(struct irq *irq)
{
    *irq = (struct irq){0};
    list_init(&irq->receiver_link);
    list_init(&irq->pending_link);
}

/* Lets interrupts in until irq is raised or some timer ticks have passed. */
static bool raised_within_ticks(const struct irq *irq, uint64_t ticks)
{
    uint64_t deadline = timer_ticks() + ticks;
    while (!irq->pending && timer_ticks() < deadline) {
        arch_wait_for_interrupt();
    }
    return irq->pending;
}

KTEST(msi_self_ipi_raises_the_bound_irq)
{
    struct irq irq;
    irq_init(&irq);
    uint32_t free_before = msi_vectors_free();
    struct msi_message message = {0, 0};
    KTEST_EXPECT(msi_bind(&irq, &message) == ERROR_NONE);
    KTEST_EXPECT(irq.msi_bound);
    KTEST_EXPECT(msi_vectors_free() == free_before - 1);
    KTEST_EXPECT((message.address & MSI_ADDRESS_WINDOW_MASK) == MSI_ADDRESS_WINDOW);
    KTEST_EXPECT(message.data == irq.msi_vector);
    KTEST_EXPECT(!irq.pending);
    KTEST_EXPECT(msi_send_self(&message) == ERROR_NONE);
    KTEST_EXPECT(raised_within_ticks(&irq, TICKS_TO_WAIT));
    /* Edge-triggered and EOI'd: the next message arrives as well (kept pending, as the Irq has no thread). */
    irq.pending = false;
    KTEST_EXPECT(msi_send_self(&message) == ERROR_NONE);
    KTEST_EXPECT(raised_within_ticks(&irq, TICKS_TO_WAIT));
    msi_unbind(&irq);
    KTEST_EXPECT(!irq.msi_bound);
    KTEST_EXPECT(msi_vectors_free() == free_before);
}

KTEST(msi_unbound_vector_is_ignored)
{
    struct irq irq;
    irq_init(&irq);
    struct msi_message message = {0, 0};
    KTEST_EXPECT(msi_bind(&irq, &message) == ERROR_NONE);
    msi_unbind(&irq);
    /* A device still programmed with the freed vector: the interrupt is taken, acknowledged and dropped. */
    KTEST_EXPECT(msi_send_self(&message) == ERROR_NONE);
    KTEST_EXPECT(!raised_within_ticks(&irq, TICKS_TO_WAIT));
}

KTEST(msi_vector_is_freed_for_reuse_and_bound_once)
{
    struct irq first, second;
    irq_init(&first);
    irq_init(&second);
    struct msi_message message = {0, 0}, again = {0, 0};
    KTEST_EXPECT(msi_bind(&first, &message) == ERROR_NONE);
    KTEST_EXPECT(msi_bind(&first, &again) == ERROR_BUSY);
    msi_unbind(&first);
    KTEST_EXPECT(msi_bind(&second, &again) == ERROR_NONE);
    KTEST_EXPECT(again.data == message.data);
    KTEST_EXPECT(again.address == message.address);
    msi_unbind(&second);
}

KTEST(msi_send_self_refuses_foreign_messages)
{
    struct msi_message outside_pool = {MSI_ADDRESS_WINDOW, 0x30};
    KTEST_EXPECT(msi_send_self(&outside_pool) == ERROR_INVALID_ARGUMENT);
    struct msi_message not_apic = {0xfec00000ull, 0x80};
    KTEST_EXPECT(msi_send_self(&not_apic) == ERROR_INVALID_ARGUMENT);
}
