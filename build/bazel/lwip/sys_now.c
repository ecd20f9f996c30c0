/* lwIP's clock for Micro-Apps: sys_now() in milliseconds from the runtime's gettimeofday() (the kernel's boot
 * time plus its ticks since, kapsel/runtime.h), so it only moves forward. lwIP needs differences only, and
 * copes with the 32-bit count wrapping (every 49.7 days). */
#include "lwip/sys.h"

#include <stdint.h>
#include <sys/time.h>

u32_t sys_now(void)
{
    static u32_t last; /* without a clock (no "scheduler" capability), time stands still at 0 */
    struct timeval now;
    if (gettimeofday(&now, NULL) == 0) {
        last = (u32_t)((uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_usec / 1000u);
    }
    return last;
}
