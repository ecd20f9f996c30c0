/* See api_status.h. */
#include "api_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bytes of the value api_quote shows before it cuts it. */
#define QUOTE_SHOWN_BYTES 40

static const char *const status_names[] = {
    [API_STATUS_OK] = "OK",
    [API_STATUS_CANCELLED] = "CANCELLED",
    [API_STATUS_UNKNOWN] = "UNKNOWN",
    [API_STATUS_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [API_STATUS_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
    [API_STATUS_NOT_FOUND] = "NOT_FOUND",
    [API_STATUS_ALREADY_EXISTS] = "ALREADY_EXISTS",
    [API_STATUS_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [API_STATUS_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
    [API_STATUS_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [API_STATUS_ABORTED] = "ABORTED",
    [API_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
    [API_STATUS_UNIMPLEMENTED] = "UNIMPLEMENTED",
    [API_STATUS_INTERNAL] = "INTERNAL",
    [API_STATUS_UNAVAILABLE] = "UNAVAILABLE",
    [API_STATUS_DATA_LOSS] = "DATA_LOSS",
    [API_STATUS_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *api_status_name(enum api_status code)
{
    if ((unsigned)code >= sizeof(status_names) / sizeof(status_names[0])) {
        return "UNKNOWN_STATUS";
    }
    return status_names[code];
}

enum api_status api_error_set(struct api_error *error, enum api_status code, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    error->code = code;
    vsnprintf(error->message, sizeof(error->message), format, arguments);
    va_end(arguments);
    return code;
}

void api_error_clear(struct api_error *error)
{
    error->code = API_STATUS_OK;
    error->message[0] = '\0';
}

const char *api_quote(char quoted[API_QUOTE_BYTES], const char *value)
{
    /* An escaped byte takes 4 characters: the room left stops the value as well as QUOTE_SHOWN_BYTES. */
    size_t length = 0;
    quoted[length++] = '"';
    size_t shown = 0;
    for (; value[shown] != '\0'; shown++) {
        unsigned char byte = (unsigned char)value[shown];
        size_t needed = (byte >= 0x20 && byte < 0x7f) ? (byte == '"' || byte == '\\' ? 2 : 1) : 4;
        /* Room for this byte, the closing '"', "..." and the NUL. */
        if (shown == QUOTE_SHOWN_BYTES || length + needed + 5 > API_QUOTE_BYTES) {
            break;
        }
        if (needed == 4) {
            snprintf(quoted + length, 5, "\\x%02x", byte);
        } else if (needed == 2) {
            quoted[length] = '\\';
            quoted[length + 1] = (char)byte;
        } else {
            quoted[length] = (char)byte;
        }
        length += needed;
    }
    quoted[length++] = '"';
    if (value[shown] != '\0') {
        memcpy(quoted + length, "...", 3);
        length += 3;
    }
    quoted[length] = '\0';
    return quoted;
}
