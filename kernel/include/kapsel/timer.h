/* The periodic kernel tick. */
#ifndef KAPSEL_TIMER_H
#define KAPSEL_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/* Called by the arch timer interrupt, interrupts disabled. */
void timer_tick(void);

/* Ticks since arch_timer_init(). */
uint64_t timer_ticks(void);

#endif
