/* lwIP's clock in host builds: sys_now() is a counter the test advances (fake_clock.h), so that tests need
 * neither sleeps nor threads. It starts 30 s before the 32-bit count wraps, as a Micro-App's clock may
 * (sys_now.c counts from 1970), so every test that runs half a minute crosses the wrap. */
#include "fake_clock.h"

#include "lwip/sys.h"

static u32_t now = UINT32_MAX - 30000u;

u32_t sys_now(void)
{
    return now;
}

void lwip_fake_clock_advance(uint32_t milliseconds)
{
    now += milliseconds;
}
