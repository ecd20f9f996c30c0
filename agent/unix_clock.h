/* The host's wall clock as the API model reads it: the agent's from the kernel, a fake one in host tests. */
#ifndef AGENT_UNIX_CLOCK_H
#define AGENT_UNIX_CLOCK_H

#include <stdint.h>

struct unix_clock {
    /* Milliseconds since the Unix epoch (UTC). */
    uint64_t (*now_ms)(void *context);
    void *context;
};

#endif
