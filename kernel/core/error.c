#include <kapsel/error.h>

static const char *const error_names[ERROR_COUNT] = {
    [ERROR_NONE] = "no error",
    [ERROR_INVALID_ARGUMENT] = "invalid argument",
    [ERROR_OUT_OF_MEMORY] = "out of memory",
    [ERROR_OUT_OF_RANGE] = "out of range",
    [ERROR_MALFORMED] = "malformed input",
    [ERROR_UNSUPPORTED] = "unsupported",
    [ERROR_OVERLAP] = "overlapping ranges",
    [ERROR_NOT_FOUND] = "not found",
    [ERROR_NOT_ALLOCATED] = "not allocated",
    [ERROR_TOO_MANY] = "too many entries",
    [ERROR_INVALID_CAPABILITY] = "invalid capability",
    [ERROR_WRONG_OBJECT_TYPE] = "wrong object type",
    [ERROR_MISSING_RIGHTS] = "missing rights",
    [ERROR_TIMEOUT] = "timeout",
    [ERROR_PEER_GONE] = "peer gone",
    [ERROR_QUOTA_EXCEEDED] = "quota exceeded",
    [ERROR_INVALID_OPERATION] = "invalid operation",
    [ERROR_SLOT_OCCUPIED] = "capability slot occupied",
    [ERROR_BUSY] = "busy",
    [ERROR_NO_CALLER] = "no caller to reply to",
    [ERROR_CANCELED] = "canceled",
    [ERROR_MESSAGE_TOO_LONG] = "message too long",
    [ERROR_NOT_MAPPED] = "not mapped",
    [ERROR_NOT_DEVICE_MEMORY] = "not device memory",
};

const char *error_name(enum error error)
{
    if ((unsigned)error >= ERROR_COUNT) {
        return "unknown error";
    }
    return error_names[error];
}
