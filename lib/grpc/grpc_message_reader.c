/* Reassembly of length-prefixed gRPC messages: see grpc_message_reader.h. */
#include "grpc_message_reader.h"

#include <stdlib.h>
#include <string.h>

void grpc_message_reader_init(struct grpc_message_reader *reader, size_t max_size)
{
    memset(reader, 0, sizeof(*reader));
    reader->max_size = max_size;
}

uint32_t grpc_message_reader_claimed_length(const struct grpc_message_reader *reader)
{
    return (uint32_t)reader->prefix[1] << 24 | (uint32_t)reader->prefix[2] << 16 | (uint32_t)reader->prefix[3] << 8 |
           (uint32_t)reader->prefix[4];
}

/* The prefix just became complete: check it and make room for the payload. */
static enum grpc_read_outcome start_payload(struct grpc_message_reader *reader)
{
    if (reader->prefix[0] == 1) {
        return GRPC_READ_COMPRESSED;
    }
    if (reader->prefix[0] != 0) {
        return GRPC_READ_BAD_FLAG;
    }
    uint32_t length = grpc_message_reader_claimed_length(reader);
    if (length > reader->max_size) {
        return GRPC_READ_TOO_LARGE;
    }
    /* At least one byte, so that even an empty message has a pointer to hand over. */
    reader->payload = malloc(length > 0 ? length : 1);
    if (reader->payload == NULL) {
        return GRPC_READ_OUT_OF_MEMORY;
    }
    reader->payload_length = length;
    reader->payload_filled = 0;
    return GRPC_READ_NEED_MORE;
}

enum grpc_read_outcome grpc_message_reader_feed(struct grpc_message_reader *reader, const uint8_t *bytes, size_t length,
                                                size_t *consumed)
{
    size_t used = 0;
    enum grpc_read_outcome outcome = GRPC_READ_NEED_MORE;
    while (outcome == GRPC_READ_NEED_MORE) {
        if (reader->payload == NULL) {
            size_t take = GRPC_MESSAGE_PREFIX_SIZE - reader->prefix_filled;
            if (take > length - used) {
                take = length - used;
            }
            memcpy(reader->prefix + reader->prefix_filled, bytes + used, take);
            reader->prefix_filled += take;
            used += take;
            if (reader->prefix_filled < GRPC_MESSAGE_PREFIX_SIZE) {
                break;
            }
            outcome = start_payload(reader);
            continue;
        }
        size_t take = reader->payload_length - reader->payload_filled;
        if (take > length - used) {
            take = length - used;
        }
        memcpy(reader->payload + reader->payload_filled, bytes + used, take);
        reader->payload_filled += take;
        used += take;
        if (reader->payload_filled == reader->payload_length) {
            outcome = GRPC_READ_MESSAGE;
        } else {
            break;
        }
    }
    *consumed = used;
    return outcome;
}

uint8_t *grpc_message_reader_take(struct grpc_message_reader *reader, size_t *length)
{
    uint8_t *payload = reader->payload;
    *length = reader->payload_length;
    reader->payload = NULL;
    reader->payload_length = 0;
    reader->payload_filled = 0;
    reader->prefix_filled = 0;
    return payload;
}

bool grpc_message_reader_in_message(const struct grpc_message_reader *reader)
{
    return reader->prefix_filled > 0;
}

void grpc_message_reader_release(struct grpc_message_reader *reader)
{
    free(reader->payload);
    reader->payload = NULL;
}
