/* A call's bounded queue of framed response messages: see grpc_send_queue.h. */
#include "grpc_send_queue.h"

#include <stdlib.h>
#include <string.h>

struct grpc_queued_message {
    struct grpc_queued_message *next;
    size_t size; /* prefix and payload */
    size_t read; /* bytes of it already handed out */
    uint8_t bytes[];
};

void grpc_send_queue_init(struct grpc_send_queue *queue, size_t limit)
{
    memset(queue, 0, sizeof(*queue));
    queue->limit = limit;
}

size_t grpc_send_queue_free(const struct grpc_send_queue *queue)
{
    size_t room = queue->limit - queue->queued;
    return room > GRPC_MESSAGE_PREFIX_SIZE ? room - GRPC_MESSAGE_PREFIX_SIZE : 0;
}

enum grpc_result grpc_send_queue_push(struct grpc_send_queue *queue, const uint8_t *message, size_t length)
{
    /* The wire's length field is 32 bits, whatever the limit. */
    if (length > grpc_send_queue_free(queue) || length > UINT32_MAX) {
        return GRPC_RESULT_QUEUE_FULL;
    }
    struct grpc_queued_message *entry = malloc(sizeof(*entry) + GRPC_MESSAGE_PREFIX_SIZE + length);
    if (entry == NULL) {
        return GRPC_RESULT_OUT_OF_MEMORY;
    }
    entry->next = NULL;
    entry->size = GRPC_MESSAGE_PREFIX_SIZE + length;
    entry->read = 0;
    entry->bytes[0] = 0; /* not compressed */
    entry->bytes[1] = (uint8_t)(length >> 24);
    entry->bytes[2] = (uint8_t)(length >> 16);
    entry->bytes[3] = (uint8_t)(length >> 8);
    entry->bytes[4] = (uint8_t)length;
    if (length > 0) {
        memcpy(entry->bytes + GRPC_MESSAGE_PREFIX_SIZE, message, length);
    }
    if (queue->tail == NULL) {
        queue->head = entry;
    } else {
        queue->tail->next = entry;
    }
    queue->tail = entry;
    queue->queued += entry->size;
    return GRPC_RESULT_OK;
}

static void drop_head(struct grpc_send_queue *queue)
{
    struct grpc_queued_message *head = queue->head;
    queue->queued -= head->size - head->read;
    queue->head = head->next;
    if (queue->head == NULL) {
        queue->tail = NULL;
    }
    free(head);
}

size_t grpc_send_queue_read(struct grpc_send_queue *queue, uint8_t *buffer, size_t capacity)
{
    size_t copied = 0;
    while (copied < capacity && queue->head != NULL) {
        struct grpc_queued_message *head = queue->head;
        size_t take = head->size - head->read;
        if (take > capacity - copied) {
            take = capacity - copied;
        }
        memcpy(buffer + copied, head->bytes + head->read, take);
        head->read += take;
        queue->queued -= take;
        copied += take;
        if (head->read == head->size) {
            drop_head(queue);
        }
    }
    return copied;
}

bool grpc_send_queue_is_empty(const struct grpc_send_queue *queue)
{
    return queue->head == NULL;
}

void grpc_send_queue_drop_unsent(struct grpc_send_queue *queue)
{
    struct grpc_queued_message *keep = queue->head != NULL && queue->head->read > 0 ? queue->head : NULL;
    struct grpc_queued_message *entry = keep != NULL ? keep->next : queue->head;
    while (entry != NULL) {
        struct grpc_queued_message *next = entry->next;
        queue->queued -= entry->size;
        free(entry);
        entry = next;
    }
    if (keep != NULL) {
        keep->next = NULL;
    }
    queue->head = keep;
    queue->tail = keep;
}

void grpc_send_queue_release(struct grpc_send_queue *queue)
{
    while (queue->head != NULL) {
        drop_head(queue);
    }
}
