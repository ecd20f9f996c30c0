/* lwIP's clock in host builds (:lwip_host): sys_now() reads a counter that only the test moves. */
#ifndef KAPSEL_LWIP_FAKE_CLOCK_H
#define KAPSEL_LWIP_FAKE_CLOCK_H

#include <stdint.h>

/* Moves lwIP's clock (sys_now) forward by milliseconds; lwIP's timers fire on the next sys_check_timeouts(). */
void lwip_fake_clock_advance(uint32_t milliseconds);

#endif
