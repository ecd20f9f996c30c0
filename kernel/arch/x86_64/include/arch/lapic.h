/* The local APIC: this CPU's interrupt controller and its timer. */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <stdint.h>

/* Enables the local APIC (xAPIC MMIO mode); boot_fail()s if the CPU has none. */
void lapic_init(void);

/* Starts the periodic timer at hz interrupts per second on vector, calibrated against the PIT. */
void lapic_timer_start_periodic(uint8_t vector, unsigned hz);

/* Timer input frequency (after the divider) found by calibration, in Hz. */
uint64_t lapic_timer_frequency(void);

void lapic_end_of_interrupt(void);

/* This CPU's local APIC ID (the destination in MSI addresses and IPIs). */
uint8_t lapic_id(void);

/* Raises vector on this CPU (fixed delivery, edge, destination shorthand "self"). */
void lapic_send_self_ipi(uint8_t vector);

#endif
