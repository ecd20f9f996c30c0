/* WatchVms and StreamConsole: a call whose status batch is started with it, and one receive batch per message. */
#include "client_internal.h"
#include "client_status.h"
#include "grpc_wire.h"

#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdlib.h>

struct kapsel_stream {
    grpc_completion_queue *queue;
    grpc_call *call;
    const char *path;
    const ProtobufCMessageDescriptor *message_descriptor;
    grpc_metadata_array initial_metadata;
    grpc_metadata_array trailing_metadata;
    bool initial_metadata_asked;
    /* The status batch: started when the stream opens, done when the call ends. */
    grpc_status_code code;
    grpc_slice details;
    const char *error_string;
    bool status_received;
    /* Set once the stream ended: what kapsel_stream_next reports from then on. */
    bool ended;
    struct kapsel_status final_status;
};

/* The status batch's tag: its own field's address. */
static void *status_tag(struct kapsel_stream *stream)
{
    return &stream->code;
}

static gpr_timespec forever(void)
{
    return gpr_inf_future(GPR_CLOCK_REALTIME);
}

/* Waits for the call's status and records it as the stream's end. */
static void finish(struct kapsel_stream *stream)
{
    if (!stream->status_received) {
        grpc_completion_queue_pluck(stream->queue, status_tag(stream), forever(), NULL);
        stream->status_received = true;
    }
    if (!stream->ended) {
        wire_status(&stream->final_status, stream->code, stream->details, stream->error_string);
        stream->ended = true;
    }
}

/* Ends the stream with this side's error, cancelling the call. */
static void fail(struct kapsel_stream *stream, const struct kapsel_status *status)
{
    grpc_call_cancel(stream->call, NULL);
    grpc_completion_queue_pluck(stream->queue, status_tag(stream), forever(), NULL);
    stream->status_received = true;
    stream->final_status = *status;
    stream->ended = true;
}

static int open_stream(struct kapsel_client *client, const char *path, const ProtobufCMessage *request,
                       const ProtobufCMessageDescriptor *request_descriptor,
                       const ProtobufCMessageDescriptor *message_descriptor,
                       const struct kapsel_call_options *call_options, struct kapsel_stream **opened,
                       struct kapsel_status *status)
{
    if (opened == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: the stream pointer is NULL", path);
    }
    *opened = NULL;
    if (client == NULL || request == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: %s is NULL", path,
                          client == NULL ? "the client" : "the request");
    }
    if (request->descriptor != request_descriptor) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: the request is a %s, not a %s", path,
                          request->descriptor->name, request_descriptor->name);
    }
    struct kapsel_stream *stream = calloc(1, sizeof(*stream));
    if (stream == NULL) {
        return status_set(status, KAPSEL_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    stream->path = path;
    stream->message_descriptor = message_descriptor;
    stream->details = grpc_empty_slice();
    stream->queue = grpc_completion_queue_create_for_pluck(NULL);
    stream->call = grpc_channel_create_call(client->channel, NULL, GRPC_PROPAGATE_DEFAULTS, stream->queue,
                                            grpc_slice_from_static_string(path), NULL,
                                            call_deadline_grpc(call_deadline_stream(call_options)), NULL);
    grpc_metadata_array_init(&stream->initial_metadata);
    grpc_metadata_array_init(&stream->trailing_metadata);
    grpc_op status_op = {
        .op = GRPC_OP_RECV_STATUS_ON_CLIENT,
        .data.recv_status_on_client = {.trailing_metadata = &stream->trailing_metadata,
                                       .status = &stream->code,
                                       .status_details = &stream->details,
                                       .error_string = &stream->error_string},
    };
    grpc_byte_buffer *packed = wire_pack(request);
    grpc_metadata authorization;
    grpc_op send_ops[3] = {
        call_initial_metadata(client, &authorization),
        {.op = GRPC_OP_SEND_MESSAGE, .data.send_message.send_message = packed},
        {.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT},
    };
    /* Only misuse of gRPC's API makes start_batch fail; close then waits for what was started. */
    if (grpc_call_start_batch(stream->call, &status_op, 1, status_tag(stream), NULL) != GRPC_CALL_OK) {
        stream->status_received = true;
    }
    if (stream->status_received || grpc_call_start_batch(stream->call, send_ops, 3, send_ops, NULL) != GRPC_CALL_OK) {
        grpc_byte_buffer_destroy(packed);
        kapsel_stream_close(stream);
        return status_set(status, KAPSEL_INTERNAL, "%s: gRPC refused the call", path);
    }
    grpc_event sent = grpc_completion_queue_pluck(stream->queue, send_ops, forever(), NULL);
    grpc_byte_buffer_destroy(packed);
    if (!sent.success) {
        /* The request did not go out (the host is unreachable, or the deadline passed): the status says why. */
        finish(stream);
        int code = status_set(status, stream->final_status.code, "%s", stream->final_status.message);
        kapsel_stream_close(stream);
        return code == KAPSEL_OK ? status_set(status, KAPSEL_UNKNOWN, "%s: the request was not sent", path) : code;
    }
    *opened = stream;
    return status_ok(status);
}

int kapsel_watch_vms(struct kapsel_client *client, const Kapsel__V1__WatchVmsRequest *request,
                     const struct kapsel_call_options *call_options, struct kapsel_stream **stream,
                     struct kapsel_status *status)
{
    return open_stream(client, "/kapsel.v1.VmService/WatchVms", (const ProtobufCMessage *)request,
                       &kapsel__v1__watch_vms_request__descriptor, &kapsel__v1__vm_event__descriptor, call_options,
                       stream, status);
}

int kapsel_stream_console(struct kapsel_client *client, const Kapsel__V1__StreamConsoleRequest *request,
                          const struct kapsel_call_options *call_options, struct kapsel_stream **stream,
                          struct kapsel_status *status)
{
    return open_stream(client, "/kapsel.v1.VmService/StreamConsole", (const ProtobufCMessage *)request,
                       &kapsel__v1__stream_console_request__descriptor, &kapsel__v1__console_chunk__descriptor,
                       call_options, stream, status);
}

bool kapsel_stream_next(struct kapsel_stream *stream, ProtobufCMessage **message, struct kapsel_status *status)
{
    if (message) {
        *message = NULL;
    }
    if (stream == NULL || message == NULL) {
        status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_stream_next: %s is NULL",
                   stream == NULL ? "the stream" : "the message pointer");
        return false;
    }
    if (!stream->ended) {
        grpc_byte_buffer *received = NULL;
        grpc_op ops[2];
        size_t count = 0;
        if (!stream->initial_metadata_asked) {
            ops[count++] = (grpc_op){.op = GRPC_OP_RECV_INITIAL_METADATA,
                                     .data.recv_initial_metadata.recv_initial_metadata = &stream->initial_metadata};
            stream->initial_metadata_asked = true;
        }
        ops[count++] = (grpc_op){.op = GRPC_OP_RECV_MESSAGE, .data.recv_message.recv_message = &received};
        if (grpc_call_start_batch(stream->call, ops, count, ops, NULL) != GRPC_CALL_OK) {
            struct kapsel_status refused;
            status_set(&refused, KAPSEL_INTERNAL, "%s: gRPC refused to receive", stream->path);
            fail(stream, &refused);
        } else {
            grpc_completion_queue_pluck(stream->queue, ops, forever(), NULL);
            if (received == NULL) {
                finish(stream); /* the host ended the stream, or the call failed: the status says which */
            } else {
                struct kapsel_status decoded;
                if (wire_unpack(received, stream->message_descriptor, message, &decoded) == KAPSEL_OK) {
                    return status_ok(status) == KAPSEL_OK;
                }
                fail(stream, &decoded);
            }
        }
    }
    if (status) {
        *status = stream->final_status;
    }
    return false;
}

void kapsel_stream_close(struct kapsel_stream *stream)
{
    if (stream == NULL) {
        return;
    }
    if (!stream->status_received) {
        grpc_call_cancel(stream->call, NULL);
        grpc_completion_queue_pluck(stream->queue, status_tag(stream), forever(), NULL);
    }
    grpc_slice_unref(stream->details);
    gpr_free((void *)stream->error_string);
    grpc_metadata_array_destroy(&stream->initial_metadata);
    grpc_metadata_array_destroy(&stream->trailing_metadata);
    grpc_call_unref(stream->call);
    grpc_completion_queue_shutdown(stream->queue);
    grpc_completion_queue_pluck(stream->queue, NULL, forever(), NULL);
    grpc_completion_queue_destroy(stream->queue);
    free(stream);
}
