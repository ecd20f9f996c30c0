/*
 * The wall clock: real time, read once at boot from the machine's
 * battery-backed clock (taken as UTC) and kept with the tick count of that
 * moment. Later times are the boot time plus the ticks since.
 */
#ifndef KAPSEL_WALL_CLOCK_H
#define KAPSEL_WALL_CLOCK_H

#include <stdint.h>

/* Reads the clock and logs the outcome; once, after arch_timer_init(). */
void wall_clock_init(void);

/* Unix seconds at tick 0, the boot; 0: unknown (no clock, or it made no sense). */
uint64_t wall_clock_boot_seconds(void);

#endif
