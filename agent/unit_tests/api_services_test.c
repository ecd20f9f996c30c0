/*
 * The API services (agent_api.h: vm_service, image_service, host_service over api_call) through lib/grpc, driven by
 * the in-process HTTP/2 client (lib/grpc/testing/grpc_test_client.h): requests packed with protobuf-c as a client
 * would, answers unpacked and checked field by field against the model's records. Covers the translation of every
 * field both ways, the errors passed on with the model's messages, malformed and oversized requests, the streams
 * (WatchVms, StreamConsole) with slow and cancelling clients, uploads and their memory, and mutated requests to every
 * method. No sockets, no threads: a fake clock, a backend the tests drive, a page allocator that counts.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/agent_api.h"
#include "agent/api_call.h"
#include "agent/unit_tests/api_model_testing.h"
#include "grpc_test_client.h"
#include "kapsel/v1/attestation_service.pb-c.h"
#include "kapsel/v1/host_service.pb-c.h"
#include "kapsel/v1/image_service.pb-c.h"
#include "kapsel/v1/vm_service.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024ull * 1024ull)
#define START_TIME_MS 1700000000000ull
#define VM_PATH(method) "/kapsel.v1.VmService/" method
#define IMAGE_PATH(method) "/kapsel.v1.ImageService/" method
#define HOST_PATH(method) "/kapsel.v1.HostService/" method
#define ATTESTATION_PATH(method) "/kapsel.v1.AttestationService/" method
#define MAX_IMAGE_BYTES (4 * MIB)
#define STORE_BYTES (16 * MIB)
#define VM_MEMORY_LIMIT (1024 * MIB)
/* The client opens at most GRPC_TEST_MAX_STREAMS streams; tests that make more reconnect before. */
#define STREAMS_PER_CLIENT GRPC_TEST_MAX_STREAMS

/* The uvmm launcher as the registry sees it: start fails on request, a forced stop ends the VM at once, a graceful
 * one waits for the test to report the end. */
struct test_backend {
    struct vm_registry *registry;
    const char *start_failure;
    struct vm_record *last_started;
    size_t stops;
    bool last_force;
};

struct fixture {
    struct fake_clock clock;
    struct counting_allocator pages;
    struct image_store images;
    struct vm_registry registry;
    struct test_backend backend;
    struct host_facts facts;
    struct agent_api api;
    struct grpc_server *server;
    struct grpc_connection *connection;
    struct grpc_test_client client;
    bool manual_window;
    const struct image_record *kernel;
    const struct image_record *disk;
};

static struct fixture *f;

static const char *backend_start(void *context, struct vm_record *vm)
{
    struct test_backend *backend = context;
    backend->last_started = vm;
    return backend->start_failure;
}

static const char *backend_stop(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms)
{
    (void)grace_period_ms;
    struct test_backend *backend = context;
    backend->stops++;
    backend->last_force = force;
    if (force) {
        struct api_error error;
        assert_int_equal(vm_registry_vm_ended(backend->registry, vm, false, "stopped through the API", &error),
                         API_STATUS_OK);
    }
    return NULL;
}

static void fill_host_facts(void *context, struct host_facts *facts)
{
    *facts = *(const struct host_facts *)context;
}

static uint64_t monotonic_ms(void *context)
{
    (void)context;
    return f->clock.now_ms - START_TIME_MS;
}

static void connect_client(void)
{
    f->connection = grpc_connection_create(f->server, NULL);
    assert_non_null(f->connection);
    assert_true(grpc_test_client_init(&f->client, f->connection, 0, f->manual_window));
}

static void disconnect_client(void)
{
    grpc_test_client_release(&f->client);
    grpc_connection_destroy(f->connection);
}

/* A fresh connection, for tests that make more streams than a client has. */
static void reconnect(void)
{
    disconnect_client();
    connect_client();
}

static int set_up_with(bool manual_window)
{
    f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->manual_window = manual_window;
    f->clock.now_ms = START_TIME_MS;
    counting_allocator_init(&f->pages);
    struct api_error error;
    struct image_store_config store_config = {
        .max_image_bytes = MAX_IMAGE_BYTES,
        .max_total_bytes = STORE_BYTES,
        .allocator = counting_allocator_interface(&f->pages),
        .clock = fake_clock_interface(&f->clock),
    };
    assert_int_equal(image_store_init(&f->images, &store_config, &error), API_STATUS_OK);
    f->backend.registry = &f->registry;
    struct vm_registry_config registry_config = {
        .memory_limit_bytes = VM_MEMORY_LIMIT,
        .backend = {.start = backend_start, .stop = backend_stop, .context = &f->backend},
        .clock = fake_clock_interface(&f->clock),
        .images = &f->images,
    };
    assert_int_equal(vm_registry_init(&f->registry, &registry_config, &error), API_STATUS_OK);
    image_store_set_users(&f->images, vm_registry_image_users(&f->registry));
    uint8_t content[8192];
    fill_pattern(content, sizeof(content), 1);
    assert_int_equal(upload_image(&f->images, content, sizeof(content), 4096, "vmlinuz", &f->kernel, &error),
                     API_STATUS_OK);
    fill_pattern(content, sizeof(content), 2);
    assert_int_equal(upload_image(&f->images, content, 5000, 4096, "disk", &f->disk, &error), API_STATUS_OK);
    f->facts = (struct host_facts){
        .name = "test-host",
        .version = "1.2.3",
        .architecture = "x86_64",
        .cpus = 4,
        .memory_total_bytes = 8 * 1024 * MIB,
        .memory_free_bytes = 6 * 1024 * MIB,
        .uptime_seconds = 77,
    };
    struct agent_api_config api_config = {
        .registry = &f->registry,
        .images = &f->images,
        .host_facts = fill_host_facts,
        .host_facts_context = &f->facts,
    };
    assert_int_equal(agent_api_init(&f->api, &api_config, &error), API_STATUS_OK);
    size_t method_count;
    const struct grpc_method *methods = agent_api_methods(&f->api, &method_count);
    f->server = grpc_server_create(&(struct grpc_server_config){
        .methods = methods,
        .method_count = method_count,
        .clock_ms = monotonic_ms,
    });
    assert_non_null(f->server);
    connect_client();
    return 0;
}

static int set_up(void **state)
{
    (void)state;
    return set_up_with(false);
}

/* A client whose application reads only when the test says (nghttp2_session_consume). */
static int set_up_with_a_slow_reader(void **state)
{
    (void)state;
    return set_up_with(true);
}

static int tear_down(void **state)
{
    (void)state;
    disconnect_client();
    /* Every call of the API ended with its connection, and nothing of theirs is left. */
    assert_int_equal(f->api.watches, 0);
    assert_int_equal(f->api.console_streams, 0);
    assert_int_equal(f->api.uploads, 0);
    assert_null(f->registry.observers);
    vm_registry_destroy(&f->registry);
    image_store_destroy(&f->images);
    assert_int_equal(f->pages.live, 0);
    assert_int_equal(f->pages.misuses, 0);
    grpc_server_destroy(f->server);
    free(f);
    return 0;
}

/* --- The client's side. --- */

static void pump(void)
{
    assert_true(grpc_test_client_pump(&f->client));
}

static struct grpc_test_stream *start_call(const char *path)
{
    struct grpc_test_request request = {.path = path};
    struct grpc_test_stream *stream = grpc_test_client_start(&f->client, &request);
    assert_non_null(stream);
    return stream;
}

static void send_message(struct grpc_test_stream *stream, const ProtobufCMessage *message, bool end)
{
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(size + 1);
    assert_non_null(packed);
    protobuf_c_message_pack(message, packed);
    assert_true(grpc_test_stream_send_message(&f->client, stream, packed, size, end));
    free(packed);
}

static void send_bytes(struct grpc_test_stream *stream, const void *bytes, size_t length, bool end)
{
    assert_true(grpc_test_stream_send_message(&f->client, stream, bytes, length, end));
}

static struct grpc_test_stream *call(const char *path, const ProtobufCMessage *request)
{
    struct grpc_test_stream *stream = start_call(path);
    send_message(stream, request, true);
    pump();
    return stream;
}

static struct grpc_test_stream *call_with_bytes(const char *path, const void *bytes, size_t length)
{
    struct grpc_test_stream *stream = start_call(path);
    send_bytes(stream, bytes, length, true);
    pump();
    return stream;
}

/* grpc-message as the client sees it: %XX decoded. */
static void percent_decode(const char *encoded, char *decoded, size_t capacity)
{
    size_t length = 0;
    for (size_t i = 0; encoded[i] != '\0' && length + 1 < capacity; i++) {
        unsigned byte;
        if (encoded[i] == '%' && sscanf(encoded + i + 1, "%2x", &byte) == 1) {
            decoded[length++] = (char)byte;
            i += 2;
        } else {
            decoded[length++] = encoded[i];
        }
    }
    decoded[length] = '\0';
}

/* The call has ended with code, and its message contains fragment (NULL: has none). */
static void assert_status(const struct grpc_test_stream *stream, enum grpc_status_code code, const char *fragment)
{
    assert_true(stream->closed);
    char message[GRPC_TEST_TEXT_MAX];
    percent_decode(stream->grpc_message, message, sizeof(message));
    if (stream->grpc_status != (int)code || (fragment && !strstr(message, fragment)) || (!fragment && message[0])) {
        fail_msg("status %d \"%s\", expected %d with \"%s\"", stream->grpc_status, message, code,
                 fragment ? fragment : "");
    }
}

/* The message index of the stream, unpacked; free it with protobuf_c_message_free_unpacked. */
static void *response(const struct grpc_test_stream *stream, size_t index, const ProtobufCMessageDescriptor *descriptor)
{
    const uint8_t *bytes;
    size_t length;
    assert_true(grpc_test_stream_message(stream, index, &bytes, &length));
    ProtobufCMessage *message = protobuf_c_message_unpack(descriptor, NULL, length, bytes);
    assert_non_null(message);
    return message;
}

static void free_message(void *message)
{
    protobuf_c_message_free_unpacked(message, NULL);
}

/* A CreateVmRequest to fill in. */
struct create_request {
    Kapsel__V1__CreateVmRequest request;
    Kapsel__V1__Vm vm;
    Kapsel__V1__VmSpec spec;
    Kapsel__V1__Vm__LabelsEntry labels[VM_LABELS_MAX + 2];
    Kapsel__V1__Vm__LabelsEntry *label_pointers[VM_LABELS_MAX + 2];
    Kapsel__V1__Disk disks[VM_DISKS_MAX + 1];
    Kapsel__V1__Disk *disk_pointers[VM_DISKS_MAX + 1];
};

static void create_request_init(struct create_request *create, const char *vm_id, const char *tenant)
{
    memset(create, 0, sizeof(*create));
    kapsel__v1__create_vm_request__init(&create->request);
    kapsel__v1__vm__init(&create->vm);
    kapsel__v1__vm_spec__init(&create->spec);
    create->request.vm_id = (char *)vm_id;
    create->request.vm = &create->vm;
    create->vm.tenant = (char *)tenant;
    create->vm.spec = &create->spec;
    create->vm.labels = create->label_pointers;
    create->spec.kernel_image = (char *)f->kernel->name;
    create->spec.memory_mib = 128;
    create->spec.disks = create->disk_pointers;
}

static void create_request_label(struct create_request *create, const char *key, const char *value)
{
    size_t index = create->vm.n_labels++;
    kapsel__v1__vm__labels_entry__init(&create->labels[index]);
    create->labels[index].key = (char *)key;
    create->labels[index].value = (char *)value;
    create->label_pointers[index] = &create->labels[index];
}

static void create_request_disk(struct create_request *create, const char *image, bool read_only)
{
    size_t index = create->spec.n_disks++;
    kapsel__v1__disk__init(&create->disks[index]);
    create->disks[index].image = (char *)image;
    create->disks[index].read_only = read_only;
    create->disk_pointers[index] = &create->disks[index];
}

/* CreateVm of a plain VM; its answer. */
static Kapsel__V1__Vm *create_vm(const char *vm_id, const char *tenant)
{
    struct create_request create;
    create_request_init(&create, vm_id, tenant);
    struct grpc_test_stream *stream = call(VM_PATH("CreateVm"), &create.request.base);
    assert_status(stream, GRPC_STATUS_OK, NULL);
    return response(stream, 0, &kapsel__v1__vm__descriptor);
}

static struct grpc_test_stream *call_named(const char *path, const char *name)
{
    /* Every request with just a name has it as field 1, like GetVmRequest. */
    Kapsel__V1__GetVmRequest request = KAPSEL__V1__GET_VM_REQUEST__INIT;
    request.name = (char *)name;
    return call(path, &request.base);
}

static struct vm_record *record_of(const char *name)
{
    const struct vm_record *vm;
    struct api_error error;
    assert_int_equal(vm_registry_get(&f->registry, name, &vm, &error), API_STATUS_OK);
    return (struct vm_record *)vm; /* the test plays the backend, which reports on its VMs */
}

static void report_console(struct vm_record *vm, const void *bytes, size_t length)
{
    struct api_error error;
    assert_int_equal(vm_registry_console_output(&f->registry, vm, bytes, length, &error), API_STATUS_OK);
}

static void report_end(struct vm_record *vm, bool failed, const char *reason)
{
    struct api_error error;
    assert_int_equal(vm_registry_vm_ended(&f->registry, vm, failed, reason, &error), API_STATUS_OK);
}

/* Lets a slow reader take everything the server has for its streams until they end. All of them at once: they share
 * the connection's flow-control window, which a stream whose data is not consumed holds on to. */
static void read_to_the_end(struct grpc_test_stream *const *streams, size_t count)
{
    size_t consumed[GRPC_TEST_MAX_STREAMS] = {0};
    bool all_closed = false;
    for (int round = 0; round < 1000 && !all_closed; round++) {
        all_closed = true;
        for (size_t i = 0; i < count; i++) {
            size_t received = streams[i]->data_length - consumed[i];
            assert_int_equal(nghttp2_session_consume(f->client.session, streams[i]->id, received), 0);
            consumed[i] += received;
            all_closed = all_closed && streams[i]->closed;
        }
        pump();
    }
    for (size_t i = 0; i < count; i++) {
        assert_true(streams[i]->closed);
    }
}

/* --- VmService. --- */

static void test_create_vm_translates_every_field(void **state)
{
    (void)state;
    struct create_request create;
    create_request_init(&create, "web-1", "acme");
    create_request_label(&create, "role", "web");
    create_request_label(&create, "tier", "front");
    create_request_label(&create, "app.kapsel/x", "1 2");
    create.spec.initrd_image = (char *)f->disk->name;
    create.spec.command_line = "console=ttyS0 quiet";
    create.spec.memory_mib = 256;
    create.spec.vcpus = 0; /* means 1 */
    create_request_disk(&create, f->disk->name, true);
    create_request_disk(&create, f->kernel->name, false);
    create.spec.network_id = 7;
    f->clock.now_ms += 5;
    struct grpc_test_stream *stream = call(VM_PATH("CreateVm"), &create.request.base);
    assert_status(stream, GRPC_STATUS_OK, NULL);
    assert_int_equal(grpc_test_stream_message_count(stream), 1);
    Kapsel__V1__Vm *vm = response(stream, 0, &kapsel__v1__vm__descriptor);
    assert_string_equal(vm->name, "vms/web-1");
    assert_string_equal(vm->tenant, "acme");
    assert_int_equal(vm->n_labels, 3);
    const char *keys[] = {"role", "tier", "app.kapsel/x"};
    const char *values[] = {"web", "front", "1 2"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(vm->labels[i]->key, keys[i]);
        assert_string_equal(vm->labels[i]->value, values[i]);
    }
    assert_non_null(vm->spec);
    assert_string_equal(vm->spec->kernel_image, f->kernel->name);
    assert_string_equal(vm->spec->initrd_image, f->disk->name);
    assert_string_equal(vm->spec->command_line, "console=ttyS0 quiet");
    assert_int_equal(vm->spec->memory_mib, 256);
    assert_int_equal(vm->spec->vcpus, 1);
    assert_int_equal(vm->spec->n_disks, 2);
    assert_string_equal(vm->spec->disks[0]->image, f->disk->name);
    assert_true(vm->spec->disks[0]->read_only);
    assert_string_equal(vm->spec->disks[1]->image, f->kernel->name);
    assert_false(vm->spec->disks[1]->read_only);
    assert_int_equal(vm->spec->network_id, 7);
    assert_int_equal(vm->state, KAPSEL__V1__VM_STATE__CREATED);
    assert_string_equal(vm->state_reason, "");
    assert_int_equal(vm->create_time_unix_ms, START_TIME_MS + 5);
    assert_int_equal(vm->start_time_unix_ms, 0);
    assert_int_equal(vm->end_time_unix_ms, 0);
    assert_int_equal(vm->n_disk_sha256, 0);
    /* GetVm answers the very same bytes. */
    struct grpc_test_stream *get = call_named(VM_PATH("GetVm"), "vms/web-1");
    assert_status(get, GRPC_STATUS_OK, NULL);
    const uint8_t *created_bytes;
    const uint8_t *got_bytes;
    size_t created_length;
    size_t got_length;
    assert_true(grpc_test_stream_message(stream, 0, &created_bytes, &created_length));
    assert_true(grpc_test_stream_message(get, 0, &got_bytes, &got_length));
    assert_int_equal(got_length, created_length);
    assert_memory_equal(got_bytes, created_bytes, created_length);
    free_message(vm);
}

static void test_a_generated_id(void **state)
{
    (void)state;
    Kapsel__V1__Vm *vm = create_vm("", "acme");
    assert_string_equal(vm->name, "vms/vm-1");
    free_message(vm);
}

static void test_start_stop_and_end_fields(void **state)
{
    (void)state;
    struct create_request create;
    create_request_init(&create, "db", "acme");
    create_request_disk(&create, f->disk->name, false);
    create_request_disk(&create, f->kernel->name, true);
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_OK, NULL);
    f->clock.now_ms += 10;
    struct grpc_test_stream *start = call_named(VM_PATH("StartVm"), "vms/db");
    assert_status(start, GRPC_STATUS_OK, NULL);
    Kapsel__V1__Vm *started = response(start, 0, &kapsel__v1__vm__descriptor);
    assert_int_equal(started->state, KAPSEL__V1__VM_STATE__RUNNING);
    assert_int_equal(started->start_time_unix_ms, START_TIME_MS + 10);
    free_message(started);

    Kapsel__V1__StopVmRequest stop = KAPSEL__V1__STOP_VM_REQUEST__INIT;
    stop.name = "vms/db";
    stop.grace_period_ms = 5000;
    struct grpc_test_stream *stopping = call(VM_PATH("StopVm"), &stop.base);
    assert_status(stopping, GRPC_STATUS_OK, NULL);
    Kapsel__V1__Vm *answer = response(stopping, 0, &kapsel__v1__vm__descriptor);
    assert_int_equal(answer->state, KAPSEL__V1__VM_STATE__STOPPING);
    assert_false(f->backend.last_force);
    free_message(answer);

    /* The uvmm reports the second disk's SHA-256 only, then fails: the first stays "" in its place. */
    struct vm_record *record = record_of("vms/db");
    struct api_error error;
    assert_int_equal(vm_registry_disk_sha256(&f->registry, record, 1, f->kernel->sha256, &error), API_STATUS_OK);
    f->clock.now_ms += 20;
    report_end(record, true, "uvmm stopped: page fault at 0x1");
    struct grpc_test_stream *get = call_named(VM_PATH("GetVm"), "vms/db");
    assert_status(get, GRPC_STATUS_OK, NULL);
    Kapsel__V1__Vm *ended = response(get, 0, &kapsel__v1__vm__descriptor);
    assert_int_equal(ended->state, KAPSEL__V1__VM_STATE__FAILED);
    assert_string_equal(ended->state_reason, "uvmm stopped: page fault at 0x1");
    assert_int_equal(ended->end_time_unix_ms, START_TIME_MS + 30);
    assert_int_equal(ended->n_disk_sha256, 2);
    assert_string_equal(ended->disk_sha256[0], "");
    assert_string_equal(ended->disk_sha256[1], f->kernel->sha256);
    free_message(ended);

    struct grpc_test_stream *deleted = call_named(VM_PATH("DeleteVm"), "vms/db");
    assert_status(deleted, GRPC_STATUS_OK, NULL);
    Kapsel__V1__DeleteVmResponse *nothing = response(deleted, 0, &kapsel__v1__delete_vm_response__descriptor);
    free_message(nothing);
    assert_status(call_named(VM_PATH("GetVm"), "vms/db"), GRPC_STATUS_NOT_FOUND, "name: vms/db not found");
}

static void test_a_start_the_backend_refuses_answers_failed(void **state)
{
    (void)state;
    free_message(create_vm("broken", "acme"));
    f->backend.start_failure = "uvmm: not a bzImage";
    struct grpc_test_stream *start = call_named(VM_PATH("StartVm"), "vms/broken");
    assert_status(start, GRPC_STATUS_OK, NULL);
    Kapsel__V1__Vm *vm = response(start, 0, &kapsel__v1__vm__descriptor);
    assert_int_equal(vm->state, KAPSEL__V1__VM_STATE__FAILED);
    assert_string_equal(vm->state_reason, "uvmm: not a bzImage");
    free_message(vm);
}

static void test_model_errors_pass_through_with_their_messages(void **state)
{
    (void)state;
    struct create_request create;
    create_request_init(&create, "x", "acme");
    create.request.vm = NULL;
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_INVALID_ARGUMENT, "vm: required");

    create_request_init(&create, "x", "acme");
    create.vm.spec = NULL;
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_INVALID_ARGUMENT, "vm.spec: required");

    create_request_init(&create, "x", "acme");
    char keys[VM_LABELS_MAX + 1][8];
    for (size_t i = 0; i <= VM_LABELS_MAX; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
        create_request_label(&create, keys[i], "v");
    }
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_INVALID_ARGUMENT,
                  "vm.labels: 17 labels, at most 16");

    create_request_init(&create, "x", "acme");
    for (size_t i = 0; i <= VM_DISKS_MAX; i++) {
        create_request_disk(&create, f->disk->name, true);
    }
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_INVALID_ARGUMENT,
                  "vm.spec.disks: 3 disks, at most 2");

    create_request_init(&create, "x", "acme");
    create.vm.state = KAPSEL__V1__VM_STATE__RUNNING;
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_INVALID_ARGUMENT,
                  "vm.state: output only");

    create_request_init(&create, "x", "acme");
    create.spec.kernel_image = "images/0000000000000000000000000000000000000000000000000000000000000000";
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_NOT_FOUND,
                  "vm.spec.kernel_image: images/0000000000000000000000000000000000000000000000000000000000000000 "
                  "not found");

    create_request_init(&create, "x", "acme");
    create.spec.memory_mib = 4096; /* the host has 1 GiB of guest RAM for VMs */
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "vm.spec.memory_mib: 4096 MiB more would exceed");

    free_message(create_vm("x", "acme"));
    create_request_init(&create, "x", "acme");
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_ALREADY_EXISTS,
                  "vm_id: vms/x exists already");
    assert_status(call_named(VM_PATH("StopVm"), "vms/x"), GRPC_STATUS_FAILED_PRECONDITION, "vms/x is CREATED");
    assert_status(call_named(VM_PATH("GetVm"), "bogus"), GRPC_STATUS_INVALID_ARGUMENT, "name: \"bogus\" is not");
    assert_status(call_named(VM_PATH("StartVm"), "vms/nope"), GRPC_STATUS_NOT_FOUND, "name: vms/nope not found");
    assert_status(call_named(VM_PATH("DeleteVm"), "vms/nope"), GRPC_STATUS_NOT_FOUND, "name: vms/nope not found");
    Kapsel__V1__StopVmRequest stop = KAPSEL__V1__STOP_VM_REQUEST__INIT;
    stop.name = "vms/x";
    stop.grace_period_ms = VM_STOP_GRACE_PERIOD_MAX_MS + 1;
    assert_status(call(VM_PATH("StopVm"), &stop.base), GRPC_STATUS_INVALID_ARGUMENT,
                  "grace_period_ms: 600001 is above the maximum 600000");
}

static void test_list_vms_filters_and_pages(void **state)
{
    (void)state;
    struct create_request create;
    const char *names[] = {"a", "b", "c"};
    const char *roles[] = {"web", "db", "web"};
    for (size_t i = 0; i < 3; i++) {
        create_request_init(&create, names[i], i == 1 ? "other" : "acme");
        create_request_label(&create, "role", roles[i]);
        assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_OK, NULL);
    }
    Kapsel__V1__ListVmsRequest list = KAPSEL__V1__LIST_VMS_REQUEST__INIT;
    struct grpc_test_stream *all = call(VM_PATH("ListVms"), &list.base);
    assert_status(all, GRPC_STATUS_OK, NULL);
    Kapsel__V1__ListVmsResponse *page = response(all, 0, &kapsel__v1__list_vms_response__descriptor);
    assert_int_equal(page->n_vms, 3);
    for (size_t i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "vms/%s", names[i]);
        assert_string_equal(page->vms[i]->name, name);
        assert_string_equal(page->vms[i]->labels[0]->value, roles[i]);
    }
    assert_string_equal(page->next_page_token, "");
    free_message(page);

    char *selector[] = {"role=web"};
    list.tenant = "acme";
    list.n_label_selector = 1;
    list.label_selector = selector;
    list.page_size = 1;
    struct grpc_test_stream *first = call(VM_PATH("ListVms"), &list.base);
    assert_status(first, GRPC_STATUS_OK, NULL);
    page = response(first, 0, &kapsel__v1__list_vms_response__descriptor);
    assert_int_equal(page->n_vms, 1);
    assert_string_equal(page->vms[0]->name, "vms/a");
    assert_int_not_equal(page->next_page_token[0], '\0');
    char token[PAGE_TOKEN_BYTES];
    snprintf(token, sizeof(token), "%s", page->next_page_token);
    free_message(page);
    list.page_token = token;
    struct grpc_test_stream *second = call(VM_PATH("ListVms"), &list.base);
    assert_status(second, GRPC_STATUS_OK, NULL);
    page = response(second, 0, &kapsel__v1__list_vms_response__descriptor);
    assert_int_equal(page->n_vms, 1);
    assert_string_equal(page->vms[0]->name, "vms/c");
    assert_string_equal(page->next_page_token, "");
    free_message(page);

    list.tenant = "other";
    assert_status(call(VM_PATH("ListVms"), &list.base), GRPC_STATUS_INVALID_ARGUMENT, "page_token");
    char *bad_selector[] = {"role=web", "novalue"};
    list.label_selector = bad_selector;
    list.n_label_selector = 2;
    list.page_token = "";
    assert_status(call(VM_PATH("ListVms"), &list.base), GRPC_STATUS_INVALID_ARGUMENT, "label_selector[1]");
}

/* --- Decoding requests. --- */

struct method_request {
    const char *path;
    const char *type;
};

static const struct method_request every_method[] = {
    {VM_PATH("CreateVm"), "kapsel.v1.CreateVmRequest"},
    {VM_PATH("StartVm"), "kapsel.v1.StartVmRequest"},
    {VM_PATH("StopVm"), "kapsel.v1.StopVmRequest"},
    {VM_PATH("DeleteVm"), "kapsel.v1.DeleteVmRequest"},
    {VM_PATH("GetVm"), "kapsel.v1.GetVmRequest"},
    {VM_PATH("ListVms"), "kapsel.v1.ListVmsRequest"},
    {VM_PATH("WatchVms"), "kapsel.v1.WatchVmsRequest"},
    {VM_PATH("StreamConsole"), "kapsel.v1.StreamConsoleRequest"},
    {IMAGE_PATH("UploadImage"), "kapsel.v1.UploadImageRequest"},
    {IMAGE_PATH("GetImage"), "kapsel.v1.GetImageRequest"},
    {IMAGE_PATH("ListImages"), "kapsel.v1.ListImagesRequest"},
    {IMAGE_PATH("DeleteImage"), "kapsel.v1.DeleteImageRequest"},
    {HOST_PATH("GetHostInfo"), "kapsel.v1.GetHostInfoRequest"},
    {HOST_PATH("Health"), "kapsel.v1.HealthRequest"},
    {ATTESTATION_PATH("AttestVm"), "kapsel.v1.AttestVmRequest"},
};

#define METHOD_COUNT (sizeof(every_method) / sizeof(every_method[0]))

static void test_the_table_has_every_method_of_the_protos(void **state)
{
    (void)state;
    size_t count;
    const struct grpc_method *methods = agent_api_methods(&f->api, &count);
    assert_int_equal(count, METHOD_COUNT);
    const ProtobufCServiceDescriptor *services[] = {
        &kapsel__v1__vm_service__descriptor,
        &kapsel__v1__image_service__descriptor,
        &kapsel__v1__host_service__descriptor,
        &kapsel__v1__attestation_service__descriptor,
    };
    size_t found = 0;
    for (size_t s = 0; s < sizeof(services) / sizeof(services[0]); s++) {
        for (unsigned m = 0; m < services[s]->n_methods; m++) {
            char path[128];
            snprintf(path, sizeof(path), "/%s/%s", services[s]->name, services[s]->methods[m].name);
            bool listed = false;
            for (size_t i = 0; i < count; i++) {
                if (strcmp(methods[i].path, path) == 0) {
                    listed = true;
                    assert_ptr_equal(methods[i].context, &f->api);
                    assert_true(methods[i].max_request_size > 0);
                }
            }
            if (!listed) {
                fail_msg("%s is not in the method table", path);
            }
            found++;
        }
    }
    assert_int_equal(found, count);
}

static void test_a_protobuf_that_does_not_parse_is_invalid_argument(void **state)
{
    (void)state;
    /* Field 1, length 255, then one byte. */
    static const uint8_t truncated[] = {0x0a, 0xff, 0x01, 'v'};
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (i % (STREAMS_PER_CLIENT - 1) == 0) {
            reconnect();
        }
        char message[128];
        snprintf(message, sizeof(message), "request: not a valid %s", every_method[i].type);
        struct grpc_test_stream *stream = call_with_bytes(every_method[i].path, truncated, sizeof(truncated));
        assert_status(stream, GRPC_STATUS_INVALID_ARGUMENT, message);
        assert_int_equal(grpc_test_stream_message_count(stream), 0);
    }
}

static void test_a_tag_beyond_the_field_numbers_is_refused_before_protobuf_c(void **state)
{
    (void)state;
    /* A varint tag whose fifth byte is 0x52: protobuf-c 1.4.1 would compute 0x52 << 25 in an int (undefined
     * behaviour; this test runs under UBSan, which aborts on it). Its field number, 0x52 << 25 and more, is none. */
    static const uint8_t top_level[] = {0x88, 0x80, 0x80, 0x80, 0x52, 0x01};
    assert_status(call_with_bytes(VM_PATH("StopVm"), top_level, sizeof(top_level)), GRPC_STATUS_INVALID_ARGUMENT,
                  "request: not a valid kapsel.v1.StopVmRequest");
    /* The same with the fifth byte's continuation bit set (protobuf-c shifts before it gives up on the tag). */
    static const uint8_t continued[] = {0x88, 0x80, 0x80, 0x80, 0xd2, 0x01, 0x01};
    assert_status(call_with_bytes(VM_PATH("GetVm"), continued, sizeof(continued)), GRPC_STATUS_INVALID_ARGUMENT,
                  "request: not a valid kapsel.v1.GetVmRequest");
    /* The same tag inside CreateVmRequest.vm.spec, which protobuf-c unpacks in turn. */
    static const uint8_t nested[] = {0x12, 0x08, 0x22, 0x06, 0x88, 0x80, 0x80, 0x80, 0x52, 0x01};
    assert_status(call_with_bytes(VM_PATH("CreateVm"), nested, sizeof(nested)), GRPC_STATUS_INVALID_ARGUMENT,
                  "request: not a valid kapsel.v1.CreateVmRequest");
    /* The largest field number is fine (an unknown field), and so is a valid request around it. */
    static const uint8_t largest_field[] = {0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x0a, 0x04, 'v', 'm', 's', '/'};
    assert_status(call_with_bytes(VM_PATH("GetVm"), largest_field, sizeof(largest_field)), GRPC_STATUS_INVALID_ARGUMENT,
                  "name: \"vms/\" is not");
}

static void test_requests_over_the_limit_are_refused_unread(void **state)
{
    (void)state;
    size_t length = API_REQUEST_MAX_BYTES + 1;
    uint8_t *big = calloc(1, IMAGE_UPLOAD_REQUEST_MAX_BYTES + 1);
    assert_non_null(big);
    assert_status(call_with_bytes(VM_PATH("GetVm"), big, length), GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "larger than the limit of 65536");
    assert_status(call_with_bytes(IMAGE_PATH("UploadImage"), big, IMAGE_UPLOAD_REQUEST_MAX_BYTES + 1),
                  GRPC_STATUS_RESOURCE_EXHAUSTED, "larger than the limit");
    free(big);
    assert_int_equal(f->api.uploads, 0);
}

static void test_decoding_is_bounded_in_memory(void **state)
{
    (void)state;
    /* CreateVmRequest.vm holding 30000 empty label entries: 60 KB on the wire, some 2 MB unpacked. */
    size_t entries = 30000;
    size_t inner = entries * 2;
    uint8_t *request = malloc(inner + 8);
    assert_non_null(request);
    size_t length = 0;
    request[length++] = 0x12; /* vm, length-prefixed: the length as a varint */
    size_t value = inner;
    for (; value >= 0x80; value >>= 7) {
        request[length++] = (uint8_t)((value & 0x7f) | 0x80);
    }
    request[length++] = (uint8_t)value;
    for (size_t i = 0; i < entries; i++) {
        request[length++] = 0x1a; /* labels */
        request[length++] = 0x00;
    }
    assert_true(length <= API_REQUEST_MAX_BYTES);
    assert_status(call_with_bytes(VM_PATH("CreateVm"), request, length), GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "takes more memory than the host allows");
    free(request);
    assert_int_equal(f->registry.vm_count, 0);
}

static void send_header(struct grpc_test_stream *stream, uint64_t size, const char *sha256, const char *display_name,
                        bool end);

/* --- WatchVms. --- */

static Kapsel__V1__VmEvent *event_of(const struct grpc_test_stream *stream, size_t index)
{
    return response(stream, index, &kapsel__v1__vm_event__descriptor);
}

static void assert_event(const struct grpc_test_stream *stream, size_t index, Kapsel__V1__VmEvent__Type type,
                         const char *name, Kapsel__V1__VmState state, uint64_t sequence)
{
    Kapsel__V1__VmEvent *event = event_of(stream, index);
    assert_int_equal(event->type, type);
    assert_non_null(event->vm);
    assert_string_equal(event->vm->name, name);
    assert_int_equal(event->vm->state, state);
    assert_int_equal(event->sequence, sequence);
    free_message(event);
}

static struct grpc_test_stream *watch(const char *tenant)
{
    Kapsel__V1__WatchVmsRequest request = KAPSEL__V1__WATCH_VMS_REQUEST__INIT;
    request.tenant = (char *)tenant;
    return call(VM_PATH("WatchVms"), &request.base);
}

static void test_watch_starts_with_the_vms_then_follows_their_events(void **state)
{
    (void)state;
    free_message(create_vm("a", "acme"));
    free_message(create_vm("other", "globex"));
    uint64_t last = vm_registry_last_sequence(&f->registry);
    struct grpc_test_stream *stream = watch("acme");
    assert_false(stream->closed);
    assert_int_equal(grpc_test_stream_message_count(stream), 1);
    assert_event(stream, 0, KAPSEL__V1__VM_EVENT__TYPE__ADDED, "vms/a", KAPSEL__V1__VM_STATE__CREATED, last);
    assert_int_equal(f->api.watches, 1);

    free_message(create_vm("b", "acme"));
    free_message(create_vm("ignored", "globex"));
    assert_status(call_named(VM_PATH("StartVm"), "vms/a"), GRPC_STATUS_OK, NULL);
    Kapsel__V1__StopVmRequest stop = KAPSEL__V1__STOP_VM_REQUEST__INIT;
    stop.name = "vms/a";
    stop.force = true;
    assert_status(call(VM_PATH("StopVm"), &stop.base), GRPC_STATUS_OK, NULL);
    assert_status(call_named(VM_PATH("DeleteVm"), "vms/b"), GRPC_STATUS_OK, NULL);
    assert_int_equal(grpc_test_stream_message_count(stream), 6);
    /* "ignored" took last + 2: the sequence counts every event of the host, the filter only picks. */
    assert_event(stream, 1, KAPSEL__V1__VM_EVENT__TYPE__ADDED, "vms/b", KAPSEL__V1__VM_STATE__CREATED, last + 1);
    assert_event(stream, 2, KAPSEL__V1__VM_EVENT__TYPE__MODIFIED, "vms/a", KAPSEL__V1__VM_STATE__RUNNING, last + 3);
    assert_event(stream, 3, KAPSEL__V1__VM_EVENT__TYPE__MODIFIED, "vms/a", KAPSEL__V1__VM_STATE__STOPPING, last + 4);
    assert_event(stream, 4, KAPSEL__V1__VM_EVENT__TYPE__MODIFIED, "vms/a", KAPSEL__V1__VM_STATE__STOPPED, last + 5);
    assert_event(stream, 5, KAPSEL__V1__VM_EVENT__TYPE__DELETED, "vms/b", KAPSEL__V1__VM_STATE__CREATED, last + 6);
    Kapsel__V1__VmEvent *stopped = event_of(stream, 4);
    assert_string_equal(stopped->vm->state_reason, "stopped through the API");
    assert_string_equal(stopped->vm->tenant, "acme");
    free_message(stopped);

    /* A watch without a tenant sees every VM. */
    struct grpc_test_stream *everything = watch("");
    assert_int_equal(grpc_test_stream_message_count(everything), 3);
    assert_int_equal(f->api.watches, 2);
    grpc_test_stream_cancel(&f->client, stream);
    grpc_test_stream_cancel(&f->client, everything);
    pump();
    assert_int_equal(f->api.watches, 0);
    assert_null(f->registry.observers);
}

static void test_watch_refuses_a_bad_tenant(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = watch("Not A Tenant");
    assert_status(stream, GRPC_STATUS_INVALID_ARGUMENT, "tenant: \"Not A Tenant\" is not");
    assert_int_equal(f->api.watches, 0);
}

/* A VM with 16 long labels: each of its events is over 2 KiB. */
static void create_heavy_vm(const char *id)
{
    static const char long_text[] = "0123456789012345678901234567890123456789012345678901234567890ab";
    struct vm_label_input labels[VM_LABELS_MAX];
    char keys[VM_LABELS_MAX][VM_LABEL_KEY_MAX_LENGTH + 1];
    for (size_t i = 0; i < VM_LABELS_MAX; i++) {
        snprintf(keys[i], sizeof(keys[i]), "%02zu%s", i, long_text + 2);
        labels[i] = (struct vm_label_input){.key = keys[i], .value = long_text};
    }
    struct vm_spec_input spec = {.kernel_image = f->kernel->name, .memory_mib = 64};
    struct vm_input vm = {.tenant = "acme", .labels = labels, .label_count = VM_LABELS_MAX, .spec = &spec};
    struct vm_create_request request = {.vm_id = id, .vm = &vm};
    const struct vm_record *created;
    struct api_error error;
    assert_int_equal(vm_registry_create(&f->registry, &request, &created, &error), API_STATUS_OK);
}

static void test_a_watcher_that_does_not_read_is_ended_never_waited_for(void **state)
{
    (void)state;
    struct grpc_test_stream *stream = watch("");
    struct grpc_test_stream *other = watch("");
    assert_int_equal(f->api.watches, 2);
    /* Events until the slow watchers' queues are full: the registry goes on, the watchers end at once. */
    size_t events = 0;
    for (; events < 2000 && f->api.watches > 0; events += 2) {
        create_heavy_vm("heavy");
        struct api_error error;
        assert_int_equal(vm_registry_delete(&f->registry, "vms/heavy", &error), API_STATUS_OK);
    }
    assert_int_equal(f->api.watches, 0);
    assert_null(f->registry.observers);
    /* Ended by a full queue (the status below says so): each event has 2 KiB of labels, the queue 512 KiB. */
    assert_true(events * 2 * 1024 > VM_WATCH_SEND_QUEUE_BYTES * 9 / 10 && events < 2000);
    read_to_the_end((struct grpc_test_stream *[]){stream, other}, 2);
    assert_status(stream, GRPC_STATUS_RESOURCE_EXHAUSTED, "WatchVms: the client did not read fast enough");
    assert_true(grpc_test_stream_message_count(stream) > 100);
    /* The connection serves on. */
    Kapsel__V1__HealthRequest request = KAPSEL__V1__HEALTH_REQUEST__INIT;
    struct grpc_test_stream *health = call(HOST_PATH("Health"), &request.base);
    read_to_the_end(&health, 1);
    assert_status(health, GRPC_STATUS_OK, NULL);
}

/* --- StreamConsole. --- */

static struct grpc_test_stream *stream_console(const char *name, bool skip_history, bool no_follow)
{
    Kapsel__V1__StreamConsoleRequest request = KAPSEL__V1__STREAM_CONSOLE_REQUEST__INIT;
    request.name = (char *)name;
    request.skip_history = skip_history;
    request.no_follow = no_follow;
    return call(VM_PATH("StreamConsole"), &request.base);
}

/* The stream's chunks: offsets without gaps from first_offset, content as pattern from there; the end offset. */
static uint64_t assert_console_chunks(const struct grpc_test_stream *stream, uint64_t first_offset,
                                      const uint8_t *pattern)
{
    uint64_t offset = first_offset;
    size_t count = grpc_test_stream_message_count(stream);
    for (size_t i = 0; i < count; i++) {
        Kapsel__V1__ConsoleChunk *chunk = response(stream, i, &kapsel__v1__console_chunk__descriptor);
        assert_int_equal(chunk->offset, offset);
        assert_true(chunk->data.len > 0 && chunk->data.len <= VM_CONSOLE_CHUNK_BYTES);
        assert_memory_equal(chunk->data.data, pattern + offset, chunk->data.len);
        offset += chunk->data.len;
        free_message(chunk);
    }
    return offset;
}

static void test_console_history_then_live_output_until_the_end(void **state)
{
    (void)state;
    free_message(create_vm("talk", "acme"));
    assert_status(call_named(VM_PATH("StartVm"), "vms/talk"), GRPC_STATUS_OK, NULL);
    struct vm_record *vm = record_of("vms/talk");
    /* 100 KiB in writes of 10 KiB: the history keeps the last 64 KiB. */
    size_t total = 100 * 1024 + 200;
    uint8_t *pattern = malloc(total);
    assert_non_null(pattern);
    fill_pattern(pattern, total, 9);
    size_t written = 0;
    for (; written + 10 * 1024 <= 100 * 1024; written += 10 * 1024) {
        report_console(vm, pattern + written, 10 * 1024);
    }
    struct grpc_test_stream *history = stream_console("vms/talk", false, true);
    assert_status(history, GRPC_STATUS_OK, NULL);
    assert_int_equal(grpc_test_stream_message_count(history), VM_CONSOLE_HISTORY_BYTES / VM_CONSOLE_CHUNK_BYTES);
    assert_int_equal(assert_console_chunks(history, written - VM_CONSOLE_HISTORY_BYTES, pattern), written);

    struct grpc_test_stream *live = stream_console("vms/talk", false, false);
    struct grpc_test_stream *only_new = stream_console("vms/talk", true, false);
    assert_false(live->closed);
    assert_int_equal(grpc_test_stream_message_count(only_new), 0);
    assert_int_equal(f->api.console_streams, 2);
    report_console(vm, pattern + written, 100);
    report_console(vm, pattern + written + 100, 100);
    pump();
    assert_int_equal(grpc_test_stream_message_count(only_new), 2);
    assert_int_equal(assert_console_chunks(only_new, written, pattern), total);
    assert_int_equal(assert_console_chunks(live, written - VM_CONSOLE_HISTORY_BYTES, pattern), total);
    assert_false(live->closed);
    /* Output of another VM is not this stream's. */
    free_message(create_vm("quiet", "acme"));
    assert_status(call_named(VM_PATH("StartVm"), "vms/quiet"), GRPC_STATUS_OK, NULL);
    report_console(record_of("vms/quiet"), "other", 5);
    report_end(vm, false, "guest powered off");
    pump();
    assert_status(live, GRPC_STATUS_OK, NULL);
    assert_status(only_new, GRPC_STATUS_OK, NULL);
    assert_int_equal(assert_console_chunks(live, written - VM_CONSOLE_HISTORY_BYTES, pattern), total);
    assert_int_equal(f->api.console_streams, 0);

    /* An ended VM: the history, and the end at once, with follow or without. */
    struct grpc_test_stream *after = stream_console("vms/talk", false, false);
    assert_status(after, GRPC_STATUS_OK, NULL);
    assert_int_equal(assert_console_chunks(after, total - VM_CONSOLE_HISTORY_BYTES, pattern), total);
    struct grpc_test_stream *nothing = stream_console("vms/talk", true, false);
    assert_status(nothing, GRPC_STATUS_OK, NULL);
    assert_int_equal(grpc_test_stream_message_count(nothing), 0);
    free(pattern);
}

static void test_console_of_a_vm_deleted_before_it_ran_ends_ok(void **state)
{
    (void)state;
    free_message(create_vm("never", "acme"));
    struct grpc_test_stream *stream = stream_console("vms/never", false, false);
    assert_false(stream->closed);
    assert_status(call_named(VM_PATH("DeleteVm"), "vms/never"), GRPC_STATUS_OK, NULL);
    pump();
    assert_status(stream, GRPC_STATUS_OK, NULL);
    assert_int_equal(grpc_test_stream_message_count(stream), 0);
    assert_status(stream_console("vms/never", false, false), GRPC_STATUS_NOT_FOUND, "name: vms/never not found");
    assert_status(stream_console("never", false, false), GRPC_STATUS_INVALID_ARGUMENT, "name:");
}

static void test_a_console_reader_that_does_not_read_is_ended(void **state)
{
    (void)state;
    free_message(create_vm("loud", "acme"));
    assert_status(call_named(VM_PATH("StartVm"), "vms/loud"), GRPC_STATUS_OK, NULL);
    struct vm_record *vm = record_of("vms/loud");
    struct grpc_test_stream *stream = stream_console("vms/loud", false, false);
    uint8_t output[32 * 1024];
    fill_pattern(output, sizeof(output), 3);
    size_t writes = 0;
    for (; writes < 100 && f->api.console_streams > 0; writes++) {
        report_console(vm, output, sizeof(output));
    }
    assert_int_equal(f->api.console_streams, 0);
    /* Ended once the queue was full, not before. */
    assert_true(writes * sizeof(output) >= VM_CONSOLE_SEND_QUEUE_BYTES && writes < 100);
    read_to_the_end(&stream, 1);
    assert_status(stream, GRPC_STATUS_RESOURCE_EXHAUSTED, "StreamConsole: the client did not read fast enough");
}

static void test_cancelled_streams_let_go_of_the_registry(void **state)
{
    (void)state;
    free_message(create_vm("c", "acme"));
    struct grpc_test_stream *console = stream_console("vms/c", false, false);
    struct grpc_test_stream *watcher = watch("acme");
    assert_int_equal(f->api.console_streams, 1);
    assert_int_equal(f->api.watches, 1);
    grpc_test_stream_cancel(&f->client, console);
    grpc_test_stream_cancel(&f->client, watcher);
    pump();
    assert_int_equal(f->api.console_streams, 0);
    assert_int_equal(f->api.watches, 0);
    assert_null(f->registry.observers);
    /* Events after the cancel reach nobody (ASan would see a freed observer). */
    assert_status(call_named(VM_PATH("StartVm"), "vms/c"), GRPC_STATUS_OK, NULL);
    report_console(record_of("vms/c"), "after", 5);
}

static void test_closing_the_connection_ends_every_stream(void **state)
{
    (void)state;
    free_message(create_vm("c", "acme"));
    stream_console("vms/c", false, false);
    watch("");
    struct grpc_test_stream *upload = start_call(IMAGE_PATH("UploadImage"));
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("never sent", 10, sha256);
    send_header(upload, 3 * MIB, sha256, "", false);
    pump();
    assert_int_equal(f->api.uploads, 1);
    assert_int_equal(f->pages.live, 3); /* the upload's reservation */
    assert_int_equal(f->api.watches + f->api.console_streams, 2);
    reconnect(); /* destroys the connection: on_cancel for each */
    assert_int_equal(f->api.uploads + f->api.watches + f->api.console_streams, 0);
    assert_null(f->registry.observers);
    assert_int_equal(f->images.uploads_reserving, 0);
    assert_int_equal(f->pages.live, 2);
}

/* --- ImageService. --- */

static void send_header(struct grpc_test_stream *stream, uint64_t size, const char *sha256, const char *display_name,
                        bool end)
{
    Kapsel__V1__UploadImageHeader header = KAPSEL__V1__UPLOAD_IMAGE_HEADER__INIT;
    header.size_bytes = size;
    header.sha256 = (char *)sha256;
    header.display_name = (char *)display_name;
    Kapsel__V1__UploadImageRequest request = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__INIT;
    request.part_case = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_HEADER;
    request.header = &header;
    send_message(stream, &request.base, end);
}

static void send_chunk(struct grpc_test_stream *stream, const uint8_t *bytes, size_t length, bool end)
{
    Kapsel__V1__UploadImageRequest request = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__INIT;
    request.part_case = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_CHUNK;
    request.chunk.data = (uint8_t *)bytes;
    request.chunk.len = length;
    send_message(stream, &request.base, end);
}

static void test_upload_in_chunks_then_get_list_and_delete(void **state)
{
    (void)state;
    size_t size = 2 * MIB + 100;
    uint8_t *content = malloc(size);
    assert_non_null(content);
    fill_pattern(content, size, 42);
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(content, size, sha256);
    size_t live_before = f->pages.live;
    struct grpc_test_stream *stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, size, sha256, "rootfs", false);
    for (size_t offset = 0; offset < size; offset += IMAGE_CHUNK_MAX_BYTES) {
        size_t length = size - offset < IMAGE_CHUNK_MAX_BYTES ? size - offset : IMAGE_CHUNK_MAX_BYTES;
        send_chunk(stream, content + offset, length, offset + length == size);
        pump();
    }
    assert_status(stream, GRPC_STATUS_OK, NULL);
    Kapsel__V1__Image *image = response(stream, 0, &kapsel__v1__image__descriptor);
    char name[IMAGE_NAME_BYTES];
    snprintf(name, sizeof(name), "images/%s", sha256);
    assert_string_equal(image->name, name);
    assert_string_equal(image->sha256, sha256);
    assert_int_equal(image->size_bytes, size);
    assert_string_equal(image->display_name, "rootfs");
    assert_int_equal(image->create_time_unix_ms, START_TIME_MS);
    assert_int_equal(image->n_used_by, 0);
    free_message(image);
    assert_int_equal(f->pages.live, live_before + 1);
    assert_int_equal(f->api.uploads, 0);

    /* used_by: the VMs that name it, in creation order. */
    struct create_request create;
    create_request_init(&create, "one", "acme");
    create_request_disk(&create, name, true);
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_OK, NULL);
    create_request_init(&create, "two", "acme");
    create.spec.initrd_image = name;
    assert_status(call(VM_PATH("CreateVm"), &create.request.base), GRPC_STATUS_OK, NULL);
    struct grpc_test_stream *get = call_named(IMAGE_PATH("GetImage"), name);
    assert_status(get, GRPC_STATUS_OK, NULL);
    image = response(get, 0, &kapsel__v1__image__descriptor);
    assert_int_equal(image->n_used_by, 2);
    assert_string_equal(image->used_by[0], "vms/one");
    assert_string_equal(image->used_by[1], "vms/two");
    free_message(image);

    Kapsel__V1__ListImagesRequest list = KAPSEL__V1__LIST_IMAGES_REQUEST__INIT;
    list.page_size = 2;
    struct grpc_test_stream *first = call(IMAGE_PATH("ListImages"), &list.base);
    assert_status(first, GRPC_STATUS_OK, NULL);
    Kapsel__V1__ListImagesResponse *page = response(first, 0, &kapsel__v1__list_images_response__descriptor);
    assert_int_equal(page->n_images, 2);
    assert_string_equal(page->images[0]->name, f->kernel->name);
    assert_string_equal(page->images[0]->display_name, "vmlinuz");
    assert_int_equal(page->images[1]->n_used_by, 0);
    char token[PAGE_TOKEN_BYTES];
    snprintf(token, sizeof(token), "%s", page->next_page_token);
    free_message(page);
    list.page_token = token;
    struct grpc_test_stream *second = call(IMAGE_PATH("ListImages"), &list.base);
    assert_status(second, GRPC_STATUS_OK, NULL);
    page = response(second, 0, &kapsel__v1__list_images_response__descriptor);
    assert_int_equal(page->n_images, 1);
    assert_string_equal(page->images[0]->name, name);
    assert_int_equal(page->images[0]->n_used_by, 2);
    assert_string_equal(page->next_page_token, "");
    free_message(page);

    reconnect();
    assert_status(call_named(IMAGE_PATH("DeleteImage"), name), GRPC_STATUS_FAILED_PRECONDITION, "is in use by vms/one");
    assert_status(call_named(VM_PATH("DeleteVm"), "vms/one"), GRPC_STATUS_OK, NULL);
    assert_status(call_named(VM_PATH("DeleteVm"), "vms/two"), GRPC_STATUS_OK, NULL);
    struct grpc_test_stream *deleted = call_named(IMAGE_PATH("DeleteImage"), name);
    assert_status(deleted, GRPC_STATUS_OK, NULL);
    free_message(response(deleted, 0, &kapsel__v1__delete_image_response__descriptor));
    assert_status(call_named(IMAGE_PATH("GetImage"), name), GRPC_STATUS_NOT_FOUND, "not found");
    assert_int_equal(f->pages.live, live_before);
    free(content);
}

/* An upload that the service refuses: its status, and nothing of it left behind. */
static void assert_upload_refused(struct grpc_test_stream *stream, enum grpc_status_code code, const char *fragment)
{
    pump();
    assert_status(stream, code, fragment);
    assert_int_equal(f->api.uploads, 0);
    assert_int_equal(f->images.uploads_reserving, 0);
    assert_int_equal(f->pages.live, 2); /* the fixture's two images */
}

static void test_upload_errors_end_the_upload_and_free_it(void **state)
{
    (void)state;
    uint8_t content[10000];
    fill_pattern(content, sizeof(content), 5);
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(content, sizeof(content), sha256);

    struct grpc_test_stream *stream = start_call(IMAGE_PATH("UploadImage"));
    send_chunk(stream, content, 100, false);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "header: required as the first message");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), sha256, "", false);
    send_chunk(stream, content, 100, false);
    send_header(stream, sizeof(content), sha256, "", false);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "header: sent again");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), sha256, "", false);
    Kapsel__V1__UploadImageRequest neither = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__INIT;
    send_message(stream, &neither.base, false);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "part: the message has neither header nor chunk");

    stream = start_call(IMAGE_PATH("UploadImage"));
    assert_true(grpc_test_stream_send(&f->client, stream, NULL, 0, true));
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "header: required; the stream ended");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), sha256, "", true);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "header.size_bytes: 10000 bytes announced");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content) - 1, sha256, "", false);
    send_chunk(stream, content, sizeof(content), true);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "chunk: the content is longer");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), f->kernel->sha256, "", false);
    send_chunk(stream, content, sizeof(content), true);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "sha256 mismatch: header says");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, MAX_IMAGE_BYTES + 1, sha256, "", false);
    assert_upload_refused(stream, GRPC_STATUS_RESOURCE_EXHAUSTED, "header.size_bytes: 4194305 is above");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), sha256, "", false);
    send_chunk(stream, content, 0, false);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "chunk: 0 bytes");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), sha256, "", false);
    static const uint8_t truncated[] = {0x12, 0x10, 0x01};
    send_bytes(stream, truncated, sizeof(truncated), false);
    assert_upload_refused(stream, GRPC_STATUS_INVALID_ARGUMENT, "request: not a valid kapsel.v1.UploadImageRequest");

    stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), sha256, "", false);
    send_chunk(stream, content, 5000, false);
    pump();
    assert_int_equal(f->api.uploads, 1);
    assert_int_equal(f->pages.live, 3);
    grpc_test_stream_cancel(&f->client, stream);
    pump();
    assert_int_equal(f->api.uploads, 0);
    assert_int_equal(f->pages.live, 2);
}

static void test_uploading_a_stored_image_returns_it(void **state)
{
    (void)state;
    uint8_t content[8192];
    fill_pattern(content, sizeof(content), 1); /* the fixture's kernel */
    f->clock.now_ms += 1000;
    struct grpc_test_stream *stream = start_call(IMAGE_PATH("UploadImage"));
    send_header(stream, sizeof(content), f->kernel->sha256, "another name", false);
    send_chunk(stream, content, sizeof(content), true);
    pump();
    assert_status(stream, GRPC_STATUS_OK, NULL);
    Kapsel__V1__Image *image = response(stream, 0, &kapsel__v1__image__descriptor);
    assert_string_equal(image->name, f->kernel->name);
    assert_string_equal(image->display_name, "vmlinuz");
    assert_int_equal(image->create_time_unix_ms, START_TIME_MS);
    free_message(image);
    assert_int_equal(f->pages.live, 2);
}

static void test_image_errors(void **state)
{
    (void)state;
    assert_status(call_named(IMAGE_PATH("GetImage"), "vmlinuz"), GRPC_STATUS_INVALID_ARGUMENT,
                  "name: \"vmlinuz\" is not images/{sha256}");
    assert_status(call_named(IMAGE_PATH("DeleteImage"),
                             "images/0000000000000000000000000000000000000000000000000000000000000000"),
                  GRPC_STATUS_NOT_FOUND, "not found");
    Kapsel__V1__ListImagesRequest list = KAPSEL__V1__LIST_IMAGES_REQUEST__INIT;
    list.page_size = PAGE_SIZE_MAX + 1;
    assert_status(call(IMAGE_PATH("ListImages"), &list.base), GRPC_STATUS_INVALID_ARGUMENT, "page_size");
}

/* --- HostService. --- */

static void test_host_info_and_health(void **state)
{
    (void)state;
    free_message(create_vm("a", "acme"));
    free_message(create_vm("b", "acme"));
    assert_status(call_named(VM_PATH("StartVm"), "vms/b"), GRPC_STATUS_OK, NULL);
    Kapsel__V1__GetHostInfoRequest request = KAPSEL__V1__GET_HOST_INFO_REQUEST__INIT;
    struct grpc_test_stream *stream = call(HOST_PATH("GetHostInfo"), &request.base);
    assert_status(stream, GRPC_STATUS_OK, NULL);
    Kapsel__V1__HostInfo *info = response(stream, 0, &kapsel__v1__host_info__descriptor);
    assert_string_equal(info->name, "test-host");
    assert_string_equal(info->version, "1.2.3");
    assert_string_equal(info->architecture, "x86_64");
    assert_int_equal(info->cpus, 4);
    assert_int_equal(info->memory_total_bytes, 8 * 1024 * MIB);
    assert_int_equal(info->memory_free_bytes, 6 * 1024 * MIB);
    assert_int_equal(info->uptime_seconds, 77);
    assert_int_equal(info->vms_total, 2);
    assert_int_equal(info->vms_running, 1);
    assert_int_equal(info->max_image_bytes, MAX_IMAGE_BYTES);
    assert_int_equal(info->vm_memory_limit_bytes, VM_MEMORY_LIMIT);
    assert_int_equal(info->vm_memory_used_bytes, 2 * 128 * MIB);
    free_message(info);

    /* Facts the agent leaves empty come out empty, not as a crash. */
    f->facts = (struct host_facts){0};
    stream = call(HOST_PATH("GetHostInfo"), &request.base);
    assert_status(stream, GRPC_STATUS_OK, NULL);
    info = response(stream, 0, &kapsel__v1__host_info__descriptor);
    assert_string_equal(info->name, "");
    free_message(info);

    Kapsel__V1__HealthRequest health = KAPSEL__V1__HEALTH_REQUEST__INIT;
    stream = call(HOST_PATH("Health"), &health.base);
    assert_status(stream, GRPC_STATUS_OK, NULL);
    Kapsel__V1__HealthResponse *answer = response(stream, 0, &kapsel__v1__health_response__descriptor);
    assert_int_equal(answer->status, KAPSEL__V1__HEALTH_RESPONSE__SERVING_STATUS__SERVING);
    free_message(answer);
}

static void test_agent_api_init_refuses_an_incomplete_configuration(void **state)
{
    (void)state;
    struct agent_api api;
    struct api_error error;
    struct agent_api_config config = {.registry = &f->registry, .images = &f->images, .host_facts = fill_host_facts};
    config.registry = NULL;
    assert_int_equal(agent_api_init(&api, &config, &error), API_STATUS_INVALID_ARGUMENT);
    config.registry = &f->registry;
    config.host_facts = NULL;
    assert_int_equal(agent_api_init(&api, &config, &error), API_STATUS_INVALID_ARGUMENT);
    config.host_facts = fill_host_facts;
    struct image_store other;
    memset(&other, 0, sizeof(other));
    config.images = &other;
    assert_int_equal(agent_api_init(&api, &config, &error), API_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(error.message, "another image store"));
}

/* --- Mutated requests. --- */

static uint32_t next_random(uint32_t *state)
{
    /* xorshift32: the same sequence on every run. */
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static void test_mutated_requests_get_a_status_and_break_nothing(void **state)
{
    (void)state;
    free_message(create_vm("target", "acme"));
    /* A valid request per unary method, mutated: bytes changed, inserted, dropped. */
    struct create_request create;
    create_request_init(&create, "m", "acme");
    create_request_label(&create, "k", "v");
    create_request_disk(&create, f->disk->name, true);
    create.spec.command_line = "console=ttyS0";
    Kapsel__V1__ListVmsRequest list = KAPSEL__V1__LIST_VMS_REQUEST__INIT;
    char *selector[] = {"k=v"};
    list.tenant = "acme";
    list.label_selector = selector;
    list.n_label_selector = 1;
    list.page_size = 2;
    Kapsel__V1__StopVmRequest stop = KAPSEL__V1__STOP_VM_REQUEST__INIT;
    stop.name = "vms/target";
    stop.grace_period_ms = 100;
    Kapsel__V1__GetVmRequest get = KAPSEL__V1__GET_VM_REQUEST__INIT;
    get.name = "vms/target";
    Kapsel__V1__GetImageRequest image = KAPSEL__V1__GET_IMAGE_REQUEST__INIT;
    image.name = (char *)f->kernel->name;
    struct {
        const char *path;
        const ProtobufCMessage *seed;
    } seeds[] = {
        {VM_PATH("CreateVm"), &create.request.base},
        {VM_PATH("ListVms"), &list.base},
        {VM_PATH("StopVm"), &stop.base},
        {VM_PATH("GetVm"), &get.base},
        {VM_PATH("StartVm"), &get.base},
        {IMAGE_PATH("GetImage"), &image.base},
        {IMAGE_PATH("ListImages"), &list.base},
        {HOST_PATH("GetHostInfo"), &get.base},
    };
    size_t seed_count = sizeof(seeds) / sizeof(seeds[0]);
    uint32_t random = 0x4b415053;
    uint8_t bytes[512];
    size_t streams = 1; /* create_vm's */
    for (unsigned round = 0; round < 1500; round++) {
        /* Room for this round's call and a recreated target. */
        if (streams + 2 > STREAMS_PER_CLIENT) {
            reconnect();
            streams = 0;
        }
        streams++;
        size_t which = next_random(&random) % seed_count;
        size_t length = protobuf_c_message_get_packed_size(seeds[which].seed);
        assert_true(length < sizeof(bytes) / 2);
        protobuf_c_message_pack(seeds[which].seed, bytes);
        unsigned mutations = 1 + next_random(&random) % 4;
        for (unsigned m = 0; m < mutations && length > 0; m++) {
            size_t at = next_random(&random) % length;
            switch (next_random(&random) % 3) {
            case 0:
                bytes[at] = (uint8_t)next_random(&random);
                break;
            case 1:
                if (length < sizeof(bytes) - 1) {
                    memmove(bytes + at + 1, bytes + at, length - at);
                    bytes[at] = (uint8_t)next_random(&random);
                    length++;
                }
                break;
            default:
                memmove(bytes + at, bytes + at + 1, length - at - 1);
                length--;
                break;
            }
        }
        struct grpc_test_stream *stream = call_with_bytes(seeds[which].path, bytes, length);
        assert_true(stream->closed);
        if (stream->grpc_status == GRPC_STATUS_INTERNAL || stream->grpc_status == GRPC_STATUS_UNKNOWN ||
            stream->grpc_status < 0) {
            fail_msg("round %u, %s: status %d %s", round, seeds[which].path, stream->grpc_status, stream->grpc_message);
        }
        /* Whatever a mutated CreateVm made: gone again, so that the registry does not fill. */
        for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
            struct vm_record *vm = &f->registry.vms[i];
            struct api_error error;
            if (vm->creation_number != 0 && strcmp(vm->id, "target") != 0) {
                if (vm->state == VM_STATE_RUNNING) {
                    report_end(vm, false, "done");
                }
                assert_int_equal(vm_registry_delete(&f->registry, vm->name, &error), API_STATUS_OK);
            }
        }
        if (record_of("vms/target")->state != VM_STATE_CREATED) {
            struct vm_record *target = record_of("vms/target");
            if (target->state == VM_STATE_RUNNING || target->state == VM_STATE_STOPPING) {
                report_end(target, false, "done");
            }
            struct api_error error;
            assert_int_equal(vm_registry_delete(&f->registry, "vms/target", &error), API_STATUS_OK);
            free_message(create_vm("target", "acme"));
            streams++;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_vm_translates_every_field, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_generated_id, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_start_stop_and_end_fields, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_start_the_backend_refuses_answers_failed, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_model_errors_pass_through_with_their_messages, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_list_vms_filters_and_pages, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_the_table_has_every_method_of_the_protos, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_protobuf_that_does_not_parse_is_invalid_argument, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_tag_beyond_the_field_numbers_is_refused_before_protobuf_c, set_up,
                                        tear_down),
        cmocka_unit_test_setup_teardown(test_requests_over_the_limit_are_refused_unread, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_decoding_is_bounded_in_memory, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_watch_starts_with_the_vms_then_follows_their_events, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_watch_refuses_a_bad_tenant, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_watcher_that_does_not_read_is_ended_never_waited_for,
                                        set_up_with_a_slow_reader, tear_down),
        cmocka_unit_test_setup_teardown(test_console_history_then_live_output_until_the_end, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_console_of_a_vm_deleted_before_it_ran_ends_ok, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_console_reader_that_does_not_read_is_ended, set_up_with_a_slow_reader,
                                        tear_down),
        cmocka_unit_test_setup_teardown(test_cancelled_streams_let_go_of_the_registry, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_closing_the_connection_ends_every_stream, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_upload_in_chunks_then_get_list_and_delete, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_upload_errors_end_the_upload_and_free_it, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_uploading_a_stored_image_returns_it, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_image_errors, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_host_info_and_health, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_agent_api_init_refuses_an_incomplete_configuration, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_mutated_requests_get_a_status_and_break_nothing, set_up, tear_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
