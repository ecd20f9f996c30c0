/*
 * The gRPC server core: connections as nghttp2 server sessions driven through memory (mem_recv, mem_send), calls as
 * HTTP/2 streams. See kapsel/grpc_server.h for the contract with the program and the services.
 *
 * A call's struct lives as long as its stream in nghttp2 (stream user data): it is made when the request's headers
 * begin and freed when nghttp2 closes the stream (or with the connection). Its phase says what the layer still
 * expects: headers, then messages (OPEN), then nothing (ENDED: a status was submitted or the stream reset);
 * owned_by_service says whether the service holds the pointer, which decides whether on_cancel is due.
 */
#include "grpc_message_reader.h"
#include "grpc_send_queue.h"
#include "grpc_timeout.h"

#include <kapsel/grpc_server.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Status messages the layer writes itself are short; a request's path in one is cut to this many bytes. */
#define STATUS_MESSAGE_MAX 256
#define PATH_IN_MESSAGE_MAX 128

struct grpc_server {
    const struct grpc_method *methods;
    size_t method_count;
    uint32_t max_concurrent_streams;
    uint32_t max_header_list_size;
    uint64_t (*clock_ms)(void *context);
    void *clock_context;
    grpc_authenticate_callback authenticate;
    void *authenticate_context;
    nghttp2_session_callbacks *callbacks; /* the same for every connection */
    nghttp2_option *options;
};

struct grpc_connection {
    struct grpc_server *server;
    nghttp2_session *session;
    void *user_data;
    struct grpc_call *calls; /* every call with a stream, newest first */
    /* Serialised output the program has not taken yet: nghttp2's frame buffer is only valid until its next call. */
    uint8_t *pending;
    size_t pending_capacity;
    size_t pending_start;
    size_t pending_end;
    bool failed; /* nghttp2 could not serialise (out of memory): the connection is over */
};

enum call_phase {
    CALL_READING_HEADERS,
    CALL_OPEN,
    CALL_ENDED,
};

/* What the request's headers said, kept until they are complete and checked. */
struct request_headers {
    size_t list_size; /* RFC 9113's accounting: name, value and 32 bytes per field */
    bool too_large;
    bool is_post;
    bool content_type_is_grpc;
    bool has_timeout;
    uint64_t timeout_ms;
    char *path;
    char *authorization; /* the authorization header's value, or NULL */
};

struct grpc_call {
    struct grpc_connection *connection;
    struct grpc_call *previous;
    struct grpc_call *next;
    int32_t stream_id;
    enum call_phase phase;
    bool owned_by_service;
    const struct grpc_method *method;
    const void *principal; /* what authenticate returned for the call; NULL without authentication */
    void *user_data;
    uint64_t deadline_ms;
    struct request_headers headers;
    struct grpc_message_reader reader;
    uint8_t *request; /* UNARY, SERVER_STREAMING: the one request message, until the half-close */
    size_t request_length;
    struct grpc_send_queue send_queue;
    bool response_started; /* response headers submitted, with the data provider that drains send_queue */
    bool data_deferred;    /* the data provider found send_queue empty: resume it when a message comes */
    bool trailers_due;     /* finished after response_started: trailers follow once send_queue is drained */
    enum grpc_status_code status;
    char *status_message; /* percent-encoded, or NULL */
};

const char *grpc_result_name(enum grpc_result result)
{
    switch (result) {
    case GRPC_RESULT_OK:
        return "ok";
    case GRPC_RESULT_INVALID_ARGUMENT:
        return "invalid argument";
    case GRPC_RESULT_OUT_OF_MEMORY:
        return "out of memory";
    case GRPC_RESULT_QUEUE_FULL:
        return "send queue full";
    case GRPC_RESULT_BROKEN_CONNECTION:
        return "broken connection";
    case GRPC_RESULT_PROTOCOL_ERROR:
        return "protocol error";
    }
    return "unknown result";
}

static bool bytes_equal(const uint8_t *bytes, size_t length, const char *text)
{
    return length == strlen(text) && memcmp(bytes, text, length) == 0;
}

/* application/grpc, alone or followed by +<format> or ;<parameters> (gRPC over HTTP/2's Content-Type). */
static bool is_grpc_content_type(const uint8_t *value, size_t length)
{
    static const char grpc_type[] = "application/grpc";
    size_t type_length = sizeof(grpc_type) - 1;
    if (length < type_length || memcmp(value, grpc_type, type_length) != 0) {
        return false;
    }
    return length == type_length || value[type_length] == '+' || value[type_length] == ';';
}

static nghttp2_nv header(const char *name, const char *value)
{
    return (nghttp2_nv){
        .name = (uint8_t *)name,
        .value = (uint8_t *)value,
        .namelen = strlen(name),
        .valuelen = strlen(value),
        .flags = NGHTTP2_NV_FLAG_NONE, /* nghttp2 copies both: they may live on the stack */
    };
}

static const struct grpc_method *find_method(const struct grpc_server *server, const char *path)
{
    for (size_t i = 0; i < server->method_count; i++) {
        if (strcmp(server->methods[i].path, path) == 0) {
            return &server->methods[i];
        }
    }
    return NULL;
}

/* The stream ends badly without a status (nothing better can be sent). */
static void reset_stream(struct grpc_call *call)
{
    call->phase = CALL_ENDED;
    nghttp2_submit_rst_stream(call->connection->session, NGHTTP2_FLAG_NONE, call->stream_id, NGHTTP2_INTERNAL_ERROR);
}

/* grpc-status and grpc-message into nva (two entries at most); returns how many. */
static size_t status_headers(nghttp2_nv *nva, char *code_text, enum grpc_status_code code, const char *encoded)
{
    snprintf(code_text, 4, "%u", (unsigned)code);
    nva[0] = header("grpc-status", code_text);
    if (encoded == NULL) {
        return 1;
    }
    nva[1] = header("grpc-message", encoded);
    return 2;
}

/* The percent-encoded message (malloc'd), NULL for none; *failed if there is one but no memory for it. */
static char *encode_status_message(const char *message, bool *failed)
{
    *failed = false;
    if (message == NULL || message[0] == '\0') {
        return NULL;
    }
    size_t length = grpc_percent_encode(message, NULL, 0);
    char *encoded = malloc(length + 1);
    if (encoded == NULL) {
        *failed = true;
        return NULL;
    }
    grpc_percent_encode(message, encoded, length + 1);
    return encoded;
}

/* A response that is only headers ending the stream: HTTP status, content-type and the gRPC status. */
static enum grpc_result submit_trailers_only(struct grpc_call *call, const char *http_status,
                                             enum grpc_status_code code, const char *encoded)
{
    nghttp2_nv nva[5];
    char code_text[4];
    nva[0] = header(":status", http_status);
    nva[1] = header("content-type", "application/grpc");
    nva[2] = header("grpc-accept-encoding", "identity");
    size_t count = 3 + status_headers(nva + 3, code_text, code, encoded);
    if (nghttp2_submit_response(call->connection->session, call->stream_id, nva, count, NULL) != 0) {
        return GRPC_RESULT_PROTOCOL_ERROR;
    }
    return GRPC_RESULT_OK;
}

static ssize_t read_response_data(nghttp2_session *session, int32_t stream_id, uint8_t *buffer, size_t length,
                                  uint32_t *data_flags, nghttp2_data_source *source, void *user_data);

static enum grpc_result start_response(struct grpc_call *call)
{
    nghttp2_nv nva[3] = {
        header(":status", "200"),
        header("content-type", "application/grpc"),
        header("grpc-accept-encoding", "identity"),
    };
    nghttp2_data_provider provider = {.source.ptr = call, .read_callback = read_response_data};
    if (nghttp2_submit_response(call->connection->session, call->stream_id, nva, 3, &provider) != 0) {
        return GRPC_RESULT_PROTOCOL_ERROR;
    }
    call->response_started = true;
    return GRPC_RESULT_OK;
}

static void resume_response(struct grpc_call *call)
{
    if (call->data_deferred) {
        call->data_deferred = false;
        nghttp2_session_resume_data(call->connection->session, call->stream_id);
    }
}

/*
 * Ends the response with a gRPC status: trailers-only if no response headers went yet, else trailers after the
 * queued messages. The phase is ENDED afterwards; on failure the stream is reset instead.
 */
static enum grpc_result submit_status(struct grpc_call *call, const char *http_status, enum grpc_status_code code,
                                      const char *message)
{
    call->phase = CALL_ENDED;
    bool failed;
    char *encoded = encode_status_message(message, &failed);
    if (failed) {
        reset_stream(call);
        return GRPC_RESULT_OUT_OF_MEMORY;
    }
    if (!call->response_started) {
        enum grpc_result result = submit_trailers_only(call, http_status, code, encoded);
        free(encoded);
        if (result != GRPC_RESULT_OK) {
            reset_stream(call);
        }
        return result;
    }
    call->trailers_due = true;
    call->status = code;
    call->status_message = encoded;
    resume_response(call);
    return GRPC_RESULT_OK;
}

/* The layer ends an open call: the service, if it holds the call, learns through on_cancel. */
static void end_call(struct grpc_call *call, enum grpc_status_code code, const char *message)
{
    if (call->phase == CALL_ENDED) {
        return;
    }
    call->phase = CALL_ENDED; /* before on_cancel: a service that still calls finish there is refused */
    if (call->owned_by_service) {
        call->owned_by_service = false;
        if (call->method->on_cancel != NULL) {
            call->method->on_cancel(call);
        }
    }
    /* A failed call's status should not wait behind messages the client has not begun to receive. */
    grpc_send_queue_drop_unsent(&call->send_queue);
    submit_status(call, "200", code, message);
}

/* nghttp2 asks for the next DATA frame's payload: queued messages, then (once finished) the trailers. */
static ssize_t read_response_data(nghttp2_session *session, int32_t stream_id, uint8_t *buffer, size_t length,
                                  uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    (void)user_data;
    struct grpc_call *call = source->ptr;
    size_t copied = grpc_send_queue_read(&call->send_queue, buffer, length);
    if (!grpc_send_queue_is_empty(&call->send_queue)) {
        return (ssize_t)copied;
    }
    if (call->trailers_due) {
        nghttp2_nv nva[2];
        char code_text[4];
        size_t count = status_headers(nva, code_text, call->status, call->status_message);
        if (nghttp2_submit_trailer(session, stream_id, nva, count) != 0) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* nghttp2 resets the stream */
        }
        call->trailers_due = false;
        *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        return (ssize_t)copied;
    }
    if (copied > 0) {
        return (ssize_t)copied;
    }
    call->data_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
}

static void unlink_call(struct grpc_call *call)
{
    struct grpc_connection *connection = call->connection;
    if (call->previous != NULL) {
        call->previous->next = call->next;
    } else {
        connection->calls = call->next;
    }
    if (call->next != NULL) {
        call->next->previous = call->previous;
    }
}

static void free_call(struct grpc_call *call)
{
    unlink_call(call);
    free(call->headers.path);
    free(call->headers.authorization);
    grpc_message_reader_release(&call->reader);
    free(call->request);
    grpc_send_queue_release(&call->send_queue);
    free(call->status_message);
    free(call);
}

static struct grpc_call *stream_call(nghttp2_session *session, int32_t stream_id)
{
    return nghttp2_session_get_stream_user_data(session, stream_id);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct grpc_connection *connection = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0;
    }
    struct grpc_call *call = calloc(1, sizeof(*call));
    if (call == NULL) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* nghttp2 resets the stream */
    }
    call->connection = connection;
    call->stream_id = frame->hd.stream_id;
    call->phase = CALL_READING_HEADERS;
    call->deadline_ms = GRPC_NO_DEADLINE;
    if (nghttp2_session_set_stream_user_data(session, call->stream_id, call) != 0) {
        free(call);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    call->next = connection->calls;
    if (connection->calls != NULL) {
        connection->calls->previous = call;
    }
    connection->calls = call;
    return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t name_length,
                     const uint8_t *value, size_t value_length, uint8_t flags, void *user_data)
{
    (void)flags;
    struct grpc_connection *connection = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0; /* the client's trailers, which gRPC requests do not carry: ignored */
    }
    struct grpc_call *call = stream_call(session, frame->hd.stream_id);
    if (call == NULL) {
        return 0;
    }
    struct request_headers *headers = &call->headers;
    headers->list_size += name_length + value_length + 32;
    if (headers->list_size > connection->server->max_header_list_size) {
        headers->too_large = true;
    }
    if (headers->too_large) {
        return 0;
    }
    if (bytes_equal(name, name_length, ":method")) {
        headers->is_post = bytes_equal(value, value_length, "POST");
    } else if (bytes_equal(name, name_length, ":path")) {
        /* nghttp2's HTTP checks allow one :path only, so there is no earlier copy to free. */
        headers->path = malloc(value_length + 1);
        if (headers->path == NULL) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        memcpy(headers->path, value, value_length);
        headers->path[value_length] = '\0';
    } else if (connection->server->authenticate != NULL && bytes_equal(name, name_length, "authorization")) {
        /* Kept only for the authenticate hook. A repeated header replaces the earlier one; either way the value is
         * kept whole, within the list size. */
        char *copy = malloc(value_length + 1);
        if (copy == NULL) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        memcpy(copy, value, value_length);
        copy[value_length] = '\0';
        free(headers->authorization);
        headers->authorization = copy;
    } else if (bytes_equal(name, name_length, "content-type")) {
        headers->content_type_is_grpc = is_grpc_content_type(value, value_length);
    } else if (bytes_equal(name, name_length, "grpc-timeout")) {
        headers->has_timeout = grpc_timeout_parse(value, value_length, &headers->timeout_ms);
    }
    return 0;
}

/* The request's headers are complete: refuse the call, or open it for its messages. */
static void start_call(struct grpc_call *call)
{
    struct grpc_server *server = call->connection->server;
    struct request_headers *headers = &call->headers;
    char message[STATUS_MESSAGE_MAX];
    if (headers->too_large) {
        snprintf(message, sizeof(message), "request headers larger than %u bytes",
                 (unsigned)server->max_header_list_size);
        submit_status(call, "200", GRPC_STATUS_RESOURCE_EXHAUSTED, message);
        return;
    }
    if (!headers->is_post) {
        submit_status(call, "405", GRPC_STATUS_INTERNAL, "gRPC requests are POST");
        return;
    }
    if (!headers->content_type_is_grpc) {
        submit_status(call, "415", GRPC_STATUS_INTERNAL, "content-type must be application/grpc");
        return;
    }
    call->method = headers->path != NULL ? find_method(server, headers->path) : NULL;
    if (call->method == NULL) {
        snprintf(message, sizeof(message), "unknown method %.*s", PATH_IN_MESSAGE_MAX,
                 headers->path != NULL ? headers->path : "");
        submit_status(call, "200", GRPC_STATUS_UNIMPLEMENTED, message);
        return;
    }
    if (server->authenticate != NULL && !call->method->anonymous) {
        const char *refusal = NULL;
        call->principal = server->authenticate(server->authenticate_context, headers->authorization, &refusal);
        if (call->principal == NULL) {
            submit_status(call, "200", GRPC_STATUS_UNAUTHENTICATED,
                          refusal != NULL ? refusal : "authorization: not accepted");
            return;
        }
    }
    free(headers->authorization);
    headers->authorization = NULL;
    if (headers->has_timeout) {
        /* Saturating below GRPC_NO_DEADLINE, which would mean none. */
        uint64_t now = server->clock_ms(server->clock_context);
        uint64_t latest = GRPC_NO_DEADLINE - 1;
        call->deadline_ms = headers->timeout_ms > latest - now ? latest : now + headers->timeout_ms;
    }
    free(headers->path);
    headers->path = NULL;
    size_t max_request_size = call->method->max_request_size;
    size_t send_queue_limit = call->method->send_queue_limit;
    grpc_message_reader_init(&call->reader, max_request_size != 0 ? max_request_size : GRPC_DEFAULT_MAX_REQUEST_SIZE);
    grpc_send_queue_init(&call->send_queue, send_queue_limit != 0 ? send_queue_limit : GRPC_DEFAULT_SEND_QUEUE_LIMIT);
    call->phase = CALL_OPEN;
}

/* A complete request message. */
static void deliver_message(struct grpc_call *call, uint8_t *message, size_t length)
{
    if (call->method->kind == GRPC_METHOD_CLIENT_STREAMING) {
        call->owned_by_service = true;
        call->method->on_message(call, message, length);
        free(message);
        return;
    }
    if (call->request != NULL) {
        free(message);
        end_call(call, GRPC_STATUS_INTERNAL, "more than one request message for a unary-request method");
        return;
    }
    call->request = message;
    call->request_length = length;
}

static void refuse_message(struct grpc_call *call, enum grpc_read_outcome outcome)
{
    char message[STATUS_MESSAGE_MAX];
    switch (outcome) {
    case GRPC_READ_COMPRESSED:
        end_call(call, GRPC_STATUS_UNIMPLEMENTED, "compressed messages are not supported");
        break;
    case GRPC_READ_TOO_LARGE:
        snprintf(message, sizeof(message), "request message of %lu bytes is larger than the limit of %lu",
                 (unsigned long)grpc_message_reader_claimed_length(&call->reader),
                 (unsigned long)call->reader.max_size);
        end_call(call, GRPC_STATUS_RESOURCE_EXHAUSTED, message);
        break;
    case GRPC_READ_OUT_OF_MEMORY:
        end_call(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory for the request message");
        break;
    default:
        end_call(call, GRPC_STATUS_INTERNAL, "invalid message flags");
        break;
    }
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t length,
                         void *user_data)
{
    (void)flags;
    (void)user_data;
    struct grpc_call *call = stream_call(session, stream_id);
    size_t offset = 0;
    /* A callback may end the call: what follows in the chunk is then ignored. */
    while (call != NULL && call->phase == CALL_OPEN && offset < length) {
        size_t consumed;
        enum grpc_read_outcome outcome =
            grpc_message_reader_feed(&call->reader, data + offset, length - offset, &consumed);
        offset += consumed;
        if (outcome == GRPC_READ_MESSAGE) {
            size_t message_length;
            uint8_t *message = grpc_message_reader_take(&call->reader, &message_length);
            deliver_message(call, message, message_length);
        } else if (outcome != GRPC_READ_NEED_MORE) {
            refuse_message(call, outcome);
        }
    }
    return 0;
}

/* The client has sent everything (END_STREAM). */
static void half_close(struct grpc_call *call)
{
    if (call->phase != CALL_OPEN) {
        return;
    }
    if (grpc_message_reader_in_message(&call->reader)) {
        end_call(call, GRPC_STATUS_INTERNAL, "the request ended inside a message");
        return;
    }
    if (call->method->kind == GRPC_METHOD_CLIENT_STREAMING) {
        call->owned_by_service = true;
        call->method->on_half_close(call);
        return;
    }
    if (call->request == NULL) {
        end_call(call, GRPC_STATUS_INTERNAL, "No payload");
        return;
    }
    uint8_t *request = call->request;
    call->request = NULL;
    call->owned_by_service = true;
    call->method->on_request(call, request, call->request_length);
    free(request);
}

static int on_frame_received(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) {
        return 0;
    }
    struct grpc_call *call = stream_call(session, frame->hd.stream_id);
    if (call == NULL) {
        return 0;
    }
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        start_call(call);
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        half_close(call);
    }
    return 0;
}

/*
 * The response ended (END_STREAM) while the client may still send: reset the stream with NO_ERROR so that it stops
 * (RFC 9113, section 8.1), e.g. after a refused oversized message.
 */
static int on_frame_sent(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    (void)user_data;
    bool ends_stream = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                       (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    if (ends_stream && nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

static int on_stream_closed(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *user_data)
{
    (void)error_code;
    (void)user_data;
    struct grpc_call *call = stream_call(session, stream_id);
    if (call == NULL) {
        return 0;
    }
    if (call->owned_by_service) {
        call->owned_by_service = false;
        call->phase = CALL_ENDED;
        if (call->method->on_cancel != NULL) {
            call->method->on_cancel(call);
        }
    }
    free_call(call);
    return 0;
}

static bool method_is_valid(const struct grpc_method *method)
{
    if (method->path == NULL || method->path[0] != '/') {
        return false;
    }
    if (method->kind == GRPC_METHOD_CLIENT_STREAMING) {
        return method->on_message != NULL && method->on_half_close != NULL;
    }
    return (method->kind == GRPC_METHOD_UNARY || method->kind == GRPC_METHOD_SERVER_STREAMING) &&
           method->on_request != NULL;
}

static bool config_is_valid(const struct grpc_server_config *config)
{
    if (config->clock_ms == NULL || (config->methods == NULL && config->method_count > 0)) {
        return false;
    }
    for (size_t i = 0; i < config->method_count; i++) {
        if (!method_is_valid(&config->methods[i])) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(config->methods[i].path, config->methods[j].path) == 0) {
                return false;
            }
        }
    }
    return true;
}

struct grpc_server *grpc_server_create(const struct grpc_server_config *config)
{
    if (!config_is_valid(config)) {
        return NULL;
    }
    struct grpc_server *server = calloc(1, sizeof(*server));
    if (server == NULL) {
        return NULL;
    }
    server->methods = config->methods;
    server->method_count = config->method_count;
    server->max_concurrent_streams =
        config->max_concurrent_streams != 0 ? config->max_concurrent_streams : GRPC_DEFAULT_MAX_CONCURRENT_STREAMS;
    server->max_header_list_size =
        config->max_header_list_size != 0 ? config->max_header_list_size : GRPC_DEFAULT_MAX_HEADER_LIST_SIZE;
    server->clock_ms = config->clock_ms;
    server->clock_context = config->clock_context;
    server->authenticate = config->authenticate;
    server->authenticate_context = config->authenticate_context;
    if (nghttp2_session_callbacks_new(&server->callbacks) != 0) {
        free(server);
        return NULL;
    }
    if (nghttp2_option_new(&server->options) != 0) {
        nghttp2_session_callbacks_del(server->callbacks);
        free(server);
        return NULL;
    }
    nghttp2_session_callbacks *callbacks = server->callbacks;
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_received);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_sent);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_closed);
    /* Closed streams are kept only for RFC 7540's priority tree, which gRPC does not use: save their memory. */
    nghttp2_option_set_no_closed_streams(server->options, 1);
    return server;
}

void grpc_server_destroy(struct grpc_server *server)
{
    if (server == NULL) {
        return;
    }
    nghttp2_option_del(server->options);
    nghttp2_session_callbacks_del(server->callbacks);
    free(server);
}

struct grpc_connection *grpc_connection_create(struct grpc_server *server, void *user_data)
{
    struct grpc_connection *connection = calloc(1, sizeof(*connection));
    if (connection == NULL) {
        return NULL;
    }
    connection->server = server;
    connection->user_data = user_data;
    if (nghttp2_session_server_new2(&connection->session, server->callbacks, connection, server->options) != 0) {
        free(connection);
        return NULL;
    }
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, server->max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, server->max_header_list_size},
    };
    if (nghttp2_submit_settings(connection->session, NGHTTP2_FLAG_NONE, settings,
                                sizeof(settings) / sizeof(settings[0])) != 0) {
        nghttp2_session_del(connection->session);
        free(connection);
        return NULL;
    }
    return connection;
}

void grpc_connection_destroy(struct grpc_connection *connection)
{
    if (connection == NULL) {
        return;
    }
    /* nghttp2_session_del closes streams without callbacks: the calls are ended here. */
    while (connection->calls != NULL) {
        struct grpc_call *call = connection->calls;
        if (call->owned_by_service) {
            call->owned_by_service = false;
            call->phase = CALL_ENDED;
            if (call->method->on_cancel != NULL) {
                call->method->on_cancel(call);
            }
        }
        free_call(call);
    }
    nghttp2_session_del(connection->session);
    free(connection->pending);
    free(connection);
}

void *grpc_connection_user_data(const struct grpc_connection *connection)
{
    return connection->user_data;
}

enum grpc_result grpc_connection_receive(struct grpc_connection *connection, const uint8_t *bytes, size_t length)
{
    ssize_t processed = nghttp2_session_mem_recv(connection->session, bytes, length);
    if (processed == NGHTTP2_ERR_NOMEM) {
        return GRPC_RESULT_OUT_OF_MEMORY;
    }
    if (processed < 0) {
        return GRPC_RESULT_BROKEN_CONNECTION;
    }
    return GRPC_RESULT_OK;
}

/* Keeps bytes of a frame the program's buffer could not take. */
static bool keep_pending(struct grpc_connection *connection, const uint8_t *bytes, size_t length)
{
    if (length > connection->pending_capacity) {
        uint8_t *bigger = realloc(connection->pending, length);
        if (bigger == NULL) {
            return false;
        }
        connection->pending = bigger;
        connection->pending_capacity = length;
    }
    memcpy(connection->pending, bytes, length);
    connection->pending_start = 0;
    connection->pending_end = length;
    return true;
}

size_t grpc_connection_output(struct grpc_connection *connection, uint8_t *buffer, size_t capacity)
{
    size_t written = 0;
    while (written < capacity && !connection->failed) {
        size_t pending = connection->pending_end - connection->pending_start;
        if (pending > 0) {
            size_t take = pending < capacity - written ? pending : capacity - written;
            memcpy(buffer + written, connection->pending + connection->pending_start, take);
            connection->pending_start += take;
            written += take;
            continue;
        }
        const uint8_t *frame;
        ssize_t length = nghttp2_session_mem_send(connection->session, &frame);
        if (length < 0) {
            connection->failed = true;
        }
        if (length <= 0) {
            break;
        }
        size_t frame_length = (size_t)length;
        size_t room = capacity - written;
        size_t take = frame_length < room ? frame_length : room;
        memcpy(buffer + written, frame, take);
        written += take;
        if (frame_length > room && !keep_pending(connection, frame + take, frame_length - take)) {
            connection->failed = true;
        }
    }
    return written;
}

bool grpc_connection_wants_output(struct grpc_connection *connection)
{
    if (connection->failed) {
        return false;
    }
    if (connection->pending_end > connection->pending_start) {
        return true;
    }
    const uint8_t *frame;
    ssize_t length = nghttp2_session_mem_send(connection->session, &frame);
    if (length < 0 || (length > 0 && !keep_pending(connection, frame, (size_t)length))) {
        connection->failed = true;
        return false;
    }
    return length > 0;
}

bool grpc_connection_is_finished(const struct grpc_connection *connection)
{
    if (connection->failed) {
        return true;
    }
    return connection->pending_end == connection->pending_start && !nghttp2_session_want_read(connection->session) &&
           !nghttp2_session_want_write(connection->session);
}

void grpc_connection_tick(struct grpc_connection *connection, uint64_t now_ms)
{
    /* Ending a call only submits frames; no call is freed before the next output or receive. */
    for (struct grpc_call *call = connection->calls; call != NULL; call = call->next) {
        if (call->phase == CALL_OPEN && call->deadline_ms <= now_ms) {
            end_call(call, GRPC_STATUS_DEADLINE_EXCEEDED, "Deadline Exceeded");
        }
    }
}

uint64_t grpc_connection_next_deadline_ms(const struct grpc_connection *connection)
{
    uint64_t earliest = GRPC_NO_DEADLINE;
    for (const struct grpc_call *call = connection->calls; call != NULL; call = call->next) {
        if (call->phase == CALL_OPEN && call->deadline_ms < earliest) {
            earliest = call->deadline_ms;
        }
    }
    return earliest;
}

const void *grpc_call_principal(const struct grpc_call *call)
{
    return call->principal;
}

const struct grpc_method *grpc_call_method(const struct grpc_call *call)
{
    return call->method;
}

struct grpc_connection *grpc_call_connection(const struct grpc_call *call)
{
    return call->connection;
}

uint64_t grpc_call_deadline_ms(const struct grpc_call *call)
{
    return call->deadline_ms;
}

void *grpc_call_user_data(const struct grpc_call *call)
{
    return call->user_data;
}

void grpc_call_set_user_data(struct grpc_call *call, void *user_data)
{
    call->user_data = user_data;
}

size_t grpc_call_send_queue_free(const struct grpc_call *call)
{
    return call->phase == CALL_OPEN ? grpc_send_queue_free(&call->send_queue) : 0;
}

enum grpc_result grpc_call_send_message(struct grpc_call *call, const uint8_t *message, size_t length)
{
    if (call->phase != CALL_OPEN) {
        return GRPC_RESULT_PROTOCOL_ERROR; /* the stream was reset: on_cancel follows */
    }
    enum grpc_result result = grpc_send_queue_push(&call->send_queue, message, length);
    if (result != GRPC_RESULT_OK) {
        return result;
    }
    if (!call->response_started) {
        result = start_response(call);
        if (result != GRPC_RESULT_OK) {
            reset_stream(call); /* the service still owns the call: on_cancel follows when the stream closes */
        }
        return result;
    }
    resume_response(call);
    return GRPC_RESULT_OK;
}

enum grpc_result grpc_call_finish(struct grpc_call *call, enum grpc_status_code code, const char *message)
{
    /* The service lets go of the call whatever happens here: no on_cancel after finish. */
    call->owned_by_service = false;
    if (call->phase != CALL_OPEN) {
        return GRPC_RESULT_PROTOCOL_ERROR; /* the stream was reset already */
    }
    if ((unsigned)code > GRPC_STATUS_MAX) {
        reset_stream(call);
        return GRPC_RESULT_INVALID_ARGUMENT;
    }
    return submit_status(call, "200", code, message);
}
