/* gRPC status codes and grpc-message's percent-encoding: see kapsel/grpc_status.h. */
#include <kapsel/grpc_status.h>
#include <stdbool.h>
#include <string.h>

static const char *const status_names[] = {
    [GRPC_STATUS_OK] = "OK",
    [GRPC_STATUS_CANCELLED] = "CANCELLED",
    [GRPC_STATUS_UNKNOWN] = "UNKNOWN",
    [GRPC_STATUS_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [GRPC_STATUS_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
    [GRPC_STATUS_NOT_FOUND] = "NOT_FOUND",
    [GRPC_STATUS_ALREADY_EXISTS] = "ALREADY_EXISTS",
    [GRPC_STATUS_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [GRPC_STATUS_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
    [GRPC_STATUS_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [GRPC_STATUS_ABORTED] = "ABORTED",
    [GRPC_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
    [GRPC_STATUS_UNIMPLEMENTED] = "UNIMPLEMENTED",
    [GRPC_STATUS_INTERNAL] = "INTERNAL",
    [GRPC_STATUS_UNAVAILABLE] = "UNAVAILABLE",
    [GRPC_STATUS_DATA_LOSS] = "DATA_LOSS",
    [GRPC_STATUS_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *grpc_status_name(enum grpc_status_code code)
{
    /* Through unsigned, so that a negative value cast to the enum is out of range too. */
    if ((unsigned)code > GRPC_STATUS_MAX) {
        return "INVALID_STATUS_CODE";
    }
    return status_names[code];
}

/* Percent-Byte-Unencoded of gRPC over HTTP/2: space and visible ASCII, except '%' itself. */
static bool stays_unencoded(unsigned char byte)
{
    return byte >= 0x20 && byte <= 0x7e && byte != '%';
}

size_t grpc_percent_encode(const char *message, char *encoded, size_t capacity)
{
    static const char hex_digits[] = "0123456789ABCDEF";
    size_t length = 0;  /* of the whole encoding */
    size_t written = 0; /* whole pieces that fit before the NUL; an escape is never cut */
    for (const unsigned char *byte = (const unsigned char *)message; *byte != '\0'; byte++) {
        char piece[3] = {(char)*byte, 0, 0};
        size_t piece_length = 1;
        if (!stays_unencoded(*byte)) {
            piece[0] = '%';
            piece[1] = hex_digits[*byte >> 4];
            piece[2] = hex_digits[*byte & 0xf];
            piece_length = 3;
        }
        if (written == length && length + piece_length < capacity) {
            memcpy(encoded + written, piece, piece_length);
            written += piece_length;
        }
        length += piece_length;
    }
    if (capacity > 0) {
        encoded[written] = '\0';
    }
    return length;
}
