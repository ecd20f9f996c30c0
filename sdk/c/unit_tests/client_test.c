/* The public functions without a host: argument checks, and the retries of idempotent calls (and only those)
 * against a port nobody listens on, within their deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kapsel/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* 40 ms, then 80 ms, without jitter: three attempts take at least 120 ms. */
static const struct kapsel_client_options retrying = {
    .default_timeout_ms = 5000,
    .retry = {.max_attempts = 3, .initial_backoff_ms = 40, .max_backoff_ms = 1000, .multiplier = 2},
};

static uint64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* "127.0.0.1:<a port that was free a moment ago>": connections are refused. */
static void closed_address(char address[32])
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in bound = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof(bound);
    assert_int_equal(bind(fd, (struct sockaddr *)&bound, sizeof(bound)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&bound, &length), 0);
    close(fd);
    snprintf(address, 32, "127.0.0.1:%u", ntohs(bound.sin_port));
}

static void test_connect_checks_its_arguments(void **state)
{
    (void)state;
    struct kapsel_client *client = (struct kapsel_client *)1;
    struct kapsel_status status;
    assert_int_equal(kapsel_client_connect("", NULL, &client, &status), KAPSEL_INVALID_ARGUMENT);
    assert_null(client);
    assert_int_equal(kapsel_client_connect(NULL, NULL, &client, NULL), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_client_connect("127.0.0.1:1", NULL, NULL, &status), KAPSEL_INVALID_ARGUMENT);
    struct kapsel_client_options no_attempts = retrying;
    no_attempts.retry.max_attempts = 0;
    assert_int_equal(kapsel_client_connect("127.0.0.1:1", &no_attempts, &client, &status), KAPSEL_INVALID_ARGUMENT);
    assert_non_null(strstr(status.message, "max_attempts"));
    kapsel_client_close(NULL);
}

static void test_connect_refuses_a_malformed_token_without_showing_it(void **state)
{
    (void)state;
    struct kapsel_client_options options = KAPSEL_CLIENT_OPTIONS_DEFAULT;
    struct kapsel_client *client = (struct kapsel_client *)1;
    struct kapsel_status status;
    options.token = "secret with a space";
    assert_int_equal(kapsel_client_connect("127.0.0.1:1", &options, &client, &status), KAPSEL_INVALID_ARGUMENT);
    assert_null(client);
    assert_non_null(strstr(status.message, "the token is not 1 to 512 bytes of visible ASCII"));
    assert_null(strstr(status.message, "secret"));
    char too_long[KAPSEL_TOKEN_MAX_BYTES + 2] = {0};
    memset(too_long, 't', KAPSEL_TOKEN_MAX_BYTES + 1);
    options.token = too_long;
    assert_int_equal(kapsel_client_connect("127.0.0.1:1", &options, &client, &status), KAPSEL_INVALID_ARGUMENT);
    too_long[KAPSEL_TOKEN_MAX_BYTES] = '\0';
    assert_int_equal(kapsel_client_connect("127.0.0.1:1", &options, &client, &status), KAPSEL_OK);
    kapsel_client_close(client);
}

static void test_calls_check_their_arguments(void **state)
{
    (void)state;
    struct kapsel_client *client;
    struct kapsel_status status;
    assert_int_equal(kapsel_client_connect("127.0.0.1:1", NULL, &client, &status), KAPSEL_OK);
    assert_string_equal(kapsel_client_address(client), "127.0.0.1:1");
    Kapsel__V1__Vm *vm = (Kapsel__V1__Vm *)1;
    assert_int_equal(kapsel_get_vm(client, NULL, NULL, &vm, &status), KAPSEL_INVALID_ARGUMENT);
    assert_null(vm);
    Kapsel__V1__GetVmRequest get = KAPSEL__V1__GET_VM_REQUEST__INIT;
    assert_int_equal(kapsel_get_vm(NULL, &get, NULL, &vm, &status), KAPSEL_INVALID_ARGUMENT);
    /* A request of another type, cast: refused before it goes out. */
    assert_int_equal(kapsel_start_vm(client, (const Kapsel__V1__StartVmRequest *)&get, NULL, &vm, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_non_null(strstr(status.message, "kapsel.v1.GetVmRequest"));
    struct kapsel_vm_list list;
    assert_int_equal(kapsel_list_all_vms(client, NULL, NULL, &list, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_list_all_images(client, NULL, NULL, &status), KAPSEL_INVALID_ARGUMENT);
    Kapsel__V1__Image *image;
    struct kapsel_upload_options too_big = {.chunk_bytes = KAPSEL_UPLOAD_CHUNK_MAX + 1};
    assert_int_equal(kapsel_upload_image_buffer(client, "x", 1, &too_big, NULL, &image, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_upload_image_buffer(client, "x", 1, NULL, NULL, NULL, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_upload_image_file(client, "/nonexistent/initrd", NULL, NULL, &image, &status),
                     KAPSEL_NOT_FOUND);
    struct kapsel_stream *stream = (struct kapsel_stream *)1;
    assert_int_equal(kapsel_watch_vms(client, NULL, NULL, &stream, &status), KAPSEL_INVALID_ARGUMENT);
    assert_null(stream);
    ProtobufCMessage *message;
    assert_false(kapsel_stream_next(NULL, &message, &status));
    assert_int_equal(status.code, KAPSEL_INVALID_ARGUMENT);
    kapsel_stream_close(NULL);
    struct kapsel_attestation attestation = {.evidence = (Kapsel__V1__VmEvidence *)1};
    static const uint8_t nonce[KAPSEL_ATTESTATION_NONCE_MIN] = {1};
    assert_int_equal(kapsel_vm_attest(client, NULL, nonce, sizeof(nonce), NULL, NULL, &attestation, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_null(attestation.evidence);
    assert_int_equal(kapsel_vm_attest(client, "vms/a", NULL, sizeof(nonce), NULL, NULL, &attestation, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_vm_attest(client, "vms/a", nonce, sizeof(nonce), NULL, NULL, NULL, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_vm_attest(NULL, "vms/a", nonce, sizeof(nonce), NULL, NULL, &attestation, &status),
                     KAPSEL_INVALID_ARGUMENT);
    kapsel_client_close(client);
}

static void test_idempotent_calls_are_retried(void **state)
{
    (void)state;
    char address[32];
    closed_address(address);
    struct kapsel_client *client;
    struct kapsel_status status;
    assert_int_equal(kapsel_client_connect(address, &retrying, &client, &status), KAPSEL_OK);
    Kapsel__V1__GetVmRequest get = KAPSEL__V1__GET_VM_REQUEST__INIT;
    get.name = "vms/a";
    Kapsel__V1__Vm *vm;
    uint64_t start = monotonic_ms();
    assert_int_equal(kapsel_get_vm(client, &get, NULL, &vm, &status), KAPSEL_UNAVAILABLE);
    uint64_t retried_ms = monotonic_ms() - start;
    assert_true(retried_ms >= 120);
    assert_null(vm);
    /* CreateVm is tried once. */
    Kapsel__V1__CreateVmRequest create = KAPSEL__V1__CREATE_VM_REQUEST__INIT;
    start = monotonic_ms();
    assert_int_equal(kapsel_create_vm(client, &create, NULL, &vm, &status), KAPSEL_UNAVAILABLE);
    assert_true(monotonic_ms() - start < 40);
    kapsel_client_close(client);
}

static void test_retries_end_at_the_deadline(void **state)
{
    (void)state;
    char address[32];
    closed_address(address);
    struct kapsel_client_options slow = retrying;
    slow.retry = (struct kapsel_retry_policy){
        .max_attempts = 10, .initial_backoff_ms = 400, .max_backoff_ms = 400, .multiplier = 1};
    struct kapsel_client *client;
    struct kapsel_status status;
    assert_int_equal(kapsel_client_connect(address, &slow, &client, &status), KAPSEL_OK);
    struct kapsel_call_options short_deadline = {.timeout_ms = 150};
    uint64_t start = monotonic_ms();
    assert_int_equal(kapsel_health(client, &short_deadline, NULL, &status), KAPSEL_UNAVAILABLE);
    /* The first wait would pass the deadline: no retry, no sleep. */
    assert_true(monotonic_ms() - start < 150);
    kapsel_client_close(client);
}

static void test_code_names(void **state)
{
    (void)state;
    assert_string_equal(kapsel_code_name(KAPSEL_OK), "OK");
    assert_string_equal(kapsel_code_name(KAPSEL_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(kapsel_code_name(KAPSEL_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(kapsel_code_name(17), "UNKNOWN_CODE");
    assert_string_equal(kapsel_code_name(-1), "UNKNOWN_CODE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_checks_its_arguments),
        cmocka_unit_test(test_connect_refuses_a_malformed_token_without_showing_it),
        cmocka_unit_test(test_calls_check_their_arguments),
        cmocka_unit_test(test_idempotent_calls_are_retried),
        cmocka_unit_test(test_retries_end_at_the_deadline),
        cmocka_unit_test(test_code_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
