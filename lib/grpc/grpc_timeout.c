/* Parsing of grpc-timeout: see grpc_timeout.h. */
#include "grpc_timeout.h"

/* At most 8 digits: the largest value, 99999999 hours, is about 3.6e14 ms, far inside 64 bits. */
#define MAX_DIGITS 8

bool grpc_timeout_parse(const uint8_t *value, size_t length, uint64_t *timeout_ms)
{
    if (length < 2 || length > MAX_DIGITS + 1) {
        return false;
    }
    uint64_t amount = 0;
    for (size_t i = 0; i + 1 < length; i++) {
        if (value[i] < '0' || value[i] > '9') {
            return false;
        }
        amount = amount * 10 + (uint64_t)(value[i] - '0');
    }
    switch (value[length - 1]) {
    case 'H':
        *timeout_ms = amount * 60 * 60 * 1000;
        return true;
    case 'M':
        *timeout_ms = amount * 60 * 1000;
        return true;
    case 'S':
        *timeout_ms = amount * 1000;
        return true;
    case 'm':
        *timeout_ms = amount;
        return true;
    case 'u':
        *timeout_ms = (amount + 999) / 1000;
        return true;
    case 'n':
        *timeout_ms = (amount + 999999) / 1000000;
        return true;
    default:
        return false;
    }
}
