/*
 * gRPC status codes (the canonical codes of google.rpc.Code, which gRPC's grpc-status trailer carries) and the
 * percent-encoding of the grpc-message trailer (gRPC over HTTP/2: bytes outside space..'~', and '%', as %XX).
 * Pure functions; no allocation.
 */
#ifndef KAPSEL_GRPC_STATUS_H
#define KAPSEL_GRPC_STATUS_H

#include <stddef.h>

enum grpc_status_code {
    GRPC_STATUS_OK = 0,
    GRPC_STATUS_CANCELLED = 1,
    GRPC_STATUS_UNKNOWN = 2,
    GRPC_STATUS_INVALID_ARGUMENT = 3,
    GRPC_STATUS_DEADLINE_EXCEEDED = 4,
    GRPC_STATUS_NOT_FOUND = 5,
    GRPC_STATUS_ALREADY_EXISTS = 6,
    GRPC_STATUS_PERMISSION_DENIED = 7,
    GRPC_STATUS_RESOURCE_EXHAUSTED = 8,
    GRPC_STATUS_FAILED_PRECONDITION = 9,
    GRPC_STATUS_ABORTED = 10,
    GRPC_STATUS_OUT_OF_RANGE = 11,
    GRPC_STATUS_UNIMPLEMENTED = 12,
    GRPC_STATUS_INTERNAL = 13,
    GRPC_STATUS_UNAVAILABLE = 14,
    GRPC_STATUS_DATA_LOSS = 15,
    GRPC_STATUS_UNAUTHENTICATED = 16,
};

/* The highest canonical code; a grpc-status outside 0..GRPC_STATUS_MAX is not one. */
#define GRPC_STATUS_MAX GRPC_STATUS_UNAUTHENTICATED

/* The code's canonical name ("OK", "DEADLINE_EXCEEDED"...), or "INVALID_STATUS_CODE" outside 0..16. */
const char *grpc_status_name(enum grpc_status_code code);

/*
 * Percent-encodes a NUL-terminated message for grpc-message: bytes 0x20..0x7e other than '%' stay, every other byte
 * (UTF-8 sequences included) becomes %XX with upper-case hex digits. Like snprintf: writes at most capacity bytes
 * including a terminating NUL (none if capacity is 0) and returns the full encoded length without the NUL, so that a
 * result >= capacity means the encoding was cut short.
 */
size_t grpc_percent_encode(const char *message, char *encoded, size_t capacity);

#endif
