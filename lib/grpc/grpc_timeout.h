/*
 * The grpc-timeout request header (gRPC over HTTP/2): 1 to 8 ASCII digits and a unit, H, M, S, m, u or n (hours
 * down to nanoseconds). Internal to lib/grpc.
 */
#ifndef KAPSEL_GRPC_TIMEOUT_H
#define KAPSEL_GRPC_TIMEOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The timeout in milliseconds, rounded up (1n is 1 ms: a deadline never comes early); false if malformed. */
bool grpc_timeout_parse(const uint8_t *value, size_t length, uint64_t *timeout_ms);

#endif
