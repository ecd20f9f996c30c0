/*
 * Error codes: what every failing kernel function returns, and what every
 * system call returns in %rax. Part of the user ABI: append only.
 */
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
    ERROR_INVALID_CAPABILITY, /* index outside the table, or an empty slot */
    ERROR_WRONG_OBJECT_TYPE,  /* the capability names another kind of object */
    ERROR_MISSING_RIGHTS,     /* the capability lacks a right the operation needs */
    ERROR_TIMEOUT,            /* an IPC timeout expired before the partner was ready */
    ERROR_PEER_GONE,          /* the partner or gate was deleted during the IPC */
    ERROR_QUOTA_EXCEEDED,     /* the factory's memory quota does not cover the object */
    ERROR_INVALID_OPERATION,  /* unknown operation for this object */
    ERROR_SLOT_OCCUPIED,      /* the destination capability slot is in use */
    ERROR_BUSY,               /* e.g. a thread that is already bound or running */
    ERROR_NO_CALLER,          /* reply without a caller waiting for it */
    ERROR_CANCELED,           /* the IPC was aborted (thread deleted or its registers reset) */
    ERROR_MESSAGE_TOO_LONG,   /* words and items do not fit the message registers */
    ERROR_NOT_MAPPED,         /* no page or capability at the source of a map */
    ERROR_NOT_DEVICE_MEMORY,  /* a physical range holds RAM, or registers the kernel keeps for itself */
    ERROR_COUNT
};

/* Stable, human-readable name of an error code ("unknown error" for anything else). */
const char *error_name(enum error error);

#endif
