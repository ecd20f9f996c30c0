/* Status codes' names and struct kapsel_status. */
#include "client_status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const code_names[] = {
    "OK",        "CANCELLED",       "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",    "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED",
};

const char *kapsel_code_name(int code)
{
    if (code == KAPSEL_ATTESTATION_INVALID) {
        return "ATTESTATION_INVALID";
    }
    if (code < 0 || (size_t)code >= sizeof(code_names) / sizeof(code_names[0])) {
        return "UNKNOWN_CODE";
    }
    return code_names[code];
}

int status_set(struct kapsel_status *status, int code, const char *format, ...)
{
    if (status) {
        status->code = code;
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(status->message, sizeof(status->message), format, arguments);
        va_end(arguments);
    }
    return code;
}

int status_ok(struct kapsel_status *status)
{
    if (status) {
        status->code = KAPSEL_OK;
        status->message[0] = '\0';
    }
    return KAPSEL_OK;
}
