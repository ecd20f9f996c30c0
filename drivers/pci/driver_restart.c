#include "driver_restart.h"

struct driver_restart_policy driver_restart_policy(unsigned max_restarts, uint64_t first_backoff_ms,
                                                   uint64_t max_backoff_ms)
{
    return (struct driver_restart_policy){
        .max_restarts = max_restarts, .first_backoff_ms = first_backoff_ms, .max_backoff_ms = max_backoff_ms};
}

bool driver_restart_next(struct driver_restart_policy *policy, uint64_t *backoff_ms)
{
    if (policy->restarts >= policy->max_restarts) {
        return false;
    }
    uint64_t backoff = policy->first_backoff_ms;
    /* Doubling stops at the cap, so it never overflows however many restarts are allowed. */
    for (unsigned i = 0; i < policy->restarts && backoff < policy->max_backoff_ms; i++) {
        backoff = backoff > policy->max_backoff_ms / 2 ? policy->max_backoff_ms : backoff * 2;
    }
    *backoff_ms = backoff < policy->max_backoff_ms ? backoff : policy->max_backoff_ms;
    policy->restarts++;
    return true;
}
