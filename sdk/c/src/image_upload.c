/* UploadImage, a client stream: the header, the content in chunks (each waits until the transport took the last, so
 * memory stays one chunk), then the answer. The status batch starts first, so that a refusal ends the sending. */
#include "client_internal.h"
#include "client_status.h"
#include "content_source.h"
#include "grpc_wire.h"

#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <string.h>

#define UPLOAD_PATH "/kapsel.v1.ImageService/UploadImage"

struct upload_call {
    const struct kapsel_client *client;
    grpc_completion_queue *queue;
    grpc_call *call;
    grpc_metadata_array initial_metadata;
    grpc_metadata_array trailing_metadata;
    grpc_status_code code;
    grpc_slice details;
    const char *error_string;
    grpc_byte_buffer *answer;
};

static gpr_timespec forever(void)
{
    return gpr_inf_future(GPR_CLOCK_REALTIME);
}

/* Runs one batch to its end; false if it failed (the call is over: its status says why). */
static bool run_batch(struct upload_call *upload, grpc_op *ops, size_t count)
{
    if (grpc_call_start_batch(upload->call, ops, count, ops, NULL) != GRPC_CALL_OK) {
        return false;
    }
    return grpc_completion_queue_pluck(upload->queue, ops, forever(), NULL).success != 0;
}

/* Sends one UploadImageRequest; false if the call is over. */
static bool send_part(struct upload_call *upload, const Kapsel__V1__UploadImageRequest *part, bool first)
{
    grpc_byte_buffer *packed = wire_pack(&part->base);
    grpc_metadata authorization;
    grpc_op ops[2];
    size_t count = 0;
    if (first) {
        ops[count++] = call_initial_metadata(upload->client, &authorization);
    }
    ops[count++] = (grpc_op){.op = GRPC_OP_SEND_MESSAGE, .data.send_message.send_message = packed};
    bool sent = run_batch(upload, ops, count);
    grpc_byte_buffer_destroy(packed);
    return sent;
}

static bool send_header(struct upload_call *upload, const struct content_source *source, const char *sha256,
                        const char *display_name)
{
    Kapsel__V1__UploadImageHeader header = KAPSEL__V1__UPLOAD_IMAGE_HEADER__INIT;
    header.size_bytes = source->size;
    header.sha256 = (char *)sha256;
    header.display_name = (char *)(display_name ? display_name : "");
    Kapsel__V1__UploadImageRequest part = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__INIT;
    part.part_case = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_HEADER;
    part.header = &header;
    return send_part(upload, &part, true);
}

static bool send_chunk(struct upload_call *upload, const uint8_t *data, size_t length)
{
    Kapsel__V1__UploadImageRequest part = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__INIT;
    part.part_case = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_CHUNK;
    part.chunk.data = (uint8_t *)data;
    part.chunk.len = length;
    return send_part(upload, &part, false);
}

static void close_and_receive(struct upload_call *upload)
{
    grpc_op ops[3] = {
        {.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT},
        {.op = GRPC_OP_RECV_INITIAL_METADATA,
         .data.recv_initial_metadata.recv_initial_metadata = &upload->initial_metadata},
        {.op = GRPC_OP_RECV_MESSAGE, .data.recv_message.recv_message = &upload->answer},
    };
    run_batch(upload, ops, 3);
}

/* Whether the upload goes on after sent_bytes. */
static bool report_progress(const struct kapsel_upload_options *options, uint64_t sent_bytes, uint64_t total_bytes)
{
    return options->progress == NULL || options->progress(options->progress_context, sent_bytes, total_bytes);
}

/* Sends everything, or until the host ended the call; KAPSEL_OK then (the host's verdict is the call's status), else
 * this side's error (the call is cancelled). */
static int send_content(struct upload_call *upload, struct content_source *source, const char *sha256,
                        const struct kapsel_upload_options *options, struct kapsel_status *status)
{
    if (!send_header(upload, source, sha256, options->display_name)) {
        return KAPSEL_OK; /* refused: the status tells */
    }
    uint64_t sent_bytes = 0;
    if (!report_progress(options, 0, source->size)) {
        return status_set(status, KAPSEL_CANCELLED, "the upload was cancelled by its progress callback");
    }
    for (;;) {
        const uint8_t *data;
        size_t length;
        int read_result = content_source_next(source, &data, &length, status);
        if (read_result != KAPSEL_OK) {
            return read_result;
        }
        if (length == 0 || !send_chunk(upload, data, length)) {
            return KAPSEL_OK;
        }
        sent_bytes += length;
        if (!report_progress(options, sent_bytes, source->size)) {
            return status_set(status, KAPSEL_CANCELLED, "the upload was cancelled by its progress callback");
        }
    }
}

static int upload(struct kapsel_client *client, struct content_source *source,
                  const struct kapsel_upload_options *options, const struct kapsel_call_options *call_options,
                  Kapsel__V1__Image **image, struct kapsel_status *status)
{
    char sha256[KAPSEL_SHA256_HEX_BYTES];
    int result = content_source_sha256(source, sha256, status);
    if (result != KAPSEL_OK) {
        return result;
    }
    struct upload_call upload = {.client = client, .details = grpc_empty_slice(), .code = GRPC_STATUS_UNKNOWN};
    upload.queue = grpc_completion_queue_create_for_pluck(NULL);
    upload.call = grpc_channel_create_call(client->channel, NULL, GRPC_PROPAGATE_DEFAULTS, upload.queue,
                                           grpc_slice_from_static_string(UPLOAD_PATH), NULL,
                                           call_deadline_grpc(call_deadline_unary(client, call_options)), NULL);
    grpc_metadata_array_init(&upload.initial_metadata);
    grpc_metadata_array_init(&upload.trailing_metadata);
    grpc_op status_op = {
        .op = GRPC_OP_RECV_STATUS_ON_CLIENT,
        .data.recv_status_on_client = {.trailing_metadata = &upload.trailing_metadata,
                                       .status = &upload.code,
                                       .status_details = &upload.details,
                                       .error_string = &upload.error_string},
    };
    bool status_started = grpc_call_start_batch(upload.call, &status_op, 1, &upload.code, NULL) == GRPC_CALL_OK;
    result = status_started ? send_content(&upload, source, sha256, options, status)
                            : status_set(status, KAPSEL_INTERNAL, UPLOAD_PATH ": gRPC refused the call");
    if (result == KAPSEL_OK) {
        /* After a refusal too: gRPC holds a status back until the answer's initial metadata was received. */
        close_and_receive(&upload);
    } else {
        grpc_call_cancel(upload.call, NULL);
    }
    if (status_started) {
        grpc_completion_queue_pluck(upload.queue, &upload.code, forever(), NULL);
    }
    if (result == KAPSEL_OK) {
        result = wire_status(status, upload.code, upload.details, upload.error_string);
    }
    if (result == KAPSEL_OK && upload.answer == NULL) {
        result = status_set(status, KAPSEL_INTERNAL, UPLOAD_PATH ": the host answered OK without a message");
    } else if (result == KAPSEL_OK) {
        result = wire_unpack(upload.answer, &kapsel__v1__image__descriptor, (ProtobufCMessage **)image, status);
        upload.answer = NULL;
    }
    if (upload.answer) {
        grpc_byte_buffer_destroy(upload.answer);
    }
    grpc_slice_unref(upload.details);
    gpr_free((void *)upload.error_string);
    grpc_metadata_array_destroy(&upload.initial_metadata);
    grpc_metadata_array_destroy(&upload.trailing_metadata);
    grpc_call_unref(upload.call);
    grpc_completion_queue_shutdown(upload.queue);
    grpc_completion_queue_pluck(upload.queue, NULL, forever(), NULL);
    grpc_completion_queue_destroy(upload.queue);
    return result;
}

/* The checks both entry points share, and the options with their defaults. */
static int check_upload(struct kapsel_client *client, const struct kapsel_upload_options *given,
                        struct kapsel_upload_options *options, Kapsel__V1__Image **image, struct kapsel_status *status)
{
    if (image == NULL || client == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "UploadImage: %s is NULL",
                          image == NULL ? "the image pointer" : "the client");
    }
    *image = NULL;
    *options = given ? *given : (struct kapsel_upload_options){0};
    if (options->chunk_bytes == 0) {
        options->chunk_bytes = KAPSEL_UPLOAD_CHUNK_MAX;
    }
    return status_ok(status);
}

int kapsel_upload_image_buffer(struct kapsel_client *client, const void *data, size_t size,
                               const struct kapsel_upload_options *upload_options,
                               const struct kapsel_call_options *call_options, Kapsel__V1__Image **image,
                               struct kapsel_status *status)
{
    struct kapsel_upload_options options;
    struct content_source source;
    int result = check_upload(client, upload_options, &options, image, status);
    if (result == KAPSEL_OK) {
        result = content_source_from_buffer(&source, data, size, options.chunk_bytes, status);
    }
    if (result == KAPSEL_OK) {
        result = upload(client, &source, &options, call_options, image, status);
    }
    return result;
}

int kapsel_upload_image_file(struct kapsel_client *client, const char *path,
                             const struct kapsel_upload_options *upload_options,
                             const struct kapsel_call_options *call_options, Kapsel__V1__Image **image,
                             struct kapsel_status *status)
{
    struct kapsel_upload_options options;
    int result = check_upload(client, upload_options, &options, image, status);
    if (result != KAPSEL_OK) {
        return result;
    }
    struct content_source source;
    result = content_source_from_file(&source, path, options.chunk_bytes, status);
    if (result == KAPSEL_OK) {
        result = upload(client, &source, &options, call_options, image, status);
    }
    content_source_close(&source);
    return result;
}
