/* The I/O APIC: routes global system interrupts (GSIs) to vectors on this CPU. */
#ifndef ARCH_IO_APIC_H
#define ARCH_IO_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define VECTOR_FIRST_LINE 0x40

/* Maps the I/O APIC at address (GSIs from gsi_base) and masks all its pins; returns its pin count (0: none). */
uint32_t io_apic_init(uint32_t address, uint32_t gsi_base);

/* Routes gsi to VECTOR_FIRST_LINE + gsi on the boot CPU, masked. */
void io_apic_route(uint32_t gsi, bool level_triggered, bool active_low);

void io_apic_set_masked(uint32_t gsi, bool masked);

#endif
