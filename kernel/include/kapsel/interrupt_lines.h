/*
 * Hardware interrupt lines (global system interrupts) and the Irq objects
 * bound to them. A line stays masked from the moment it fires until its
 * Irq is acknowledged, so a driver that is slow or gone floods nobody.
 */
#ifndef KAPSEL_INTERRUPT_LINES_H
#define KAPSEL_INTERRUPT_LINES_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stdint.h>

struct irq;

#define INTERRUPT_LINES 24

/* Finds the interrupt controllers (arch), masks every line; false if there are none to drive. */
bool interrupt_lines_init(const char **reason);

/* Number of lines that can be bound (0 without an interrupt controller). */
uint32_t interrupt_lines_count(void);

/* Ties irq to line; ERROR_BUSY if the line has an Irq already. ISA lines 0-15 follow the firmware's overrides. */
enum error interrupt_line_bind(struct irq *irq, uint32_t line);

/* The Irq is acknowledged or goes away: unmask, or release the line. */
void interrupt_line_unmask(struct irq *irq);
void interrupt_line_unbind(struct irq *irq);

/* The GSI the firmware routes an ISA IRQ to (itself unless an override says otherwise). */
uint32_t interrupt_line_for_isa(uint32_t isa_irq);

/* Called by the arch interrupt entry for a line's vector. */
void interrupt_line_fired(uint32_t line);

#endif
