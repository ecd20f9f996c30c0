/*
 * Errors of the agent's API model: a gRPC canonical status code and a message that names the field at fault
 * ("vm.spec.memory_mib: 32 is below the minimum 64"). The model (vm_registry.h, image_store.h) knows nothing of
 * gRPC or protobuf-c; the services pass code and message on as grpc-status and grpc-message.
 */
#ifndef AGENT_API_STATUS_H
#define AGENT_API_STATUS_H

/* The gRPC canonical codes, with their numbers on the wire. */
enum api_status {
    API_STATUS_OK = 0,
    API_STATUS_CANCELLED = 1,
    API_STATUS_UNKNOWN = 2,
    API_STATUS_INVALID_ARGUMENT = 3,
    API_STATUS_DEADLINE_EXCEEDED = 4,
    API_STATUS_NOT_FOUND = 5,
    API_STATUS_ALREADY_EXISTS = 6,
    API_STATUS_PERMISSION_DENIED = 7,
    API_STATUS_RESOURCE_EXHAUSTED = 8,
    API_STATUS_FAILED_PRECONDITION = 9,
    API_STATUS_ABORTED = 10,
    API_STATUS_OUT_OF_RANGE = 11,
    API_STATUS_UNIMPLEMENTED = 12,
    API_STATUS_INTERNAL = 13,
    API_STATUS_UNAVAILABLE = 14,
    API_STATUS_DATA_LOSS = 15,
    API_STATUS_UNAUTHENTICATED = 16,
};

/* Longest message kept, with its NUL; longer ones are cut. */
#define API_ERROR_MESSAGE_BYTES 256

struct api_error {
    enum api_status code;
    char message[API_ERROR_MESSAGE_BYTES];
};

/* The code's canonical name ("INVALID_ARGUMENT"), or "UNKNOWN_STATUS" for a number outside 0..16. */
const char *api_status_name(enum api_status code);

/* Sets code and the printf-formatted message; returns code, so that a failing operation can end with
 * `return api_error_set(error, API_STATUS_NOT_FOUND, "name: %s not found", name);`. */
enum api_status api_error_set(struct api_error *error, enum api_status code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Code OK, empty message. */
void api_error_clear(struct api_error *error);

/* Longest quoted value api_quote writes, with its NUL. */
#define API_QUOTE_BYTES 56

/* Writes value in double quotes for a message: printable ASCII as it is, '"', '\\' and other bytes escaped
 * (\xNN), and cut with "..." after 40 bytes, so that a client's bad input cannot make a message unreadable or long. */
const char *api_quote(char quoted[API_QUOTE_BYTES], const char *value);

#endif
