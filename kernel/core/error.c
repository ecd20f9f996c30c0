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
};

const char *error_name(enum error error)
{
    if ((unsigned)error >= ERROR_COUNT) {
        return "unknown error";
    }
    return error_names[error];
}
