/* The legacy 8254 PIT: used only as a known-frequency reference to calibrate other timers. */
#ifndef ARCH_PIT_H
#define ARCH_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_FREQUENCY_HZ 1193182u

/*
 * Busy-waits for pit_ticks of the PIT's 1.193182 MHz clock, calling
 * sample(context) once at the start and once at the end. Returns false if no
 * PIT is counting (its counter never moves).
 */
bool pit_measure(uint32_t pit_ticks, void (*sample)(void *context), void *context);

#endif
