/* The retry schedule of struct kapsel_retry_policy, as pure functions. */
#ifndef KAPSEL_BACKOFF_H
#define KAPSEL_BACKOFF_H

#include "kapsel/client.h"

#include <stdbool.h>
#include <stdint.h>

/* Whether the policy is usable: at least one attempt, backoffs 1 ms to 1 h with initial <= max, multiplier >= 1,
 * jitter 0 to 100 %. */
bool backoff_policy_valid(const struct kapsel_retry_policy *policy);

/* The wait before retry number `retry` (1: after the first attempt): min(initial * multiplier^(retry-1), max), less
 * jitter_percent of it scaled by random_fraction (0 to 1; 0: no jitter taken). */
uint32_t backoff_delay_ms(const struct kapsel_retry_policy *policy, uint32_t retry, double random_fraction);

#endif
