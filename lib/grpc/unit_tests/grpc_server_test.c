/*
 * Unit tests for lib/grpc's server core: a grpc_connection driven by an in-process nghttp2 client
 * (testing/grpc_test_client.h) until neither side has more to say (no threads, no sockets, no sleeps; time is a
 * fake clock the tests set). Echo-like services record what the layer hands them, so that each test checks both
 * what the client received and what the service saw.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "grpc_message_reader.h"
#include "grpc_send_queue.h"
#include "grpc_test_client.h"
#include "grpc_timeout.h"

#include <kapsel/grpc_server.h>
#include <kapsel/grpc_status.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_LIMIT 16
#define TINY_QUEUE 64
#define MAX_STREAMS 4
#define MAX_HEADER_LIST 1024

/* What the services saw, and the calls they hold for the test to answer later. */
struct service_log {
    unsigned requests;
    unsigned messages;
    size_t message_bytes;
    unsigned half_closes;
    unsigned cancels;
    struct grpc_call *held; /* the last call a holding service kept */
    struct grpc_call *cancelled;
    uint8_t last_message[64];
    size_t last_message_length;
    const void *principal; /* grpc_call_principal of the last request */
    unsigned authentications;
};

static struct service_log log_;
static uint64_t now_ms;

static uint64_t fake_clock(void *context)
{
    (void)context;
    return now_ms;
}

static void remember(const uint8_t *message, size_t length)
{
    log_.last_message_length = length;
    memcpy(log_.last_message, message, length < sizeof(log_.last_message) ? length : sizeof(log_.last_message));
}

/* UNARY: answers with the request and OK. */
static void echo_request(struct grpc_call *call, const uint8_t *message, size_t length)
{
    log_.requests++;
    log_.principal = grpc_call_principal(call);
    remember(message, length);
    assert_int_equal(grpc_call_send_message(call, message, length), GRPC_RESULT_OK);
    assert_int_equal(grpc_call_finish(call, GRPC_STATUS_OK, NULL), GRPC_RESULT_OK);
}

/* UNARY, SERVER_STREAMING: keeps the call for the test to answer. */
static void hold_request(struct grpc_call *call, const uint8_t *message, size_t length)
{
    log_.requests++;
    remember(message, length);
    log_.held = call;
}

/* CLIENT_STREAMING: counts messages and bytes, answers the byte count at the half-close. */
static void count_message(struct grpc_call *call, const uint8_t *message, size_t length)
{
    (void)call;
    log_.messages++;
    log_.message_bytes += length;
    remember(message, length);
}

static void answer_count(struct grpc_call *call)
{
    log_.half_closes++;
    char text[32];
    int length = snprintf(text, sizeof(text), "%zu", log_.message_bytes);
    assert_int_equal(grpc_call_send_message(call, (const uint8_t *)text, (size_t)length), GRPC_RESULT_OK);
    assert_int_equal(grpc_call_finish(call, GRPC_STATUS_OK, NULL), GRPC_RESULT_OK);
}

/* UNARY: fails with a message that needs percent-encoding. */
static void fail_request(struct grpc_call *call, const uint8_t *message, size_t length)
{
    (void)message;
    (void)length;
    log_.requests++;
    assert_int_equal(grpc_call_finish(call, GRPC_STATUS_FAILED_PRECONDITION, "VM \xc3\xbc is at 100%\n"),
                     GRPC_RESULT_OK);
}

static void record_cancel(struct grpc_call *call)
{
    log_.cancels++;
    log_.cancelled = call;
    if (log_.held == call) {
        log_.held = NULL;
    }
}

static const struct grpc_method methods[] = {
    {.path = "/test.Echo/Unary", .kind = GRPC_METHOD_UNARY, .on_request = echo_request, .on_cancel = record_cancel},
    {.path = "/test.Echo/Hold", .kind = GRPC_METHOD_UNARY, .on_request = hold_request, .on_cancel = record_cancel},
    {.path = "/test.Echo/Stream",
     .kind = GRPC_METHOD_SERVER_STREAMING,
     .on_request = hold_request,
     .on_cancel = record_cancel},
    {.path = "/test.Echo/Count",
     .kind = GRPC_METHOD_CLIENT_STREAMING,
     .on_message = count_message,
     .on_half_close = answer_count,
     .on_cancel = record_cancel},
    {.path = "/test.Echo/Small",
     .kind = GRPC_METHOD_CLIENT_STREAMING,
     .max_request_size = SMALL_LIMIT,
     .on_message = count_message,
     .on_half_close = answer_count,
     .on_cancel = record_cancel},
    {.path = "/test.Echo/TinyQueue",
     .kind = GRPC_METHOD_SERVER_STREAMING,
     .send_queue_limit = TINY_QUEUE,
     .on_request = hold_request,
     .on_cancel = record_cancel},
    {.path = "/test.Echo/Fail", .kind = GRPC_METHOD_UNARY, .on_request = fail_request, .on_cancel = record_cancel},
    {.path = "/test.Echo/Anonymous",
     .kind = GRPC_METHOD_UNARY,
     .on_request = echo_request,
     .on_cancel = record_cancel,
     .anonymous = true},
};

/* The one principal the authenticating server knows: "Bearer good". */
static const char good_principal[] = "the holder of the good token";
static bool authenticating;

static const void *authenticate(void *context, const char *authorization, const char **refusal)
{
    (void)context;
    log_.authentications++;
    if (authorization == NULL) {
        *refusal = "no credentials";
        return NULL;
    }
    if (strcmp(authorization, "Bearer good") != 0) {
        *refusal = "unknown credentials";
        return NULL;
    }
    return good_principal;
}

static struct grpc_server *server;
static struct grpc_connection *connection;
static struct grpc_test_client client;

static struct grpc_server *make_server(void)
{
    struct grpc_server_config config = {
        .methods = methods,
        .method_count = sizeof(methods) / sizeof(methods[0]),
        .max_concurrent_streams = MAX_STREAMS,
        .max_header_list_size = MAX_HEADER_LIST,
        .clock_ms = fake_clock,
        .authenticate = authenticating ? authenticate : NULL,
    };
    return grpc_server_create(&config);
}

static int connect_with(size_t output_chunk, bool manual_window)
{
    memset(&log_, 0, sizeof(log_));
    now_ms = 1000;
    server = make_server();
    connection = server != NULL ? grpc_connection_create(server, &client) : NULL;
    if (connection == NULL || !grpc_test_client_init(&client, connection, output_chunk, manual_window)) {
        return -1;
    }
    return 0;
}

static int set_up(void **state)
{
    (void)state;
    return connect_with(0, false);
}

/* A server whose calls must authenticate (authenticate above). */
static int set_up_authenticating(void **state)
{
    (void)state;
    authenticating = true;
    return connect_with(0, false);
}

/* Output pulled 7 bytes at a time, as a nearly full TCP send buffer would take it. */
static int set_up_with_tiny_pulls(void **state)
{
    (void)state;
    return connect_with(7, false);
}

/* A client whose application reads only when the test says (nghttp2_session_consume). */
static int set_up_with_a_slow_reader(void **state)
{
    (void)state;
    return connect_with(0, true);
}

static int tear_down(void **state)
{
    (void)state;
    grpc_test_client_release(&client);
    grpc_connection_destroy(connection);
    grpc_server_destroy(server);
    authenticating = false;
    return 0;
}

static struct grpc_test_stream *start(const char *path)
{
    struct grpc_test_request request = {.path = path};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    return stream;
}

static void send_text(struct grpc_test_stream *stream, const char *text, bool end)
{
    assert_true(grpc_test_stream_send_message(&client, stream, (const uint8_t *)text, strlen(text), end));
}

static void send_raw(struct grpc_test_stream *stream, const uint8_t *bytes, size_t length, bool end)
{
    assert_true(grpc_test_stream_send(&client, stream, bytes, length, end));
}

static void pump(void)
{
    assert_true(grpc_test_client_pump(&client));
}

static void assert_message(const struct grpc_test_stream *stream, size_t index, const char *text)
{
    const uint8_t *message;
    size_t length;
    assert_true(grpc_test_stream_message(stream, index, &message, &length));
    assert_int_equal(length, strlen(text));
    assert_memory_equal(message, text, length);
}

/*
 * The stream ended with this status, and the server reset it afterwards (NO_ERROR, so that a client still sending
 * stops) exactly when reset is true.
 */
static void assert_status(const struct grpc_test_stream *stream, enum grpc_status_code code, bool reset)
{
    assert_true(stream->closed);
    assert_int_equal(stream->http_status, 200);
    assert_string_equal(stream->content_type, "application/grpc");
    assert_int_equal(stream->grpc_status, code);
    assert_int_equal(stream->close_error_code, NGHTTP2_NO_ERROR);
    assert_int_equal(stream->reset_received, reset);
}

static void assert_trailers_only(const struct grpc_test_stream *stream, enum grpc_status_code code, bool reset)
{
    assert_status(stream, code, reset);
    assert_int_equal(stream->header_blocks, 1);
    assert_int_equal(stream->data_length, 0);
}

static void test_unary_round_trip(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    send_text(stream, "hello, kapsel", true);
    pump();
    assert_int_equal(log_.requests, 1);
    assert_int_equal(log_.last_message_length, strlen("hello, kapsel"));
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_int_equal(stream->header_blocks, 2); /* headers, then trailers after the message */
    assert_int_equal(grpc_test_stream_message_count(stream), 1);
    assert_message(stream, 0, "hello, kapsel");
    assert_string_equal(stream->grpc_message, "");
    assert_int_equal(log_.cancels, 0);
}

static void test_unary_with_an_empty_message(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    send_text(stream, "", true);
    pump();
    assert_int_equal(log_.requests, 1);
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_message(stream, 0, "");
}

static void test_server_stream_sends_after_the_request_callback_returned(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Stream");
    send_text(stream, "watch", true);
    pump();
    assert_non_null(log_.held);
    assert_int_equal(stream->http_status, 0); /* nothing answered yet */
    struct grpc_call *call = log_.held;
    const char *lines[] = {"first", "second", "third"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(grpc_call_send_message(call, (const uint8_t *)lines[i], strlen(lines[i])), GRPC_RESULT_OK);
        pump();
        assert_int_equal(grpc_test_stream_message_count(stream), i + 1);
        assert_message(stream, i, lines[i]);
        assert_false(stream->closed);
    }
    assert_int_equal(grpc_call_finish(call, GRPC_STATUS_OK, NULL), GRPC_RESULT_OK);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_int_equal(grpc_test_stream_message_count(stream), 3);
    assert_int_equal(log_.cancels, 0);
}

static void test_client_stream_of_many_chunks(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Count");
    size_t total = 0;
    for (unsigned i = 0; i < 20; i++) {
        char text[16];
        snprintf(text, sizeof(text), "chunk-%u", i);
        total += strlen(text);
        send_text(stream, text, false);
        pump(); /* each in its own DATA frame */
        assert_int_equal(log_.messages, i + 1);
    }
    /* One message cut across three DATA frames: prefix split, payload split. */
    const uint8_t piece_1[] = {0, 0, 0};
    const uint8_t piece_2[] = {0, 6, 'a', 'b'};
    const uint8_t piece_3[] = {'c', 'd', 'e', 'f'};
    send_raw(stream, piece_1, sizeof(piece_1), false);
    pump();
    send_raw(stream, piece_2, sizeof(piece_2), false);
    pump();
    assert_int_equal(log_.messages, 20);
    send_raw(stream, piece_3, sizeof(piece_3), true);
    pump();
    total += 6;
    assert_int_equal(log_.messages, 21);
    assert_memory_equal(log_.last_message, "abcdef", 6);
    assert_int_equal(log_.half_closes, 1);
    assert_status(stream, GRPC_STATUS_OK, false);
    char expected[32];
    snprintf(expected, sizeof(expected), "%zu", total);
    assert_message(stream, 0, expected);
}

static void test_unknown_method_is_unimplemented(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Nope");
    send_text(stream, "x", true);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_UNIMPLEMENTED, false);
    assert_string_equal(stream->grpc_message, "unknown method /test.Echo/Nope");
    assert_int_equal(log_.requests + log_.messages + log_.cancels, 0);
}

/* The request's authorization header, or none. */
static struct grpc_test_stream *start_authorized(const char *path, const char *authorization)
{
    struct grpc_test_request request = {
        .path = path, .extra_name = authorization ? "authorization" : NULL, .extra_value = authorization};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    return stream;
}

static void test_calls_without_good_credentials_are_unauthenticated(void **state)
{
    (void)state;
    struct grpc_test_stream *none = start_authorized("/test.Echo/Unary", NULL);
    send_text(none, "x", true);
    struct grpc_test_stream *bad = start_authorized("/test.Echo/Unary", "Bearer bad");
    send_text(bad, "x", true);
    pump();
    assert_trailers_only(none, GRPC_STATUS_UNAUTHENTICATED, false);
    assert_string_equal(none->grpc_message, "no credentials");
    assert_trailers_only(bad, GRPC_STATUS_UNAUTHENTICATED, false);
    assert_string_equal(bad->grpc_message, "unknown credentials");
    assert_int_equal(log_.requests + log_.cancels, 0);
    assert_int_equal(log_.authentications, 2);
}

static void test_the_service_sees_the_principal(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start_authorized("/test.Echo/Unary", "Bearer good");
    send_text(stream, "x", true);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_int_equal(log_.requests, 1);
    assert_ptr_equal(log_.principal, good_principal);
}

static void test_anonymous_methods_need_no_credentials(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start_authorized("/test.Echo/Anonymous", NULL);
    send_text(stream, "x", true);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_int_equal(log_.requests, 1);
    assert_null(log_.principal);
    assert_int_equal(log_.authentications, 0);
}

static void test_without_authentication_there_is_no_principal(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start_authorized("/test.Echo/Unary", "Bearer good");
    send_text(stream, "x", true);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_null(log_.principal);
}

static void test_wrong_content_type_is_refused_with_415(void **state)
{
    (void)state;
    const char *refused[] = {"application/json", "application/grpcx", ""};
    for (size_t i = 0; i < 3; i++) {
        struct grpc_test_request request = {.path = "/test.Echo/Unary", .content_type = refused[i]};
        struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
        assert_non_null(stream);
        send_text(stream, "x", true);
        pump();
        assert_true(stream->closed);
        assert_int_equal(stream->http_status, 415);
        assert_int_equal(stream->grpc_status, GRPC_STATUS_INTERNAL);
    }
    /* Accepted: a format suffix or parameters. */
    struct grpc_test_request proto = {.path = "/test.Echo/Unary", .content_type = "application/grpc+proto"};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &proto);
    assert_non_null(stream);
    send_text(stream, "x", true);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
    assert_int_equal(log_.requests, 1);
}

static void test_method_other_than_post_is_refused_with_405(void **state)
{
    (void)state;
    struct grpc_test_request request = {.path = "/test.Echo/Unary", .method = "PUT"};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    send_text(stream, "x", true);
    pump();
    assert_int_equal(stream->http_status, 405);
    assert_int_equal(stream->grpc_status, GRPC_STATUS_INTERNAL);
    assert_int_equal(log_.requests, 0);
}

static void test_oversized_message_is_refused_at_its_prefix(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Small");
    send_text(stream, "fits", false);
    pump();
    assert_int_equal(log_.messages, 1);
    /* Only the prefix, claiming 4 GiB - 1: the refusal must not wait for (or allocate) the payload. */
    const uint8_t prefix[] = {0, 0xff, 0xff, 0xff, 0xff};
    send_raw(stream, prefix, sizeof(prefix), false);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_RESOURCE_EXHAUSTED, true);
    assert_string_equal(stream->grpc_message, "request message of 4294967295 bytes is larger than the limit of 16");
    /* The client had not half-closed: the server reset the stream after its status. */
    assert_int_equal(log_.cancels, 1); /* the service had seen the call (one message) */
    assert_int_equal(log_.half_closes, 0);
    /* Other calls on the connection go on. */
    struct grpc_test_stream *next = start("/test.Echo/Unary");
    send_text(next, "still here", true);
    pump();
    assert_status(next, GRPC_STATUS_OK, false);
}

static void test_message_of_exactly_the_limit_is_accepted(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Small");
    send_text(stream, "0123456789abcdef", true); /* SMALL_LIMIT bytes */
    pump();
    assert_int_equal(log_.messages, 1);
    assert_status(stream, GRPC_STATUS_OK, false);
    struct grpc_test_stream *over = start("/test.Echo/Small");
    send_text(over, "0123456789abcdefg", true); /* one more */
    pump();
    assert_int_equal(log_.messages, 1);
    assert_trailers_only(over, GRPC_STATUS_RESOURCE_EXHAUSTED, false);
}

static void test_compressed_message_is_unimplemented(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    const uint8_t compressed[] = {1, 0, 0, 0, 2, 'h', 'i'};
    send_raw(stream, compressed, sizeof(compressed), true);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_UNIMPLEMENTED, false);
    assert_string_equal(stream->grpc_message, "compressed messages are not supported");
    assert_int_equal(log_.requests, 0);
}

static void test_truncated_prefix_at_half_close_is_internal(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Count");
    send_text(stream, "whole", false);
    const uint8_t partial_prefix[] = {0, 0, 0};
    send_raw(stream, partial_prefix, sizeof(partial_prefix), true);
    pump();
    assert_int_equal(log_.messages, 1);
    assert_int_equal(log_.half_closes, 0);
    assert_int_equal(log_.cancels, 1);
    assert_trailers_only(stream, GRPC_STATUS_INTERNAL, false);
}

static void test_unary_without_a_message_is_internal(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    send_raw(stream, NULL, 0, true);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_INTERNAL, false);
    assert_string_equal(stream->grpc_message, "No payload");
    assert_int_equal(log_.requests, 0);
}

static void test_unary_with_two_messages_is_internal(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    send_text(stream, "one", false);
    send_text(stream, "two", false);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_INTERNAL, true);
    assert_int_equal(log_.requests, 0);
    assert_int_equal(log_.cancels, 0); /* the service never saw the call */
}

static void test_rst_stream_from_the_client_cancels_the_call(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Stream");
    send_text(stream, "watch", true);
    pump();
    struct grpc_call *call = log_.held;
    assert_non_null(call);
    assert_int_equal(grpc_call_send_message(call, (const uint8_t *)"tick", 4), GRPC_RESULT_OK);
    pump();
    grpc_test_stream_cancel(&client, stream);
    pump();
    assert_int_equal(log_.cancels, 1);
    assert_ptr_equal(log_.cancelled, call);
    assert_null(log_.held);
    assert_int_equal(stream->close_error_code, NGHTTP2_CANCEL);
    /* The connection serves on. */
    struct grpc_test_stream *next = start("/test.Echo/Unary");
    send_text(next, "after", true);
    pump();
    assert_status(next, GRPC_STATUS_OK, false);
}

static void test_deadline_expires_at_tick(void **state)
{
    (void)state;
    struct grpc_test_request request = {.path = "/test.Echo/Stream", .timeout = "100m"};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    send_text(stream, "watch", true);
    pump();
    struct grpc_call *call = log_.held;
    assert_non_null(call);
    assert_int_equal(grpc_call_deadline_ms(call), 1100);
    assert_int_equal(grpc_connection_next_deadline_ms(connection), 1100);
    grpc_connection_tick(connection, 1099);
    pump();
    assert_int_equal(log_.cancels, 0);
    assert_false(stream->closed);
    grpc_connection_tick(connection, 1100);
    assert_int_equal(log_.cancels, 1); /* synchronously, at the tick */
    assert_ptr_equal(log_.cancelled, call);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_DEADLINE_EXCEEDED, false);
    assert_int_equal(grpc_connection_next_deadline_ms(connection), GRPC_NO_DEADLINE);
}

static void test_deadline_of_a_call_the_service_has_not_seen(void **state)
{
    (void)state;
    struct grpc_test_request request = {.path = "/test.Echo/Unary", .timeout = "1S"};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    send_text(stream, "slow", false); /* no half-close: on_request is not due yet */
    pump();
    grpc_connection_tick(connection, 2000);
    pump();
    assert_int_equal(log_.cancels, 0);
    assert_int_equal(log_.requests, 0);
    assert_trailers_only(stream, GRPC_STATUS_DEADLINE_EXCEEDED, true);
}

static void test_malformed_timeout_means_no_deadline(void **state)
{
    (void)state;
    struct grpc_test_request request = {.path = "/test.Echo/Hold", .timeout = "soon"};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    send_text(stream, "x", true);
    pump();
    assert_non_null(log_.held);
    assert_int_equal(grpc_call_deadline_ms(log_.held), GRPC_NO_DEADLINE);
    assert_int_equal(grpc_call_finish(log_.held, GRPC_STATUS_OK, NULL), GRPC_RESULT_OK);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_OK, false);
}

static void test_garbage_instead_of_the_preface_breaks_the_connection(void **state)
{
    (void)state;
    struct grpc_server *own_server = make_server();
    assert_non_null(own_server);
    struct grpc_connection *own = grpc_connection_create(own_server, NULL);
    assert_non_null(own);
    const char garbage[] = "GET / HTTP/1.1\r\nHost: kapsel\r\n\r\n";
    assert_int_equal(grpc_connection_receive(own, (const uint8_t *)garbage, strlen(garbage)),
                     GRPC_RESULT_BROKEN_CONNECTION);
    grpc_connection_destroy(own);
    grpc_server_destroy(own_server);
}

/* Frame types in the server's output, from a buffer of whole frames. */
static bool output_has_frame(const uint8_t *bytes, size_t length, uint8_t type, uint32_t *goaway_error)
{
    size_t offset = 0;
    while (length - offset >= 9) {
        size_t payload = (size_t)bytes[offset] << 16 | (size_t)bytes[offset + 1] << 8 | bytes[offset + 2];
        if (bytes[offset + 3] == type) {
            if (type == NGHTTP2_GOAWAY && payload >= 8) {
                const uint8_t *code = bytes + offset + 9 + 4;
                *goaway_error = (uint32_t)code[0] << 24 | (uint32_t)code[1] << 16 | (uint32_t)code[2] << 8 | code[3];
            }
            return true;
        }
        offset += 9 + payload;
    }
    return false;
}

static void test_malformed_http2_gets_goaway_and_finishes_alone(void **state)
{
    (void)state;
    struct grpc_connection *broken = grpc_connection_create(server, NULL);
    assert_non_null(broken);
    /* The client preface, an empty SETTINGS, then DATA on stream 0: a connection error (RFC 9113, 6.1). */
    const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const uint8_t frames[] = {0, 0, 0, NGHTTP2_SETTINGS, 0, 0, 0, 0, 0, 0, 0, 1, NGHTTP2_DATA, 0, 0, 0, 0, 0, 'x'};
    assert_int_equal(grpc_connection_receive(broken, (const uint8_t *)preface, strlen(preface)), GRPC_RESULT_OK);
    assert_int_equal(grpc_connection_receive(broken, frames, sizeof(frames)), GRPC_RESULT_OK);
    assert_true(grpc_connection_wants_output(broken));
    assert_false(grpc_connection_is_finished(broken));
    uint8_t output[1024];
    size_t length = grpc_connection_output(broken, output, sizeof(output));
    uint32_t goaway_error = 0;
    assert_true(output_has_frame(output, length, NGHTTP2_GOAWAY, &goaway_error));
    assert_int_equal(goaway_error, NGHTTP2_PROTOCOL_ERROR);
    assert_false(grpc_connection_wants_output(broken));
    assert_true(grpc_connection_is_finished(broken));
    grpc_connection_destroy(broken);
    /* The fixture's connection on the same server is unaffected. */
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    send_text(stream, "fine", true);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
}

static void test_client_goaway_finishes_the_connection(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Unary");
    send_text(stream, "bye", true);
    pump();
    assert_false(grpc_connection_is_finished(connection));
    assert_int_equal(nghttp2_session_terminate_session(client.session, NGHTTP2_NO_ERROR), 0);
    pump();
    assert_true(grpc_connection_is_finished(connection));
    assert_status(stream, GRPC_STATUS_OK, false);
}

static void test_grpc_message_is_percent_encoded(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Fail");
    send_text(stream, "x", true);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_FAILED_PRECONDITION, false);
    assert_string_equal(stream->grpc_message, "VM %C3%BC is at 100%25%0A");
}

static void test_percent_encoding(void **state)
{
    (void)state;
    char encoded[64];
    assert_int_equal(grpc_percent_encode("plain text ~!", encoded, sizeof(encoded)), 13);
    assert_string_equal(encoded, "plain text ~!");
    assert_int_equal(grpc_percent_encode("50%\t\x7f\x80\xff", encoded, sizeof(encoded)), 17);
    assert_string_equal(encoded, "50%25%09%7F%80%FF");
    /* Cut short: whole escapes only, always terminated, full length returned. */
    assert_int_equal(grpc_percent_encode("a%b", encoded, 4), 5);
    assert_string_equal(encoded, "a");
    assert_int_equal(grpc_percent_encode("a%b", NULL, 0), 5);
    assert_int_equal(grpc_percent_encode("", encoded, sizeof(encoded)), 0);
    assert_string_equal(encoded, "");
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(grpc_status_name(GRPC_STATUS_OK), "OK");
    assert_string_equal(grpc_status_name(GRPC_STATUS_DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
    assert_string_equal(grpc_status_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(grpc_status_name((enum grpc_status_code)17), "INVALID_STATUS_CODE");
    assert_string_equal(grpc_status_name((enum grpc_status_code) - 1), "INVALID_STATUS_CODE");
    assert_string_equal(grpc_result_name(GRPC_RESULT_QUEUE_FULL), "send queue full");
    assert_string_equal(grpc_result_name((enum grpc_result)99), "unknown result");
}

static void test_send_queue_full(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/TinyQueue");
    send_text(stream, "watch", true);
    pump();
    struct grpc_call *call = log_.held;
    assert_non_null(call);
    uint8_t message[50];
    memset(message, 'm', sizeof(message));
    assert_int_equal(grpc_call_send_queue_free(call), TINY_QUEUE - GRPC_MESSAGE_PREFIX_SIZE);
    assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_OK);
    assert_int_equal(grpc_call_send_queue_free(call), TINY_QUEUE - 55 - GRPC_MESSAGE_PREFIX_SIZE);
    assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_QUEUE_FULL);
    assert_int_equal(grpc_call_send_message(call, message, 5), GRPC_RESULT_QUEUE_FULL);
    assert_int_equal(grpc_call_send_message(call, message, 4), GRPC_RESULT_OK); /* exactly fills it */
    assert_int_equal(grpc_call_send_queue_free(call), 0);
    /* The program pulls the output: the queue drains and takes messages again. */
    pump();
    assert_int_equal(grpc_call_send_queue_free(call), TINY_QUEUE - GRPC_MESSAGE_PREFIX_SIZE);
    assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_OK);
    /* A service that drops a watcher which does not keep up. */
    assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_QUEUE_FULL);
    assert_int_equal(grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "too slow"), GRPC_RESULT_OK);
    pump();
    assert_status(stream, GRPC_STATUS_RESOURCE_EXHAUSTED, false);
    assert_int_equal(grpc_test_stream_message_count(stream), 3);
    assert_string_equal(stream->grpc_message, "too slow");
}

/* A client that reads nothing (flow-control window exhausted) leaves the queue full; WINDOW_UPDATE resumes it. */
static void test_flow_control_holds_messages_back(void **state)
{
    (void)state;
    /* A small stream window, so that the server runs into it soon. */
    nghttp2_settings_entry window = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 100};
    assert_int_equal(nghttp2_submit_settings(client.session, NGHTTP2_FLAG_NONE, &window, 1), 0);
    struct grpc_test_stream *stream = start("/test.Echo/TinyQueue");
    send_text(stream, "watch", true);
    pump();
    struct grpc_call *call = log_.held;
    assert_non_null(call);
    uint8_t message[50];
    memset(message, 'w', sizeof(message));
    /* 55 bytes fit the window of 100, the next 45 go, the rest waits for the client. */
    assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_OK);
    pump();
    assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_OK);
    pump();
    assert_int_equal(stream->data_length, 100);
    assert_int_equal(grpc_call_send_queue_free(call), TINY_QUEUE - 10 - GRPC_MESSAGE_PREFIX_SIZE);
    /* The client's application consumes what it got: nghttp2 then opens the window again. */
    assert_int_equal(nghttp2_session_consume(client.session, stream->id, 100), 0);
    pump();
    assert_int_equal(stream->data_length, 110);
    assert_int_equal(grpc_test_stream_message_count(stream), 2);
    assert_int_equal(grpc_call_finish(call, GRPC_STATUS_OK, NULL), GRPC_RESULT_OK);
    pump();
    assert_status(stream, GRPC_STATUS_OK, false);
}

/*
 * A call the layer ends (here its deadline) drops the messages the client has not begun to receive, so that the
 * status is not held up behind them, but completes one it has begun, so that the client never sees a cut message.
 */
static void test_ending_a_call_drops_unsent_messages(void **state)
{
    (void)state;
    nghttp2_settings_entry window = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 100};
    assert_int_equal(nghttp2_submit_settings(client.session, NGHTTP2_FLAG_NONE, &window, 1), 0);
    struct grpc_test_request request = {.path = "/test.Echo/Stream", .timeout = "1S"};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    send_text(stream, "watch", true);
    pump();
    struct grpc_call *call = log_.held;
    assert_non_null(call);
    uint8_t message[50];
    memset(message, 'd', sizeof(message));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(grpc_call_send_message(call, message, sizeof(message)), GRPC_RESULT_OK);
    }
    pump();
    assert_int_equal(stream->data_length, 100); /* the first message and 45 bytes of the second */
    grpc_connection_tick(connection, now_ms + 1000);
    assert_int_equal(log_.cancels, 1);
    assert_int_equal(nghttp2_session_consume(client.session, stream->id, 100), 0);
    pump();
    assert_status(stream, GRPC_STATUS_DEADLINE_EXCEEDED, false);
    assert_int_equal(stream->data_length, 110);
    assert_int_equal(grpc_test_stream_message_count(stream), 2);
}

static void test_header_list_over_the_limit_is_refused(void **state)
{
    (void)state;
    char big[MAX_HEADER_LIST];
    memset(big, 'h', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct grpc_test_request request = {.path = "/test.Echo/Unary", .extra_name = "x-big", .extra_value = big};
    struct grpc_test_stream *stream = grpc_test_client_start(&client, &request);
    assert_non_null(stream);
    send_text(stream, "x", true);
    pump();
    assert_trailers_only(stream, GRPC_STATUS_RESOURCE_EXHAUSTED, false);
    assert_int_equal(log_.requests, 0);
}

static void test_settings_advertise_the_limits(void **state)
{
    (void)state;
    pump();
    assert_int_equal(nghttp2_session_get_remote_settings(client.session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
                     MAX_STREAMS);
    assert_int_equal(nghttp2_session_get_remote_settings(client.session, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE),
                     MAX_HEADER_LIST);
}

static void test_concurrent_streams_beyond_the_limit_are_refused(void **state)
{
    (void)state;
    pump(); /* SETTINGS exchanged */
    /* A client that ignores the server's limit: nghttp2 would otherwise hold the extra request back. */
    struct grpc_server *own_server = make_server();
    assert_non_null(own_server);
    struct grpc_connection *own = grpc_connection_create(own_server, NULL);
    assert_non_null(own);
    struct grpc_test_client greedy;
    assert_true(grpc_test_client_init(&greedy, own, 0, false));
    struct grpc_test_stream *streams[MAX_STREAMS + 1];
    for (size_t i = 0; i < MAX_STREAMS + 1; i++) {
        struct grpc_test_request request = {.path = "/test.Echo/Hold"};
        streams[i] = grpc_test_client_start(&greedy, &request);
        assert_non_null(streams[i]);
        assert_true(grpc_test_stream_send_message(&greedy, streams[i], (const uint8_t *)"x", 1, true));
    }
    assert_true(grpc_test_client_pump(&greedy)); /* all five go before the client has the server's SETTINGS */
    assert_int_equal(log_.requests, MAX_STREAMS);
    assert_true(streams[MAX_STREAMS]->closed);
    assert_int_equal(streams[MAX_STREAMS]->close_error_code, NGHTTP2_REFUSED_STREAM);
    for (size_t i = 0; i < MAX_STREAMS; i++) {
        assert_false(streams[i]->closed);
    }
    grpc_test_client_release(&greedy);
    grpc_connection_destroy(own); /* the four held calls are cancelled */
    assert_int_equal(log_.cancels, MAX_STREAMS);
    grpc_server_destroy(own_server);
}

static void test_destroying_the_connection_cancels_held_calls(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Stream");
    send_text(stream, "watch", true);
    pump();
    assert_non_null(log_.held);
    struct grpc_call *held = log_.held;
    grpc_test_client_release(&client);
    grpc_connection_destroy(connection);
    struct service_log after_destroy = log_;
    /* A fresh pair for the fixture's teardown, before anything here can fail. */
    connection = grpc_connection_create(server, &client);
    assert_non_null(connection);
    assert_true(grpc_test_client_init(&client, connection, 0, false));
    assert_int_equal(after_destroy.cancels, 1);
    assert_ptr_equal(after_destroy.cancelled, held);
}

static void test_finish_with_an_invalid_code_resets_the_stream(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = start("/test.Echo/Hold");
    send_text(stream, "x", true);
    pump();
    assert_int_equal(grpc_call_finish(log_.held, (enum grpc_status_code)42, "no"), GRPC_RESULT_INVALID_ARGUMENT);
    pump();
    assert_true(stream->closed);
    assert_int_equal(stream->close_error_code, NGHTTP2_INTERNAL_ERROR);
    assert_int_equal(log_.cancels, 0); /* finish let go of the call, whatever its result */
}

static void test_server_config_is_checked(void **state)
{
    (void)state;
    const struct grpc_method twice[] = {
        {.path = "/a.B/C", .kind = GRPC_METHOD_UNARY, .on_request = echo_request},
        {.path = "/a.B/C", .kind = GRPC_METHOD_UNARY, .on_request = echo_request},
    };
    const struct grpc_method no_callback[] = {{.path = "/a.B/C", .kind = GRPC_METHOD_CLIENT_STREAMING}};
    struct grpc_server_config config = {.methods = twice, .method_count = 2, .clock_ms = fake_clock};
    assert_null(grpc_server_create(&config));
    config.methods = no_callback;
    config.method_count = 1;
    assert_null(grpc_server_create(&config));
    config.methods = twice;
    config.clock_ms = NULL;
    assert_null(grpc_server_create(&config));
}

static void test_timeout_parsing(void **state)
{
    (void)state;
    struct {
        const char *text;
        bool valid;
        uint64_t ms;
    } cases[] = {
        {"1H", true, 3600000},    {"2M", true, 120000},
        {"3S", true, 3000},       {"100m", true, 100},
        {"1u", true, 1},          {"1000u", true, 1},
        {"1001u", true, 2},       {"1000001n", true, 2},
        {"0m", true, 0},          {"99999999H", true, 359999996400000},
        {"123456789S", false, 0}, {"", false, 0},
        {"m", false, 0},          {"10x", false, 0},
        {"1.5S", false, 0},       {"-1S", false, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t ms = 0;
        bool valid = grpc_timeout_parse((const uint8_t *)cases[i].text, strlen(cases[i].text), &ms);
        assert_int_equal(valid, cases[i].valid);
        if (valid) {
            assert_int_equal(ms, cases[i].ms);
        }
    }
}

static void test_message_reader_byte_by_byte(void **state)
{
    (void)state;
    struct grpc_message_reader reader;
    grpc_message_reader_init(&reader, 100);
    const uint8_t wire[] = {0, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0};
    unsigned messages = 0;
    for (size_t i = 0; i < sizeof(wire); i++) {
        size_t consumed;
        enum grpc_read_outcome outcome = grpc_message_reader_feed(&reader, wire + i, 1, &consumed);
        assert_int_equal(consumed, 1);
        if (outcome == GRPC_READ_MESSAGE) {
            size_t length;
            uint8_t *message = grpc_message_reader_take(&reader, &length);
            assert_non_null(message);
            assert_int_equal(length, messages == 0 ? 3 : 0);
            free(message);
            messages++;
        } else {
            assert_int_equal(outcome, GRPC_READ_NEED_MORE);
            assert_true(grpc_message_reader_in_message(&reader));
        }
    }
    assert_int_equal(messages, 2);
    assert_false(grpc_message_reader_in_message(&reader));
    grpc_message_reader_release(&reader);
}

static void test_send_queue_keeps_a_begun_message(void **state)
{
    (void)state;
    struct grpc_send_queue queue;
    grpc_send_queue_init(&queue, 100);
    assert_int_equal(grpc_send_queue_push(&queue, (const uint8_t *)"abc", 3), GRPC_RESULT_OK);
    assert_int_equal(grpc_send_queue_push(&queue, (const uint8_t *)"def", 3), GRPC_RESULT_OK);
    uint8_t out[16];
    assert_int_equal(grpc_send_queue_read(&queue, out, 6), 6);
    grpc_send_queue_drop_unsent(&queue); /* "def" goes, the rest of "abc" stays */
    assert_int_equal(grpc_send_queue_read(&queue, out + 6, sizeof(out) - 6), 2);
    const uint8_t expected[] = {0, 0, 0, 0, 3, 'a', 'b', 'c'};
    assert_memory_equal(out, expected, sizeof(expected));
    assert_true(grpc_send_queue_is_empty(&queue));
    assert_int_equal(grpc_send_queue_free(&queue), 100 - GRPC_MESSAGE_PREFIX_SIZE);
    grpc_send_queue_release(&queue);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unary_round_trip, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_unary_round_trip, set_up_with_tiny_pulls, tear_down),
        cmocka_unit_test_setup_teardown(test_unary_with_an_empty_message, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_server_stream_sends_after_the_request_callback_returned, set_up,
                                        tear_down),
        cmocka_unit_test_setup_teardown(test_client_stream_of_many_chunks, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_client_stream_of_many_chunks, set_up_with_tiny_pulls, tear_down),
        cmocka_unit_test_setup_teardown(test_unknown_method_is_unimplemented, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_wrong_content_type_is_refused_with_415, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_calls_without_good_credentials_are_unauthenticated, set_up_authenticating,
                                        tear_down),
        cmocka_unit_test_setup_teardown(test_the_service_sees_the_principal, set_up_authenticating, tear_down),
        cmocka_unit_test_setup_teardown(test_anonymous_methods_need_no_credentials, set_up_authenticating, tear_down),
        cmocka_unit_test_setup_teardown(test_without_authentication_there_is_no_principal, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_method_other_than_post_is_refused_with_405, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_oversized_message_is_refused_at_its_prefix, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_message_of_exactly_the_limit_is_accepted, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_compressed_message_is_unimplemented, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_truncated_prefix_at_half_close_is_internal, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_unary_without_a_message_is_internal, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_unary_with_two_messages_is_internal, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_rst_stream_from_the_client_cancels_the_call, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_deadline_expires_at_tick, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_deadline_of_a_call_the_service_has_not_seen, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_malformed_timeout_means_no_deadline, set_up, tear_down),
        cmocka_unit_test(test_garbage_instead_of_the_preface_breaks_the_connection),
        cmocka_unit_test_setup_teardown(test_malformed_http2_gets_goaway_and_finishes_alone, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_client_goaway_finishes_the_connection, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_grpc_message_is_percent_encoded, set_up, tear_down),
        cmocka_unit_test(test_percent_encoding),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test_setup_teardown(test_send_queue_full, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_send_queue_full, set_up_with_tiny_pulls, tear_down),
        cmocka_unit_test_setup_teardown(test_flow_control_holds_messages_back, set_up_with_a_slow_reader, tear_down),
        cmocka_unit_test_setup_teardown(test_ending_a_call_drops_unsent_messages, set_up_with_a_slow_reader, tear_down),
        cmocka_unit_test_setup_teardown(test_header_list_over_the_limit_is_refused, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_settings_advertise_the_limits, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_concurrent_streams_beyond_the_limit_are_refused, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_destroying_the_connection_cancels_held_calls, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_finish_with_an_invalid_code_resets_the_stream, set_up, tear_down),
        cmocka_unit_test(test_server_config_is_checked),
        cmocka_unit_test(test_timeout_parsing),
        cmocka_unit_test(test_message_reader_byte_by_byte),
        cmocka_unit_test(test_send_queue_keeps_a_begun_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
