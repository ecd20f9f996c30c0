/*
 * Reassembles gRPC's length-prefixed messages (a flag byte, a 32-bit big-endian length, the payload) from the DATA
 * chunks of a stream, however the chunks cut them. A length over the limit is refused as soon as the five-byte
 * prefix is complete, before anything is allocated for it. Internal to lib/grpc.
 */
#ifndef KAPSEL_GRPC_MESSAGE_READER_H
#define KAPSEL_GRPC_MESSAGE_READER_H

#include <kapsel/grpc_server.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct grpc_message_reader {
    size_t max_size;
    uint8_t prefix[GRPC_MESSAGE_PREFIX_SIZE];
    size_t prefix_filled;
    uint8_t *payload; /* allocated once the prefix is complete */
    size_t payload_length;
    size_t payload_filled;
};

enum grpc_read_outcome {
    GRPC_READ_NEED_MORE,     /* every byte consumed, no message complete */
    GRPC_READ_MESSAGE,       /* a message is complete: take it with grpc_message_reader_take */
    GRPC_READ_COMPRESSED,    /* the prefix has the compressed flag */
    GRPC_READ_BAD_FLAG,      /* the flag byte is neither 0 nor 1 */
    GRPC_READ_TOO_LARGE,     /* the prefix claims more than max_size (grpc_message_reader_claimed_length) */
    GRPC_READ_OUT_OF_MEMORY, /* no memory for the payload */
};

void grpc_message_reader_init(struct grpc_message_reader *reader, size_t max_size);

/*
 * Consumes bytes up to the end of the first message they complete (*consumed says how many); outcomes other than
 * NEED_MORE and MESSAGE leave the reader unusable (the call is ended).
 */
enum grpc_read_outcome grpc_message_reader_feed(struct grpc_message_reader *reader, const uint8_t *bytes, size_t length,
                                                size_t *consumed);

/* Hands over the completed message (malloc'd, never NULL, the caller frees it) and starts on the next. */
uint8_t *grpc_message_reader_take(struct grpc_message_reader *reader, size_t *length);

/* Whether part of a message has arrived (so a half-close now would truncate it). */
bool grpc_message_reader_in_message(const struct grpc_message_reader *reader);

/* The length the last prefix claimed (for GRPC_READ_TOO_LARGE's message). */
uint32_t grpc_message_reader_claimed_length(const struct grpc_message_reader *reader);

/* Frees a partial payload. */
void grpc_message_reader_release(struct grpc_message_reader *reader);

#endif
