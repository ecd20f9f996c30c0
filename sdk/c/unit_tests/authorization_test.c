/* The API token on the wire: a gRPC server in the test answers every call UNAUTHENTICATED with, as its message, the
 * method and the authorization header it received, so that each kind of call (unary, server stream, client-streaming
 * upload) shows what it sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kapsel/client.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The deadline of each call, and how long the server waits for each: only a broken client takes that long. */
#define CALL_WAIT_SECONDS 5

struct echo_server {
    grpc_server *server;
    grpc_completion_queue *queue;
    pthread_t thread;
    char address[32];
    int calls; /* to answer before the thread ends */
};

static gpr_timespec wait_limit(void)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(CALL_WAIT_SECONDS, GPR_TIMESPAN));
}

/* "<method> <authorization header>", or "<method> (none)". */
static grpc_slice echo_of(const grpc_call_details *details, const grpc_metadata_array *metadata)
{
    grpc_slice authorization = grpc_slice_from_static_string("(none)");
    for (size_t i = 0; i < metadata->count; i++) {
        if (grpc_slice_str_cmp(metadata->metadata[i].key, "authorization") == 0) {
            authorization = metadata->metadata[i].value;
        }
    }
    char echo[1024];
    snprintf(echo, sizeof(echo), "%.*s %.*s", (int)GRPC_SLICE_LENGTH(details->method),
             (const char *)GRPC_SLICE_START_PTR(details->method), (int)GRPC_SLICE_LENGTH(authorization),
             (const char *)GRPC_SLICE_START_PTR(authorization));
    return grpc_slice_from_copied_string(echo);
}

/* Answers one call; false if none came within the limit (its request stays pending until the shutdown). */
static bool answer_one(struct echo_server *echo)
{
    grpc_call *call = NULL;
    grpc_call_details details;
    grpc_metadata_array metadata;
    grpc_call_details_init(&details);
    grpc_metadata_array_init(&metadata);
    bool answered = false;
    if (grpc_server_request_call(echo->server, &call, &details, &metadata, echo->queue, echo->queue, echo) ==
        GRPC_CALL_OK) {
        grpc_event event = grpc_completion_queue_next(echo->queue, wait_limit(), NULL);
        answered = event.type == GRPC_OP_COMPLETE && event.tag == echo && event.success;
    }
    if (answered) {
        grpc_slice message = echo_of(&details, &metadata);
        int cancelled = 0;
        grpc_op ops[3] = {
            {.op = GRPC_OP_SEND_INITIAL_METADATA},
            {.op = GRPC_OP_RECV_CLOSE_ON_SERVER, .data.recv_close_on_server.cancelled = &cancelled},
            {.op = GRPC_OP_SEND_STATUS_FROM_SERVER,
             .data.send_status_from_server = {.status = GRPC_STATUS_UNAUTHENTICATED, .status_details = &message}},
        };
        answered = grpc_call_start_batch(call, ops, 3, ops, NULL) == GRPC_CALL_OK &&
                   grpc_completion_queue_next(echo->queue, wait_limit(), NULL).type == GRPC_OP_COMPLETE;
        grpc_slice_unref(message);
        grpc_call_unref(call);
    }
    grpc_call_details_destroy(&details);
    grpc_metadata_array_destroy(&metadata);
    return answered;
}

static void *serve(void *context)
{
    struct echo_server *echo = context;
    for (int i = 0; i < echo->calls && answer_one(echo); i++) {
    }
    return NULL;
}

static void echo_start(struct echo_server *echo, int calls)
{
    grpc_init();
    echo->calls = calls;
    echo->server = grpc_server_create(NULL, NULL);
    echo->queue = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(echo->server, echo->queue, NULL);
    grpc_server_credentials *credentials = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(echo->server, "127.0.0.1:0", credentials);
    grpc_server_credentials_release(credentials);
    assert_true(port > 0);
    snprintf(echo->address, sizeof(echo->address), "127.0.0.1:%d", port);
    grpc_server_start(echo->server);
    assert_int_equal(pthread_create(&echo->thread, NULL, serve, echo), 0);
}

static void echo_stop(struct echo_server *echo)
{
    assert_int_equal(pthread_join(echo->thread, NULL), 0);
    int shutdown_tag;
    grpc_server_shutdown_and_notify(echo->server, echo->queue, &shutdown_tag);
    grpc_server_cancel_all_calls(echo->server);
    while (grpc_completion_queue_next(echo->queue, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).tag != &shutdown_tag) {
    }
    grpc_server_destroy(echo->server);
    grpc_completion_queue_shutdown(echo->queue);
    while (grpc_completion_queue_next(echo->queue, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(echo->queue);
    grpc_shutdown();
}

static struct kapsel_client *connect_with(const struct echo_server *echo, const char *token)
{
    struct kapsel_client_options options = KAPSEL_CLIENT_OPTIONS_DEFAULT;
    options.default_timeout_ms = CALL_WAIT_SECONDS * 1000;
    options.token = token;
    struct kapsel_client *client;
    struct kapsel_status status;
    assert_int_equal(kapsel_client_connect(echo->address, &options, &client, &status), KAPSEL_OK);
    return client;
}

static void test_every_kind_of_call_sends_the_token(void **state)
{
    (void)state;
    struct echo_server echo;
    echo_start(&echo, 4);
    struct kapsel_client *client = connect_with(&echo, "acme-test-token");
    struct kapsel_status status;
    assert_int_equal(kapsel_get_host_info(client, NULL, NULL, &status), KAPSEL_UNAUTHENTICATED);
    assert_string_equal(status.message, "/kapsel.v1.HostService/GetHostInfo Bearer acme-test-token");

    static const uint8_t nonce[KAPSEL_ATTESTATION_NONCE_MIN] = {1};
    struct kapsel_attestation attestation;
    assert_int_equal(kapsel_vm_attest(client, "vms/a", nonce, sizeof(nonce), NULL, NULL, &attestation, &status),
                     KAPSEL_UNAUTHENTICATED);
    assert_null(attestation.evidence);
    assert_string_equal(status.message, "/kapsel.v1.AttestationService/AttestVm Bearer acme-test-token");

    Kapsel__V1__WatchVmsRequest watch = KAPSEL__V1__WATCH_VMS_REQUEST__INIT;
    struct kapsel_stream *stream;
    assert_int_equal(kapsel_watch_vms(client, &watch, NULL, &stream, &status), KAPSEL_OK);
    ProtobufCMessage *message;
    assert_false(kapsel_stream_next(stream, &message, &status));
    kapsel_stream_close(stream);
    assert_int_equal(status.code, KAPSEL_UNAUTHENTICATED);
    assert_string_equal(status.message, "/kapsel.v1.VmService/WatchVms Bearer acme-test-token");

    Kapsel__V1__Image *image;
    assert_int_equal(kapsel_upload_image_buffer(client, "kernel", 6, NULL, NULL, &image, &status),
                     KAPSEL_UNAUTHENTICATED);
    assert_null(image);
    assert_string_equal(status.message, "/kapsel.v1.ImageService/UploadImage Bearer acme-test-token");
    kapsel_client_close(client);
    echo_stop(&echo);
}

/* A host that refuses an upload while its chunks go out: the upload ends with the host's status, not at its
 * deadline. The refusal lands at a different chunk each time: many uploads of many small chunks. */
static void test_a_refused_upload_ends_with_the_hosts_status(void **state)
{
    (void)state;
    enum { UPLOADS = 100 };
    struct echo_server echo;
    echo_start(&echo, UPLOADS);
    struct kapsel_client *client = connect_with(&echo, "acme-test-token");
    char content[64];
    memset(content, 'k', sizeof(content));
    struct kapsel_upload_options byte_by_byte = {.chunk_bytes = 1};
    for (int i = 0; i < UPLOADS; i++) {
        Kapsel__V1__Image *image;
        struct kapsel_status status;
        int code = kapsel_upload_image_buffer(client, content, sizeof(content), &byte_by_byte, NULL, &image, &status);
        if (code != KAPSEL_UNAUTHENTICATED) {
            fail_msg("upload %d: %s: %s", i, kapsel_code_name(code), status.message);
        }
    }
    kapsel_client_close(client);
    echo_stop(&echo);
}

static void test_no_token_sends_no_header(void **state)
{
    (void)state;
    struct echo_server echo;
    echo_start(&echo, 2);
    const char *none[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        struct kapsel_client *client = connect_with(&echo, none[i]);
        struct kapsel_status status;
        assert_int_equal(kapsel_health(client, NULL, NULL, &status), KAPSEL_UNAUTHENTICATED);
        assert_string_equal(status.message, "/kapsel.v1.HostService/Health (none)");
        kapsel_client_close(client);
    }
    echo_stop(&echo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_of_call_sends_the_token),
        cmocka_unit_test(test_a_refused_upload_ends_with_the_hosts_status),
        cmocka_unit_test(test_no_token_sends_no_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
