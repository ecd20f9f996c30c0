/* Exponential backoff with capped growth and subtractive jitter. */
#include "backoff.h"

#define BACKOFF_LIMIT_MS (3600u * 1000u)

bool backoff_policy_valid(const struct kapsel_retry_policy *policy)
{
    return policy->max_attempts >= 1 && policy->initial_backoff_ms >= 1 &&
           policy->initial_backoff_ms <= policy->max_backoff_ms && policy->max_backoff_ms <= BACKOFF_LIMIT_MS &&
           policy->multiplier >= 1 && policy->jitter_percent <= 100;
}

uint32_t backoff_delay_ms(const struct kapsel_retry_policy *policy, uint32_t retry, double random_fraction)
{
    uint64_t delay = policy->initial_backoff_ms;
    for (uint32_t i = 1; i < retry && delay < policy->max_backoff_ms; i++) {
        delay *= policy->multiplier;
    }
    if (delay > policy->max_backoff_ms) {
        delay = policy->max_backoff_ms;
    }
    if (random_fraction < 0) {
        random_fraction = 0;
    } else if (random_fraction > 1) {
        random_fraction = 1;
    }
    uint64_t jitter = (uint64_t)((double)(delay * policy->jitter_percent / 100) * random_fraction);
    return (uint32_t)(delay - jitter);
}
