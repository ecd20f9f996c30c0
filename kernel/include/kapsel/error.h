/* Kernel error codes: every failing kernel function returns one of these, negated never. */
#ifndef KAPSEL_ERROR_H
#define KAPSEL_ERROR_H

enum error {
    ERROR_NONE = 0,
    ERROR_INVALID_ARGUMENT,
    ERROR_OUT_OF_MEMORY,
    ERROR_OUT_OF_RANGE,
    ERROR_MALFORMED,
    ERROR_UNSUPPORTED,
    ERROR_OVERLAP,
    ERROR_NOT_FOUND,
    ERROR_NOT_ALLOCATED,
    ERROR_TOO_MANY,
    ERROR_COUNT
};

/* Stable, human-readable name of an error code ("unknown error" for anything else). */
const char *error_name(enum error error);

#endif
