#include "runtime_private.h"

#include <kapsel/syscall.h>

/*
 * An open wait with no timeout blocks until a message arrives, and nothing
 * will answer one: unlike a spin, it leaves the CPU to other threads. Should
 * the wait ever end, the loop waits again, pausing first so that a wait that
 * fails at once does not hammer the kernel.
 */
_Noreturn void runtime_stop(void)
{
    for (;;) {
        ipc_wait(TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
        __builtin_ia32_pause();
    }
}
