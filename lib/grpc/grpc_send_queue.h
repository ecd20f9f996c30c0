/*
 * A call's bounded queue of response messages, each framed with its five-byte prefix, drained in order into the
 * DATA frames nghttp2 asks for. The bound counts queued bytes, prefixes included, so that a service that produces
 * faster than the client reads learns it (GRPC_RESULT_QUEUE_FULL) instead of growing the heap. Internal to lib/grpc.
 */
#ifndef KAPSEL_GRPC_SEND_QUEUE_H
#define KAPSEL_GRPC_SEND_QUEUE_H

#include <kapsel/grpc_server.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct grpc_queued_message;

struct grpc_send_queue {
    struct grpc_queued_message *head;
    struct grpc_queued_message *tail;
    size_t queued; /* bytes not yet read out */
    size_t limit;
};

void grpc_send_queue_init(struct grpc_send_queue *queue, size_t limit);

/* The largest message that grpc_send_queue_push accepts now. */
size_t grpc_send_queue_free(const struct grpc_send_queue *queue);

/* Appends one message (copied) with its prefix; GRPC_RESULT_QUEUE_FULL or GRPC_RESULT_OUT_OF_MEMORY and nothing
 * queued if it cannot. */
enum grpc_result grpc_send_queue_push(struct grpc_send_queue *queue, const uint8_t *message, size_t length);

/* Copies up to capacity queued bytes into buffer, in order, freeing what has been read; returns how many. */
size_t grpc_send_queue_read(struct grpc_send_queue *queue, uint8_t *buffer, size_t capacity);

bool grpc_send_queue_is_empty(const struct grpc_send_queue *queue);

/* Drops every message not yet begun; one partly read stays, so that the client never sees a cut message. */
void grpc_send_queue_drop_unsent(struct grpc_send_queue *queue);

/* Frees everything queued. */
void grpc_send_queue_release(struct grpc_send_queue *queue);

#endif
