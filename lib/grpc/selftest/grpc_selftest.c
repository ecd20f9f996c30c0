/*
 * Proof that a Micro-App compiles and links nghttp2 (//build/bazel/nghttp2:nghttp2) and lib/grpc against newlib, and
 * that they work there: an in-process HTTP/2 client (testing/grpc_test_client.h) makes a unary call, a server stream
 * answered after its callback returned, a call to an unknown method and one whose deadline passes. Prints each
 * result; exits 0 when all passed. Needs the "scheduler" capability for the clock (gettimeofday) and some 200 KiB of
 * heap.
 */
#include "grpc_test_client.h"

#include <kapsel/grpc_server.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static struct grpc_call *held_call;

static uint64_t runtime_clock_ms(void *context)
{
    (void)context;
    struct timeval now;
    gettimeofday(&now, NULL);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000;
}

static void echo(struct grpc_call *call, const uint8_t *message, size_t length)
{
    if (grpc_call_send_message(call, message, length) != GRPC_RESULT_OK) {
        grpc_call_finish(call, GRPC_STATUS_INTERNAL, "send failed");
        return;
    }
    grpc_call_finish(call, GRPC_STATUS_OK, NULL);
}

static void hold(struct grpc_call *call, const uint8_t *message, size_t length)
{
    (void)message;
    (void)length;
    held_call = call;
}

/* cppcheck-suppress constParameter ; the signature is grpc_call_callback's */
static void forget(struct grpc_call *call)
{
    if (held_call == call) {
        held_call = NULL;
    }
}

static const struct grpc_method methods[] = {
    {.path = "/kapsel.test.Echo/Unary", .kind = GRPC_METHOD_UNARY, .on_request = echo},
    {.path = "/kapsel.test.Echo/Watch", .kind = GRPC_METHOD_SERVER_STREAMING, .on_request = hold, .on_cancel = forget},
};

static bool report(const char *what, bool passed)
{
    printf("grpc_selftest: %s (%s)\n", what, passed ? "ok" : "FAILED");
    return passed;
}

static bool message_is(const struct grpc_test_stream *stream, size_t index, const char *text)
{
    const uint8_t *message;
    size_t length;
    return grpc_test_stream_message(stream, index, &message, &length) && length == strlen(text) &&
           memcmp(message, text, length) == 0;
}

static bool unary_round_trip(struct grpc_test_client *client)
{
    struct grpc_test_request request = {.path = "/kapsel.test.Echo/Unary"};
    struct grpc_test_stream *stream = grpc_test_client_start(client, &request);
    if (stream == NULL || !grpc_test_stream_send_message(client, stream, (const uint8_t *)"ping", 4, true) ||
        !grpc_test_client_pump(client)) {
        return false;
    }
    return stream->closed && stream->grpc_status == GRPC_STATUS_OK && message_is(stream, 0, "ping");
}

static bool server_stream(struct grpc_test_client *client)
{
    struct grpc_test_request request = {.path = "/kapsel.test.Echo/Watch"};
    struct grpc_test_stream *stream = grpc_test_client_start(client, &request);
    if (stream == NULL || !grpc_test_stream_send_message(client, stream, (const uint8_t *)"w", 1, true) ||
        !grpc_test_client_pump(client) || held_call == NULL) {
        return false;
    }
    const char *lines[] = {"one", "two", "three"};
    for (size_t i = 0; i < 3; i++) {
        if (grpc_call_send_message(held_call, (const uint8_t *)lines[i], strlen(lines[i])) != GRPC_RESULT_OK ||
            !grpc_test_client_pump(client)) {
            return false;
        }
    }
    grpc_call_finish(held_call, GRPC_STATUS_OK, NULL);
    held_call = NULL;
    return grpc_test_client_pump(client) && stream->closed && stream->grpc_status == GRPC_STATUS_OK &&
           message_is(stream, 0, "one") && message_is(stream, 1, "two") && message_is(stream, 2, "three");
}

static bool unknown_method(struct grpc_test_client *client)
{
    struct grpc_test_request request = {.path = "/kapsel.test.Echo/Nope"};
    struct grpc_test_stream *stream = grpc_test_client_start(client, &request);
    if (stream == NULL || !grpc_test_stream_send_message(client, stream, (const uint8_t *)"x", 1, true)) {
        return false;
    }
    return grpc_test_client_pump(client) && stream->closed && stream->grpc_status == GRPC_STATUS_UNIMPLEMENTED;
}

static bool deadline(struct grpc_test_client *client, struct grpc_connection *connection)
{
    struct grpc_test_request request = {.path = "/kapsel.test.Echo/Watch", .timeout = "250m"};
    struct grpc_test_stream *stream = grpc_test_client_start(client, &request);
    if (stream == NULL || !grpc_test_stream_send_message(client, stream, (const uint8_t *)"w", 1, true) ||
        !grpc_test_client_pump(client) || held_call == NULL) {
        return false;
    }
    grpc_connection_tick(connection, grpc_call_deadline_ms(held_call));
    return held_call == NULL && grpc_test_client_pump(client) && stream->closed &&
           stream->grpc_status == GRPC_STATUS_DEADLINE_EXCEEDED;
}

int main(void)
{
    struct timeval now;
    if (gettimeofday(&now, NULL) != 0) {
        printf("grpc_selftest: no clock (the app needs the \"scheduler\" capability)\n");
        return 2;
    }
    struct grpc_server_config config = {
        .methods = methods,
        .method_count = sizeof(methods) / sizeof(methods[0]),
        .clock_ms = runtime_clock_ms,
    };
    struct grpc_server *server = grpc_server_create(&config);
    struct grpc_connection *connection = server != NULL ? grpc_connection_create(server, NULL) : NULL;
    struct grpc_test_client client;
    if (connection == NULL || !grpc_test_client_init(&client, connection, 1000, false)) {
        printf("grpc_selftest: out of memory\n");
        return 1;
    }
    bool passed = report("unary round trip", unary_round_trip(&client));
    passed = report("server stream sent after its callback", server_stream(&client)) && passed;
    passed = report("unknown method is UNIMPLEMENTED", unknown_method(&client)) && passed;
    passed = report("deadline ends the call with DEADLINE_EXCEEDED", deadline(&client, connection)) && passed;
    grpc_test_client_release(&client);
    grpc_connection_destroy(connection);
    grpc_server_destroy(server);
    printf("grpc_selftest: %s\n", passed ? "passed" : "FAILED");
    return passed ? 0 : 1;
}
