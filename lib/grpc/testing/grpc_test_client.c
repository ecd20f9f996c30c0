/* An in-process HTTP/2 client for a grpc_connection: see grpc_test_client.h. */
#include "grpc_test_client.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_OUTPUT_CHUNK (16u * 1024)

static bool append(uint8_t **buffer, size_t *length, const uint8_t *bytes, size_t count)
{
    if (count == 0) {
        return true;
    }
    uint8_t *bigger = realloc(*buffer, *length + count);
    if (bigger == NULL) {
        return false;
    }
    memcpy(bigger + *length, bytes, count);
    *buffer = bigger;
    *length += count;
    return true;
}

static void copy_text(char *destination, const uint8_t *value, size_t length)
{
    if (length >= GRPC_TEST_TEXT_MAX) {
        length = GRPC_TEST_TEXT_MAX - 1;
    }
    memcpy(destination, value, length);
    destination[length] = '\0';
}

static bool name_is(const uint8_t *name, size_t length, const char *text)
{
    return length == strlen(text) && memcmp(name, text, length) == 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t name_length,
                     const uint8_t *value, size_t value_length, uint8_t flags, void *user_data)
{
    (void)flags;
    (void)user_data;
    struct grpc_test_stream *stream = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (stream == NULL) {
        return 0;
    }
    char text[GRPC_TEST_TEXT_MAX];
    copy_text(text, value, value_length);
    if (name_is(name, name_length, ":status")) {
        stream->http_status = atoi(text);
    } else if (name_is(name, name_length, "content-type")) {
        copy_text(stream->content_type, value, value_length);
    } else if (name_is(name, name_length, "grpc-status")) {
        stream->grpc_status = atoi(text);
    } else if (name_is(name, name_length, "grpc-message")) {
        copy_text(stream->grpc_message, value, value_length);
    }
    return 0;
}

static int on_frame_received(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct grpc_test_client *client = user_data;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        client->goaway_received = true;
        client->goaway_error_code = frame->goaway.error_code;
    }
    struct grpc_test_stream *stream = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (stream != NULL && frame->hd.type == NGHTTP2_HEADERS) {
        stream->header_blocks++;
    }
    if (stream != NULL && frame->hd.type == NGHTTP2_RST_STREAM) {
        stream->reset_received = true;
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t length,
                         void *user_data)
{
    (void)flags;
    (void)user_data;
    struct grpc_test_stream *stream = nghttp2_session_get_stream_user_data(session, stream_id);
    if (stream == NULL) {
        return 0;
    }
    return append(&stream->data, &stream->data_length, data, length) ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_stream_closed(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *user_data)
{
    (void)user_data;
    struct grpc_test_stream *stream = nghttp2_session_get_stream_user_data(session, stream_id);
    if (stream != NULL) {
        stream->closed = true;
        stream->close_error_code = error_code;
    }
    return 0;
}

static ssize_t read_request_body(nghttp2_session *session, int32_t stream_id, uint8_t *buffer, size_t length,
                                 uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    (void)session;
    (void)stream_id;
    (void)user_data;
    struct grpc_test_stream *stream = source->ptr;
    size_t available = stream->outgoing_length - stream->outgoing_sent;
    if (available == 0 && !stream->outgoing_ended) {
        stream->outgoing_deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t take = available < length ? available : length;
    if (take > 0) {
        memcpy(buffer, stream->outgoing + stream->outgoing_sent, take);
    }
    stream->outgoing_sent += take;
    if (stream->outgoing_sent == stream->outgoing_length && stream->outgoing_ended) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)take;
}

bool grpc_test_client_init(struct grpc_test_client *client, struct grpc_connection *connection, size_t output_chunk,
                           bool manual_window)
{
    memset(client, 0, sizeof(*client));
    client->connection = connection;
    client->output_chunk = output_chunk != 0 ? output_chunk : DEFAULT_OUTPUT_CHUNK;
    nghttp2_session_callbacks *callbacks;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) {
        return false;
    }
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_received);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_closed);
    nghttp2_option *options;
    if (nghttp2_option_new(&options) != 0) {
        nghttp2_session_callbacks_del(callbacks);
        return false;
    }
    nghttp2_option_set_no_auto_window_update(options, manual_window);
    int status = nghttp2_session_client_new2(&client->session, callbacks, client, options);
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(callbacks);
    if (status != 0) {
        return false;
    }
    return nghttp2_submit_settings(client->session, NGHTTP2_FLAG_NONE, NULL, 0) == 0;
}

void grpc_test_client_release(struct grpc_test_client *client)
{
    nghttp2_session_del(client->session);
    for (size_t i = 0; i < client->stream_count; i++) {
        free(client->streams[i].outgoing);
        free(client->streams[i].data);
    }
}

static nghttp2_nv header(const char *name, const char *value)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE};
}

struct grpc_test_stream *grpc_test_client_start(struct grpc_test_client *client,
                                                const struct grpc_test_request *request)
{
    if (client->stream_count == GRPC_TEST_MAX_STREAMS) {
        return NULL;
    }
    struct grpc_test_stream *stream = &client->streams[client->stream_count];
    memset(stream, 0, sizeof(*stream));
    stream->grpc_status = -1;
    nghttp2_nv nva[8];
    size_t count = 0;
    nva[count++] = header(":method", request->method != NULL ? request->method : "POST");
    nva[count++] = header(":scheme", "http");
    nva[count++] = header(":authority", "localhost");
    nva[count++] = header(":path", request->path);
    const char *content_type = request->content_type != NULL ? request->content_type : "application/grpc";
    if (content_type[0] != '\0') {
        nva[count++] = header("content-type", content_type);
    }
    nva[count++] = header("te", "trailers");
    if (request->timeout != NULL) {
        nva[count++] = header("grpc-timeout", request->timeout);
    }
    if (request->extra_name != NULL) {
        nva[count++] = header(request->extra_name, request->extra_value);
    }
    nghttp2_data_provider provider = {.source.ptr = stream, .read_callback = read_request_body};
    int32_t id = nghttp2_submit_request(client->session, NULL, nva, count, &provider, stream);
    if (id < 0) {
        return NULL;
    }
    stream->id = id;
    client->stream_count++;
    return stream;
}

bool grpc_test_stream_send(struct grpc_test_client *client, struct grpc_test_stream *stream, const uint8_t *bytes,
                           size_t length, bool end)
{
    if (!append(&stream->outgoing, &stream->outgoing_length, bytes, length)) {
        return false;
    }
    stream->outgoing_ended = end;
    if (stream->outgoing_deferred) {
        stream->outgoing_deferred = false;
        nghttp2_session_resume_data(client->session, stream->id);
    }
    return true;
}

bool grpc_test_stream_send_message(struct grpc_test_client *client, struct grpc_test_stream *stream,
                                   const uint8_t *message, size_t length, bool end)
{
    uint8_t prefix[GRPC_MESSAGE_PREFIX_SIZE] = {
        0, (uint8_t)(length >> 24), (uint8_t)(length >> 16), (uint8_t)(length >> 8), (uint8_t)length,
    };
    return grpc_test_stream_send(client, stream, prefix, sizeof(prefix), false) &&
           grpc_test_stream_send(client, stream, message, length, end);
}

void grpc_test_stream_cancel(struct grpc_test_client *client, struct grpc_test_stream *stream)
{
    nghttp2_submit_rst_stream(client->session, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_CANCEL);
}

bool grpc_test_client_pump(struct grpc_test_client *client)
{
    uint8_t *buffer = malloc(client->output_chunk);
    if (buffer == NULL) {
        return false;
    }
    bool moved = true;
    while (moved && client->server_result == GRPC_RESULT_OK) {
        moved = false;
        const uint8_t *bytes;
        ssize_t length;
        while (client->server_result == GRPC_RESULT_OK &&
               (length = nghttp2_session_mem_send(client->session, &bytes)) > 0) {
            moved = true;
            client->server_result = grpc_connection_receive(client->connection, bytes, (size_t)length);
        }
        size_t pulled;
        while (client->server_result == GRPC_RESULT_OK &&
               (pulled = grpc_connection_output(client->connection, buffer, client->output_chunk)) > 0) {
            moved = true;
            nghttp2_session_mem_recv(client->session, buffer, pulled);
        }
    }
    free(buffer);
    return client->server_result == GRPC_RESULT_OK;
}

bool grpc_test_stream_message(const struct grpc_test_stream *stream, size_t index, const uint8_t **message,
                              size_t *length)
{
    size_t offset = 0;
    for (size_t i = 0;; i++) {
        if (stream->data_length - offset < GRPC_MESSAGE_PREFIX_SIZE) {
            return false;
        }
        const uint8_t *prefix = stream->data + offset;
        size_t size = (size_t)prefix[1] << 24 | (size_t)prefix[2] << 16 | (size_t)prefix[3] << 8 | prefix[4];
        if (stream->data_length - offset - GRPC_MESSAGE_PREFIX_SIZE < size) {
            return false;
        }
        if (i == index) {
            *message = prefix + GRPC_MESSAGE_PREFIX_SIZE;
            *length = size;
            return true;
        }
        offset += GRPC_MESSAGE_PREFIX_SIZE + size;
    }
}

size_t grpc_test_stream_message_count(const struct grpc_test_stream *stream)
{
    size_t count = 0;
    const uint8_t *message;
    size_t length;
    while (grpc_test_stream_message(stream, count, &message, &length)) {
        count++;
    }
    return count;
}
