/* The VM registry (vm_registry.h): every validation error of CreateVm with the field it names, every state transition
 * allowed and refused, ids, limits, pagination with filters, observers and their events, the console history. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/unit_tests/api_model_testing.h"
#include "agent/vm_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024ull * 1024ull)
#define START_TIME_MS 1700000000000ull

/* The uvmm launcher as the registry sees it: counts calls, fails or ends the VM on request. */
struct fake_backend {
    struct vm_registry *registry;
    size_t starts;
    size_t stops;
    bool last_force;
    uint32_t last_grace_period_ms;
    const char *start_failure; /* returned by start */
    const char *stop_failure;  /* returned by stop */
    bool end_during_start;     /* reports "guest powered off" from within start */
    bool end_during_stop;      /* reports "stopped through the API" from within stop */
    bool change_during_start;  /* tries to delete the VM from within start */
    enum api_status change_status;
};

struct recorded_event {
    enum vm_event_type type;
    char name[VM_NAME_BYTES];
    enum vm_state state;
    uint64_t sequence;
};

#define RECORDER_MAX_EVENTS 160

/* An observer that keeps what it is told. */
struct recorder {
    struct vm_observer observer;
    struct recorded_event events[RECORDER_MAX_EVENTS];
    size_t count;
    size_t console_writes;
    uint64_t console_next_offset; /* the offset the next write must have */
    size_t console_bytes;
    bool console_gap;
};

struct fixture {
    struct fake_clock clock;
    struct counting_allocator allocator;
    struct image_store images;
    struct vm_registry registry;
    struct fake_backend backend;
    struct api_error error;
    char kernel[IMAGE_NAME_BYTES];
    char initrd[IMAGE_NAME_BYTES];
    char disk[IMAGE_NAME_BYTES];
    /* A valid CreateVmRequest that each test changes. */
    struct vm_label_input labels[VM_LABELS_MAX + 1];
    struct vm_disk_input disks[VM_DISKS_MAX + 1];
    struct vm_spec_input spec;
    struct vm_input vm;
    struct vm_create_request request;
    struct recorder recorder;
};

static struct fixture *fixture;

static const char *backend_start(void *context, struct vm_record *vm)
{
    struct fake_backend *backend = context;
    backend->starts++;
    struct api_error error;
    if (backend->change_during_start) {
        backend->change_status = vm_registry_delete(backend->registry, vm->name, &error);
    }
    if (backend->end_during_start) {
        assert_int_equal(vm_registry_vm_ended(backend->registry, vm, false, "guest powered off", &error),
                         API_STATUS_OK);
    }
    return backend->start_failure;
}

static const char *backend_stop(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms)
{
    struct fake_backend *backend = context;
    backend->stops++;
    backend->last_force = force;
    backend->last_grace_period_ms = grace_period_ms;
    if (backend->end_during_stop) {
        struct api_error error;
        assert_int_equal(vm_registry_vm_ended(backend->registry, vm, false, "stopped through the API", &error),
                         API_STATUS_OK);
    }
    return backend->stop_failure;
}

static void record_event(void *context, const struct vm_event *event)
{
    struct recorder *recorder = context;
    assert_true(recorder->count < RECORDER_MAX_EVENTS);
    struct recorded_event *recorded = &recorder->events[recorder->count++];
    recorded->type = event->type;
    snprintf(recorded->name, sizeof(recorded->name), "%s", event->vm->name);
    recorded->state = event->vm->state;
    recorded->sequence = event->sequence;
}

static void record_console(void *context, const struct vm_record *vm, uint64_t offset, const uint8_t *bytes,
                           size_t length)
{
    struct recorder *recorder = context;
    (void)vm;
    (void)bytes;
    if (offset != recorder->console_next_offset) {
        recorder->console_gap = true;
    }
    recorder->console_next_offset = offset + length;
    recorder->console_writes++;
    recorder->console_bytes += length;
}

static void recorder_init(struct recorder *recorder)
{
    memset(recorder, 0, sizeof(*recorder));
    recorder->observer.on_event = record_event;
    recorder->observer.on_console = record_console;
    recorder->observer.context = recorder;
}

static void init_registry(uint64_t memory_limit_bytes)
{
    struct vm_registry_config config = {
        .memory_limit_bytes = memory_limit_bytes,
        .backend = {.start = backend_start, .stop = backend_stop, .context = &fixture->backend},
        .clock = fake_clock_interface(&fixture->clock),
        .images = &fixture->images,
    };
    assert_int_equal(vm_registry_init(&fixture->registry, &config, &fixture->error), API_STATUS_OK);
    image_store_set_users(&fixture->images, vm_registry_image_users(&fixture->registry));
    recorder_init(&fixture->recorder);
    assert_int_equal(vm_registry_add_observer(&fixture->registry, &fixture->recorder.observer, &fixture->error),
                     API_STATUS_OK);
}

static void upload_named(const char *content, char name[IMAGE_NAME_BYTES])
{
    const struct image_record *image = NULL;
    assert_int_equal(upload_image(&fixture->images, content, strlen(content), 4096, NULL, &image, &fixture->error),
                     API_STATUS_OK);
    memcpy(name, image->name, IMAGE_NAME_BYTES);
}

static void reset_request(void)
{
    memset(fixture->labels, 0, sizeof(fixture->labels));
    memset(fixture->disks, 0, sizeof(fixture->disks));
    fixture->spec = (struct vm_spec_input){.kernel_image = fixture->kernel, .memory_mib = 128, .disks = fixture->disks};
    fixture->vm = (struct vm_input){.tenant = "tenant-a", .labels = fixture->labels, .spec = &fixture->spec};
    fixture->request = (struct vm_create_request){.vm = &fixture->vm};
}

static int set_up(void **state)
{
    (void)state;
    fixture = calloc(1, sizeof(*fixture));
    fixture->clock.now_ms = START_TIME_MS;
    counting_allocator_init(&fixture->allocator);
    struct image_store_config images = {
        .max_image_bytes = 1 << 20,
        .max_total_bytes = 16 << 20,
        .allocator = counting_allocator_interface(&fixture->allocator),
        .clock = fake_clock_interface(&fixture->clock),
    };
    assert_int_equal(image_store_init(&fixture->images, &images, &fixture->error), API_STATUS_OK);
    upload_named("a kernel", fixture->kernel);
    upload_named("an initramfs", fixture->initrd);
    upload_named("a disk", fixture->disk);
    fixture->backend.registry = &fixture->registry;
    init_registry(64 * 1024 * MIB);
    reset_request();
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    vm_registry_destroy(&fixture->registry);
    image_store_destroy(&fixture->images);
    assert_int_equal(fixture->allocator.live, 0);
    free(fixture);
    return 0;
}

static void assert_error(enum api_status status, enum api_status expected, const char *prefix)
{
    assert_int_equal(status, expected);
    assert_int_equal(fixture->error.code, expected);
    if (strncmp(fixture->error.message, prefix, strlen(prefix)) != 0) {
        fail_msg("message \"%s\" does not start with \"%s\"", fixture->error.message, prefix);
    }
}

static const struct vm_record *create(const char *vm_id)
{
    fixture->request.vm_id = vm_id;
    const struct vm_record *vm = NULL;
    if (vm_registry_create(&fixture->registry, &fixture->request, &vm, &fixture->error) != API_STATUS_OK) {
        fail_msg("create failed: %s", fixture->error.message);
    }
    return vm;
}

/* The registry's own, writable record (what the backend is handed). */
static struct vm_record *record_of(const struct vm_record *vm)
{
    return &fixture->registry.vms[vm - fixture->registry.vms];
}

static enum api_status start(const char *name)
{
    const struct vm_record *vm = NULL;
    return vm_registry_start(&fixture->registry, name, &vm, &fixture->error);
}

static enum api_status stop(const char *name, bool force, uint32_t grace_period_ms)
{
    const struct vm_record *vm = NULL;
    struct vm_stop_request request = {.name = name, .force = force, .grace_period_ms = grace_period_ms};
    return vm_registry_stop(&fixture->registry, &request, &vm, &fixture->error);
}

static enum api_status end(const struct vm_record *vm, bool failed, const char *reason)
{
    return vm_registry_vm_ended(&fixture->registry, record_of(vm), failed, reason, &fixture->error);
}

static enum api_status create_status(void)
{
    const struct vm_record *vm = NULL;
    return vm_registry_create(&fixture->registry, &fixture->request, &vm, &fixture->error);
}

/* A refused create changes nothing: no VM, no event. */
static void expect_create_refused(enum api_status expected, const char *prefix, int line)
{
    size_t vms = fixture->registry.vm_count;
    size_t events = fixture->recorder.count;
    enum api_status status = create_status();
    if (status != expected || strncmp(fixture->error.message, prefix, strlen(prefix)) != 0) {
        fail_msg("line %d: status %s \"%s\", expected %s \"%s...\"", line, api_status_name(status),
                 fixture->error.message, api_status_name(expected), prefix);
    }
    assert_int_equal(fixture->registry.vm_count, vms);
    assert_int_equal(fixture->recorder.count, events);
}

static void expect_create_accepted(int line)
{
    const struct vm_record *vm = NULL;
    if (vm_registry_create(&fixture->registry, &fixture->request, &vm, &fixture->error) != API_STATUS_OK) {
        fail_msg("line %d: refused: %s", line, fixture->error.message);
    }
    assert_int_equal(vm_registry_delete(&fixture->registry, vm->name, &fixture->error), API_STATUS_OK);
}

#define EXPECT_REFUSED(change, code, prefix)                                                                           \
    do {                                                                                                               \
        reset_request();                                                                                               \
        change;                                                                                                        \
        expect_create_refused(code, prefix, __LINE__);                                                                 \
    } while (0)

#define EXPECT_INVALID(change, prefix) EXPECT_REFUSED(change, API_STATUS_INVALID_ARGUMENT, prefix)

#define EXPECT_ACCEPTED(change)                                                                                        \
    do {                                                                                                               \
        reset_request();                                                                                               \
        change;                                                                                                        \
        expect_create_accepted(__LINE__);                                                                              \
    } while (0)

/* A string of length bytes of c, in one of a few static buffers. */
static const char *repeat(char c, size_t length)
{
    static char buffers[4][512];
    static size_t next;
    char *buffer = buffers[next++ % 4];
    memset(buffer, c, length);
    buffer[length] = '\0';
    return buffer;
}

/* count labels "k0" ... with empty values. */
static void fill_labels(size_t count)
{
    static char keys[VM_LABELS_MAX + 1][24];
    for (size_t i = 0; i < count; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
        fixture->labels[i] = (struct vm_label_input){keys[i], ""};
    }
    fixture->vm.label_count = count;
}

static void creates_a_vm_in_state_created(void **state)
{
    (void)state;
    fixture->labels[0] = (struct vm_label_input){"role", "web"};
    fixture->vm.label_count = 1;
    fixture->spec.initrd_image = fixture->initrd;
    fixture->spec.command_line = "console=hvc0 quiet";
    fixture->disks[0] = (struct vm_disk_input){fixture->disk, true};
    fixture->disks[1] = (struct vm_disk_input){fixture->kernel, false};
    fixture->spec.disk_count = 2;
    fixture->spec.network_id = 7;
    const struct vm_record *vm = create(NULL);
    assert_string_equal(vm->id, "vm-1");
    assert_string_equal(vm->name, "vms/vm-1");
    assert_string_equal(vm->tenant, "tenant-a");
    assert_int_equal(vm->label_count, 1);
    assert_string_equal(vm->labels[0].key, "role");
    assert_string_equal(vm->labels[0].value, "web");
    assert_string_equal(vm->spec.kernel_image, fixture->kernel);
    assert_string_equal(vm->spec.initrd_image, fixture->initrd);
    assert_string_equal(vm->spec.command_line, "console=hvc0 quiet");
    assert_int_equal(vm->spec.memory_mib, 128);
    assert_int_equal(vm->spec.vcpus, 1);
    assert_int_equal(vm->spec.disk_count, 2);
    assert_string_equal(vm->spec.disks[0].image, fixture->disk);
    assert_true(vm->spec.disks[0].read_only);
    assert_false(vm->spec.disks[1].read_only);
    assert_int_equal(vm->spec.network_id, 7);
    assert_int_equal(vm->state, VM_STATE_CREATED);
    assert_string_equal(vm->state_reason, "");
    assert_int_equal(vm->create_time_unix_ms, START_TIME_MS);
    assert_int_equal(vm->start_time_unix_ms, 0);
    assert_int_equal(vm->end_time_unix_ms, 0);
    assert_int_equal(fixture->recorder.count, 1);
    assert_int_equal(fixture->recorder.events[0].type, VM_EVENT_ADDED);
    assert_int_equal(fixture->recorder.events[0].sequence, 1);
    const struct vm_record *got = NULL;
    assert_int_equal(vm_registry_get(&fixture->registry, "vms/vm-1", &got, &fixture->error), API_STATUS_OK);
    assert_ptr_equal(got, vm);
}

static void refuses_every_invalid_field_naming_it(void **state)
{
    (void)state;
    EXPECT_INVALID(fixture->request.vm_id = "Web", "vm_id: \"Web\" is not 1 to 32 bytes of [a-z0-9-]");
    EXPECT_INVALID(fixture->request.vm_id = "1web", "vm_id: ");
    EXPECT_INVALID(fixture->request.vm_id = "web_1", "vm_id: ");
    EXPECT_INVALID(fixture->request.vm_id = repeat('a', 33), "vm_id: ");
    EXPECT_INVALID(fixture->request.vm = NULL, "vm: required");

    EXPECT_INVALID(fixture->vm.tenant = "", "vm.tenant: required");
    EXPECT_INVALID(fixture->vm.tenant = NULL, "vm.tenant: required");
    EXPECT_INVALID(fixture->vm.tenant = "Tenant", "vm.tenant: \"Tenant\" is not 1 to 63 bytes");
    EXPECT_INVALID(fixture->vm.tenant = "-tenant", "vm.tenant: ");
    EXPECT_INVALID(fixture->vm.tenant = "ten ant", "vm.tenant: ");
    EXPECT_INVALID(fixture->vm.tenant = repeat('t', 64), "vm.tenant: ");

    EXPECT_INVALID(fill_labels(VM_LABELS_MAX + 1), "vm.labels: 17 labels, at most 16");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){"", "v"}, fixture->vm.label_count = 1),
                   "vm.labels: key \"\" is not 1 to 63 bytes of [a-z0-9_./-]");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){"Role", "v"}, fixture->vm.label_count = 1),
                   "vm.labels: key \"Role\"");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){"ro le", "v"}, fixture->vm.label_count = 1),
                   "vm.labels: key ");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){repeat('k', 64), "v"}, fixture->vm.label_count = 1),
                   "vm.labels: key ");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){"role", repeat('v', 64)}, fixture->vm.label_count = 1),
                   "vm.labels[\"role\"]: value \"vvvv");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){"role", "a\nb"}, fixture->vm.label_count = 1),
                   "vm.labels[\"role\"]: value \"a\\x0ab\" is not at most 63 bytes of printable ASCII");
    EXPECT_INVALID((fixture->labels[0] = (struct vm_label_input){"role", "a"},
                    fixture->labels[1] = (struct vm_label_input){"role", "b"}, fixture->vm.label_count = 2),
                   "vm.labels: key \"role\" appears twice");

    EXPECT_INVALID(fixture->vm.spec = NULL, "vm.spec: required");
    EXPECT_INVALID(fixture->spec.kernel_image = "", "vm.spec.kernel_image: required, images/{sha256}");
    EXPECT_INVALID(fixture->spec.kernel_image = "images/ABC",
                   "vm.spec.kernel_image: \"images/ABC\" is not images/{sha256} with 64 lowercase hex digits");
    EXPECT_INVALID(fixture->spec.kernel_image = fixture->kernel + 7, "vm.spec.kernel_image: ");
    EXPECT_INVALID(fixture->spec.initrd_image = "initrd.img", "vm.spec.initrd_image: \"initrd.img\" is not");
    EXPECT_INVALID(fixture->spec.command_line = repeat('c', 256), "vm.spec.command_line: 256 bytes, at most 255");
    EXPECT_INVALID(fixture->spec.command_line = "console=hvc0\n",
                   "vm.spec.command_line: byte 12 (0x0a) is not printable ASCII");
    EXPECT_INVALID(fixture->spec.memory_mib = 0, "vm.spec.memory_mib: required, 64 to 4096");
    EXPECT_INVALID(fixture->spec.memory_mib = 32, "vm.spec.memory_mib: 32 is below the minimum 64");
    EXPECT_INVALID(fixture->spec.memory_mib = 4097, "vm.spec.memory_mib: 4097 is above the maximum 4096");
    EXPECT_INVALID(fixture->spec.vcpus = 2, "vm.spec.vcpus: 2; a guest has exactly 1 vCPU");
    EXPECT_INVALID(fixture->spec.disk_count = 3, "vm.spec.disks: 3 disks, at most 2");
    EXPECT_INVALID((fixture->disks[0].image = fixture->disk, fixture->spec.disk_count = 2),
                   "vm.spec.disks[1].image: required, images/{sha256}");
    EXPECT_INVALID((fixture->disks[0].image = "disk.img", fixture->spec.disk_count = 1),
                   "vm.spec.disks[0].image: \"disk.img\" is not");
    EXPECT_INVALID(fixture->spec.network_id = 4096, "vm.spec.network_id: 4096 is above the maximum 4095");

    EXPECT_INVALID(fixture->vm.name = "vms/vm-1", "vm.name: output only, must be empty in a request");
    EXPECT_INVALID(fixture->vm.state = VM_STATE_RUNNING, "vm.state: output only");
    EXPECT_INVALID(fixture->vm.state_reason = "x", "vm.state_reason: output only");
    EXPECT_INVALID(fixture->vm.create_time_unix_ms = 1, "vm.create_time_unix_ms: output only");
    EXPECT_INVALID(fixture->vm.start_time_unix_ms = 1, "vm.start_time_unix_ms: output only");
    EXPECT_INVALID(fixture->vm.end_time_unix_ms = 1, "vm.end_time_unix_ms: output only");
    EXPECT_INVALID(fixture->vm.disk_sha256_count = 1, "vm.disk_sha256: output only");
}

static void accepts_every_field_at_its_limits(void **state)
{
    (void)state;
    EXPECT_ACCEPTED(fixture->request.vm_id = repeat('a', 32));
    EXPECT_ACCEPTED(fixture->request.vm_id = "a");
    EXPECT_ACCEPTED(fixture->request.vm_id = "web-1-");
    EXPECT_ACCEPTED(fixture->vm.tenant = repeat('t', 63));
    EXPECT_ACCEPTED(fixture->vm.tenant = "t");
    EXPECT_ACCEPTED(fill_labels(VM_LABELS_MAX));
    EXPECT_ACCEPTED((fixture->labels[0] = (struct vm_label_input){"a-z_0.9/x", " !~"}, fixture->vm.label_count = 1));
    EXPECT_ACCEPTED(
        (fixture->labels[0] = (struct vm_label_input){repeat('k', 63), repeat('v', 63)}, fixture->vm.label_count = 1));
    EXPECT_ACCEPTED((fixture->labels[0] = (struct vm_label_input){"role", NULL}, fixture->vm.label_count = 1));
    EXPECT_ACCEPTED(fixture->spec.command_line = repeat(' ', 255));
    EXPECT_ACCEPTED(fixture->spec.memory_mib = 64);
    EXPECT_ACCEPTED(fixture->spec.memory_mib = 4096);
    EXPECT_ACCEPTED(fixture->spec.vcpus = 1);
    EXPECT_ACCEPTED(fixture->spec.network_id = 4095);
    EXPECT_ACCEPTED(fixture->spec.network_id = 1);
    EXPECT_ACCEPTED((fixture->disks[0].image = fixture->disk, fixture->disks[1].image = fixture->disk,
                     fixture->spec.disk_count = 2));
}

static void refuses_images_that_are_not_stored_naming_the_field(void **state)
{
    (void)state;
    char absent[IMAGE_NAME_BYTES] = "images/";
    sha256_hex("not uploaded", 12, absent + 7);
    char expected[API_ERROR_MESSAGE_BYTES];
    snprintf(expected, sizeof(expected), "vm.spec.kernel_image: %s not found", absent);
    EXPECT_REFUSED(fixture->spec.kernel_image = absent, API_STATUS_NOT_FOUND, expected);
    EXPECT_REFUSED(fixture->spec.initrd_image = absent, API_STATUS_NOT_FOUND, "vm.spec.initrd_image: images/");
    EXPECT_REFUSED(
        (fixture->disks[0].image = fixture->disk, fixture->disks[1].image = absent, fixture->spec.disk_count = 2),
        API_STATUS_NOT_FOUND, "vm.spec.disks[1].image: images/");
    /* INVALID_ARGUMENT does not depend on the host's state: it comes first. */
    EXPECT_INVALID((fixture->spec.kernel_image = absent, fixture->spec.memory_mib = 1),
                   "vm.spec.memory_mib: 1 is below the minimum 64");
}

static void refuses_an_id_in_use(void **state)
{
    (void)state;
    create("web");
    EXPECT_REFUSED(fixture->request.vm_id = "web", API_STATUS_ALREADY_EXISTS, "vm_id: vms/web exists already");
    /* Once deleted, a client may name a VM so again. */
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/web", &fixture->error), API_STATUS_OK);
    create("web");
}

static void generated_ids_are_never_reused(void **state)
{
    (void)state;
    assert_string_equal(create(NULL)->id, "vm-1");
    assert_string_equal(create(NULL)->id, "vm-2");
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/vm-2", &fixture->error), API_STATUS_OK);
    assert_string_equal(create(NULL)->id, "vm-3");
    /* A client's own "vm-<n>" moves the generator past it, even once that VM is gone. */
    create("vm-10");
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/vm-10", &fixture->error), API_STATUS_OK);
    assert_string_equal(create(NULL)->id, "vm-11");
    create("vm-5");
    create("vm-012");
    create("vm-9223372036854775808");
    create("vm-99999999999999999999999999");
    assert_string_equal(create(NULL)->id, "vm-12");
    create("vm-9223372036854775806");
    assert_string_equal(create(NULL)->id, "vm-9223372036854775807");
    EXPECT_REFUSED(fixture->request.vm_id = NULL, API_STATUS_RESOURCE_EXHAUSTED,
                   "vm_id: no generated ids are left; name the VM");
    create("vm-13");
}

static void refuses_a_vm_beyond_the_table(void **state)
{
    (void)state;
    fixture->spec.memory_mib = 64;
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        create(NULL);
    }
    EXPECT_REFUSED(fixture->spec.memory_mib = 64, API_STATUS_RESOURCE_EXHAUSTED,
                   "the host has 64 VMs, its maximum; delete one first");

    /* ListVms' default page is 50. */
    static struct vm_list_page page;
    struct vm_list_request list = {0};
    assert_int_equal(vm_registry_list(&fixture->registry, &list, &page, &fixture->error), API_STATUS_OK);
    assert_int_equal(page.count, PAGE_SIZE_DEFAULT);
    list.page_token = page.next_page_token;
    assert_int_equal(vm_registry_list(&fixture->registry, &list, &page, &fixture->error), API_STATUS_OK);
    assert_int_equal(page.count, VM_REGISTRY_MAX_VMS - PAGE_SIZE_DEFAULT);
    assert_string_equal(page.next_page_token, "");
    assert_string_equal(page.vms[page.count - 1]->name, "vms/vm-64");

    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/vm-7", &fixture->error), API_STATUS_OK);
    reset_request();
    assert_string_equal(create(NULL)->id, "vm-65");
}

static void refuses_memory_beyond_the_limit_of_vms_not_ended(void **state)
{
    (void)state;
    vm_registry_destroy(&fixture->registry);
    init_registry(512 * MIB);
    fixture->spec.memory_mib = 256;
    const struct vm_record *first = create(NULL);
    fixture->spec.memory_mib = 192;
    create(NULL);
    EXPECT_REFUSED(fixture->spec.memory_mib = 128, API_STATUS_RESOURCE_EXHAUSTED,
                   "vm.spec.memory_mib: 128 MiB more would exceed the host's limit for guest RAM: 448 MiB of 512 MiB "
                   "are taken by VMs that have not ended");
    reset_request();
    fixture->spec.memory_mib = 64;
    create(NULL);

    struct vm_registry_usage usage;
    vm_registry_usage(&fixture->registry, NULL, &usage);
    assert_int_equal(usage.vms_total, 3);
    assert_int_equal(usage.vms_running, 0);
    assert_int_equal(usage.memory_used_bytes, 512 * MIB);
    assert_int_equal(usage.memory_limit_bytes, 512 * MIB);
    /* A tenant's figures: its own VMs, the host's guest RAM. */
    vm_registry_usage(&fixture->registry, "tenant-a", &usage);
    assert_int_equal(usage.vms_total, 3);
    vm_registry_usage(&fixture->registry, "tenant-b", &usage);
    assert_int_equal(usage.vms_total, 0);
    assert_int_equal(usage.memory_used_bytes, 512 * MIB);

    /* Running and stopping VMs count; an ended one does not. */
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_int_equal(stop("vms/vm-1", false, 0), API_STATUS_OK);
    vm_registry_usage(&fixture->registry, NULL, &usage);
    assert_int_equal(usage.vms_running, 1);
    assert_int_equal(usage.memory_used_bytes, 512 * MIB);
    assert_int_equal(end(first, false, "guest powered off"), API_STATUS_OK);
    vm_registry_usage(&fixture->registry, NULL, &usage);
    assert_int_equal(usage.vms_running, 0);
    assert_int_equal(usage.memory_used_bytes, 256 * MIB);
    fixture->spec.memory_mib = 256;
    create(NULL);
}

static void start_runs_a_created_vm(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    fixture->clock.now_ms += 500;
    const struct vm_record *started = NULL;
    assert_int_equal(vm_registry_start(&fixture->registry, "vms/vm-1", &started, &fixture->error), API_STATUS_OK);
    assert_ptr_equal(started, vm);
    assert_int_equal(vm->state, VM_STATE_RUNNING);
    assert_int_equal(vm->start_time_unix_ms, START_TIME_MS + 500);
    assert_int_equal(fixture->backend.starts, 1);
    assert_int_equal(fixture->recorder.count, 2);
    assert_int_equal(fixture->recorder.events[1].type, VM_EVENT_MODIFIED);
    assert_int_equal(fixture->recorder.events[1].state, VM_STATE_RUNNING);

    assert_error(start("vms/vm-1"), API_STATUS_FAILED_PRECONDITION, "vms/vm-1 is RUNNING; it has been started already");
    assert_int_equal(stop("vms/vm-1", false, 0), API_STATUS_OK);
    assert_error(start("vms/vm-1"), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is STOPPING; it has been started already");
    assert_int_equal(end(vm, false, "guest powered off"), API_STATUS_OK);
    assert_error(start("vms/vm-1"), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is STOPPED; an ended VM is never started again, create a new one");
    assert_int_equal(fixture->backend.starts, 1);
}

static void a_backend_that_cannot_start_leaves_the_vm_failed(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    fixture->backend.start_failure = "uvmm not started: out of memory";
    fixture->clock.now_ms += 20;
    const struct vm_record *started = NULL;
    assert_int_equal(vm_registry_start(&fixture->registry, "vms/vm-1", &started, &fixture->error), API_STATUS_OK);
    assert_ptr_equal(started, vm);
    assert_int_equal(vm->state, VM_STATE_FAILED);
    assert_string_equal(vm->state_reason, "uvmm not started: out of memory");
    assert_int_equal(vm->end_time_unix_ms, START_TIME_MS + 20);
    /* Watchers see CREATED -> FAILED: one event. */
    assert_int_equal(fixture->recorder.count, 2);
    assert_int_equal(fixture->recorder.events[1].state, VM_STATE_FAILED);
    assert_error(start("vms/vm-1"), API_STATUS_FAILED_PRECONDITION, "vms/vm-1 is FAILED; an ended VM is never");
    assert_error(stop("vms/vm-1", true, 0), API_STATUS_FAILED_PRECONDITION, "vms/vm-1 is FAILED; it has ended already");
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/vm-1", &fixture->error), API_STATUS_OK);
}

static void a_vm_may_end_while_it_is_being_started(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    fixture->backend.end_during_start = true;
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_int_equal(vm->state, VM_STATE_STOPPED);
    assert_string_equal(vm->state_reason, "guest powered off");
    assert_int_equal(fixture->recorder.count, 2);
    assert_int_equal(fixture->recorder.events[1].state, VM_STATE_STOPPED);
}

static void stop_asks_the_backend_and_the_end_comes_later(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_int_equal(stop("vms/vm-1", false, 0), API_STATUS_OK);
    assert_int_equal(vm->state, VM_STATE_STOPPING);
    assert_int_equal(fixture->backend.stops, 1);
    assert_false(fixture->backend.last_force);
    assert_int_equal(fixture->backend.last_grace_period_ms, VM_STOP_GRACE_PERIOD_DEFAULT_MS);

    /* Again without force: under way already, nothing happens; with force: the backend is told. */
    assert_int_equal(stop("vms/vm-1", false, 5), API_STATUS_OK);
    assert_int_equal(fixture->backend.stops, 1);
    assert_int_equal(stop("vms/vm-1", true, 0), API_STATUS_OK);
    assert_int_equal(fixture->backend.stops, 2);
    assert_true(fixture->backend.last_force);
    assert_int_equal(vm->state, VM_STATE_STOPPING);

    assert_error(vm_registry_delete(&fixture->registry, "vms/vm-1", &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is STOPPING; delete it once it has stopped");
    fixture->clock.now_ms += 3000;
    assert_int_equal(end(vm, false, "guest powered off"), API_STATUS_OK);
    assert_int_equal(vm->state, VM_STATE_STOPPED);
    assert_int_equal(vm->end_time_unix_ms, START_TIME_MS + 3000);
    assert_error(stop("vms/vm-1", false, 0), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is STOPPED; it has ended already");

    /* ADDED, RUNNING, STOPPING, STOPPED. */
    assert_int_equal(fixture->recorder.count, 4);
    assert_int_equal(fixture->recorder.events[2].state, VM_STATE_STOPPING);
    assert_int_equal(fixture->recorder.events[3].state, VM_STATE_STOPPED);
}

static void stop_checks_its_request_and_the_state(void **state)
{
    (void)state;
    create(NULL);
    assert_error(stop("vms/vm-1", false, 0), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is CREATED; only a RUNNING VM can be stopped (delete it instead)");
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_error(stop("vms/vm-1", false, VM_STOP_GRACE_PERIOD_MAX_MS + 1), API_STATUS_INVALID_ARGUMENT,
                 "grace_period_ms: 600001 is above the maximum 600000");
    assert_int_equal(stop("vms/vm-1", false, VM_STOP_GRACE_PERIOD_MAX_MS), API_STATUS_OK);
    assert_int_equal(fixture->backend.last_grace_period_ms, VM_STOP_GRACE_PERIOD_MAX_MS);
    assert_error(stop("vm-1", false, 0), API_STATUS_INVALID_ARGUMENT, "name: \"vm-1\" is not vms/{vm_id}");
    assert_error(stop("vms/vm-9", false, 0), API_STATUS_NOT_FOUND, "name: vms/vm-9 not found");
}

static void a_stop_may_end_the_vm_at_once(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    fixture->backend.end_during_stop = true;
    const struct vm_record *stopped = NULL;
    struct vm_stop_request request = {.name = "vms/vm-1", .force = true};
    assert_int_equal(vm_registry_stop(&fixture->registry, &request, &stopped, &fixture->error), API_STATUS_OK);
    assert_ptr_equal(stopped, vm);
    assert_int_equal(vm->state, VM_STATE_STOPPED);
    assert_string_equal(vm->state_reason, "stopped through the API");
    assert_int_equal(fixture->recorder.count, 4);
    assert_int_equal(fixture->recorder.events[2].state, VM_STATE_STOPPING);
    assert_int_equal(fixture->recorder.events[3].state, VM_STATE_STOPPED);
}

static void a_backend_that_cannot_stop_leaves_the_vm_failed(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    fixture->backend.stop_failure = "uvmm did not answer";
    assert_int_equal(stop("vms/vm-1", false, 0), API_STATUS_OK);
    assert_int_equal(vm->state, VM_STATE_FAILED);
    assert_string_equal(vm->state_reason, "uvmm did not answer");
    assert_int_not_equal(vm->end_time_unix_ms, 0);
}

static void the_end_report_is_checked(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    assert_error(end(vm, false, "guest powered off"), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is CREATED; only a RUNNING or STOPPING VM can end");
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_error(end(vm, false, NULL), API_STATUS_INVALID_ARGUMENT, "reason: required");
    assert_error(end(vm, false, ""), API_STATUS_INVALID_ARGUMENT, "reason: required");
    struct vm_record stranger = *vm;
    assert_error(vm_registry_vm_ended(&fixture->registry, &stranger, false, "x", &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "vm: not a VM of this registry");
    /* A long reason is cut, not refused. */
    assert_int_equal(end(vm, true, repeat('r', 300)), API_STATUS_OK);
    assert_int_equal(vm->state, VM_STATE_FAILED);
    assert_int_equal(strlen(vm->state_reason), VM_STATE_REASON_BYTES - 1);
    assert_error(end(vm, true, "again"), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is FAILED; only a RUNNING or STOPPING VM can end");
}

static void delete_refuses_a_vm_that_runs(void **state)
{
    (void)state;
    const struct vm_record *vm = create(NULL);
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_error(vm_registry_delete(&fixture->registry, "vms/vm-1", &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 "vms/vm-1 is RUNNING; stop it before deleting it");
    assert_int_equal(end(vm, true, "uvmm stopped: page fault at 0x0"), API_STATUS_OK);
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/vm-1", &fixture->error), API_STATUS_OK);
    /* DELETED carries the last state. */
    struct recorded_event *last = &fixture->recorder.events[fixture->recorder.count - 1];
    assert_int_equal(last->type, VM_EVENT_DELETED);
    assert_string_equal(last->name, "vms/vm-1");
    assert_int_equal(last->state, VM_STATE_FAILED);
    const struct vm_record *gone = NULL;
    assert_error(vm_registry_get(&fixture->registry, "vms/vm-1", &gone, &fixture->error), API_STATUS_NOT_FOUND,
                 "name: vms/vm-1 not found");
    assert_int_equal(fixture->registry.vm_count, 0);
}

static void names_must_be_vms_slash_an_id(void **state)
{
    (void)state;
    create(NULL);
    const struct vm_record *vm = NULL;
    const char *bad[] = {NULL, "", "vm-1", "vms/", "vms/Vm-1", "vms/vm-1/x", "images/vm-1", "vms//vm-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_error(vm_registry_get(&fixture->registry, bad[i], &vm, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                     "name: ");
        assert_error(start(bad[i]), API_STATUS_INVALID_ARGUMENT, "name: ");
        assert_error(vm_registry_delete(&fixture->registry, bad[i], &fixture->error), API_STATUS_INVALID_ARGUMENT,
                     "name: ");
    }
    assert_string_equal(fixture->error.message,
                        "name: \"vms//vm-1\" is not vms/{vm_id} (1 to 32 bytes of [a-z0-9-] starting with a letter)");
    assert_error(vm_registry_get(&fixture->registry, "vms/vm-2", &vm, &fixture->error), API_STATUS_NOT_FOUND,
                 "name: vms/vm-2 not found");
    assert_error(start("vms/vm-2"), API_STATUS_NOT_FOUND, "name: vms/vm-2 not found");
    assert_error(vm_registry_delete(&fixture->registry, "vms/vm-2", &fixture->error), API_STATUS_NOT_FOUND,
                 "name: vms/vm-2 not found");
}

static void create_labelled(const char *tenant, const char *role, const char *zone)
{
    reset_request();
    fixture->vm.tenant = tenant;
    if (role) {
        fixture->labels[fixture->vm.label_count++] = (struct vm_label_input){"role", role};
    }
    if (zone) {
        fixture->labels[fixture->vm.label_count++] = (struct vm_label_input){"zone", zone};
    }
    create(NULL);
}

static void assert_page(const struct vm_list_page *page, const char *names)
{
    char listed[256] = "";
    for (size_t i = 0; i < page->count; i++) {
        strcat(listed, i ? " " : "");
        strcat(listed, page->vms[i]->id);
    }
    assert_string_equal(listed, names);
}

static void lists_with_filters_a_page_at_a_time(void **state)
{
    (void)state;
    create_labelled("tenant-a", "web", NULL);  /* vm-1 */
    create_labelled("tenant-b", "web", NULL);  /* vm-2 */
    create_labelled("tenant-a", "db", NULL);   /* vm-3 */
    create_labelled("tenant-a", "web", "x");   /* vm-4 */
    create_labelled("tenant-a", "web", "y");   /* vm-5 */
    create_labelled("tenant-a", NULL, NULL);   /* vm-6 */
    create_labelled("tenant-a", "web", NULL);  /* vm-7 */
    create_labelled("tenant-a", "web", "x=y"); /* vm-8 */

    static struct vm_list_page page;
    const char *web[] = {"role=web"};
    struct vm_list_request request = {
        .tenant = "tenant-a", .label_selector = web, .label_selector_count = 1, .page_size = 2};
    assert_int_equal(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_OK);
    assert_page(&page, "vm-1 vm-4");
    char token[PAGE_TOKEN_BYTES];
    memcpy(token, page.next_page_token, sizeof(token));

    /* Deleting between pages neither skips nor repeats a VM; the page size may change. */
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/vm-4", &fixture->error), API_STATUS_OK);
    request.page_token = token;
    request.page_size = 3;
    assert_int_equal(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_OK);
    assert_page(&page, "vm-5 vm-7 vm-8");
    assert_string_equal(page.next_page_token, "");

    /* The same token with other filters, or forged. */
    request.tenant = "tenant-b";
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "page_token: was returned for other filters");
    request.tenant = "tenant-a";
    const char *web_and_zone[] = {"role=web", "zone=x"};
    request.label_selector = web_and_zone;
    request.label_selector_count = 2;
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "page_token: was returned for other filters");
    request.label_selector = web;
    request.label_selector_count = 1;
    char forged[PAGE_TOKEN_BYTES];
    memcpy(forged, token, sizeof(forged));
    forged[0] = forged[0] == '1' ? '2' : '1';
    request.page_token = forged;
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "page_token: not a next_page_token this list returned");
    request.page_token = "garbage";
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "page_token: not a next_page_token this list returned");

    /* Several selectors: all must match; a value may hold '='. */
    struct vm_list_request zone_x = {.label_selector = web_and_zone, .label_selector_count = 2};
    assert_int_equal(vm_registry_list(&fixture->registry, &zone_x, &page, &fixture->error), API_STATUS_OK);
    assert_page(&page, "");
    const char *zone_x_y[] = {"zone=x=y"};
    zone_x.label_selector = zone_x_y;
    zone_x.label_selector_count = 1;
    assert_int_equal(vm_registry_list(&fixture->registry, &zone_x, &page, &fixture->error), API_STATUS_OK);
    assert_page(&page, "vm-8");
    struct vm_list_request tenant_b = {.tenant = "tenant-b"};
    assert_int_equal(vm_registry_list(&fixture->registry, &tenant_b, &page, &fixture->error), API_STATUS_OK);
    assert_page(&page, "vm-2");
    struct vm_list_request everything = {0};
    assert_int_equal(vm_registry_list(&fixture->registry, &everything, &page, &fixture->error), API_STATUS_OK);
    assert_page(&page, "vm-1 vm-2 vm-3 vm-5 vm-6 vm-7 vm-8");
}

static void list_refuses_bad_filters_and_sizes(void **state)
{
    (void)state;
    static struct vm_list_page page;
    struct vm_list_request request = {.tenant = "Tenant-A"};
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "tenant: \"Tenant-A\" is not 1 to 63 bytes");
    request.tenant = NULL;
    request.page_size = PAGE_SIZE_MAX + 1;
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "page_size: 501 is above the maximum 500");
    request.page_size = PAGE_SIZE_MAX;
    assert_int_equal(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_OK);
    const char *selectors[] = {"role=web", "role"};
    request.label_selector = selectors;
    request.label_selector_count = 2;
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "label_selector[1]: \"role\" is not key=value");
    selectors[1] = "=web";
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "label_selector[1]: \"=web\": the key is not 1 to 63 bytes of [a-z0-9_./-]");
    selectors[1] = "Role=web";
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "label_selector[1]: \"Role=web\": the key");
    selectors[1] = "role=\x7f";
    assert_error(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "label_selector[1]: \"role=\\x7f\": the value is not at most 63 bytes of printable ASCII");
    selectors[1] = "role=";
    assert_int_equal(vm_registry_list(&fixture->registry, &request, &page, &fixture->error), API_STATUS_OK);
}

/* Create, start, stop, end and delete two VMs: each event once, to every observer, sequences without a gap. */
static void observers_see_every_event_in_order(void **state)
{
    (void)state;
    struct recorder *second = calloc(1, sizeof(*second));
    recorder_init(second);
    assert_int_equal(vm_registry_add_observer(&fixture->registry, &second->observer, &fixture->error), API_STATUS_OK);
    assert_error(vm_registry_add_observer(&fixture->registry, &second->observer, &fixture->error),
                 API_STATUS_FAILED_PRECONDITION, "vm registry: the observer is added already");

    const struct vm_record *a = create("a");
    create("b");
    assert_int_equal(start("vms/a"), API_STATUS_OK);
    assert_int_equal(stop("vms/a", false, 0), API_STATUS_OK);
    assert_int_equal(end(a, false, "guest powered off"), API_STATUS_OK);
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/b", &fixture->error), API_STATUS_OK);
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/a", &fixture->error), API_STATUS_OK);

    static const struct {
        enum vm_event_type type;
        const char *name;
        enum vm_state state;
    } expected[] = {
        {VM_EVENT_ADDED, "vms/a", VM_STATE_CREATED},    {VM_EVENT_ADDED, "vms/b", VM_STATE_CREATED},
        {VM_EVENT_MODIFIED, "vms/a", VM_STATE_RUNNING}, {VM_EVENT_MODIFIED, "vms/a", VM_STATE_STOPPING},
        {VM_EVENT_MODIFIED, "vms/a", VM_STATE_STOPPED}, {VM_EVENT_DELETED, "vms/b", VM_STATE_CREATED},
        {VM_EVENT_DELETED, "vms/a", VM_STATE_STOPPED},
    };
    size_t count = sizeof(expected) / sizeof(expected[0]);
    const struct recorder *recorders[] = {&fixture->recorder, second};
    for (size_t r = 0; r < 2; r++) {
        assert_int_equal(recorders[r]->count, count);
        for (size_t i = 0; i < count; i++) {
            assert_int_equal(recorders[r]->events[i].type, expected[i].type);
            assert_string_equal(recorders[r]->events[i].name, expected[i].name);
            assert_int_equal(recorders[r]->events[i].state, expected[i].state);
            assert_int_equal(recorders[r]->events[i].sequence, i + 1);
        }
    }
    assert_int_equal(vm_registry_last_sequence(&fixture->registry), count);
    assert_true(vm_registry_remove_observer(&fixture->registry, &second->observer));
    assert_false(vm_registry_remove_observer(&fixture->registry, &second->observer));
    create(NULL);
    assert_int_equal(second->count, count);
    assert_int_equal(fixture->recorder.count, count + 1);
    free(second);
}

/* Observers that change the list from their callbacks. */
struct meddler {
    struct vm_observer observer;
    size_t calls;
    struct vm_observer *remove; /* removed on the first call (may be itself) */
    struct vm_observer *add;    /* added on the first call */
    bool try_change;            /* tries to create a VM */
    enum api_status change_status;
};

static void meddle(void *context, const struct vm_event *event)
{
    struct meddler *meddler = context;
    (void)event;
    struct api_error error;
    if (meddler->calls++ > 0) {
        return;
    }
    if (meddler->remove) {
        assert_true(vm_registry_remove_observer(&fixture->registry, meddler->remove));
    }
    if (meddler->add) {
        assert_int_equal(vm_registry_add_observer(&fixture->registry, meddler->add, &error), API_STATUS_OK);
    }
    if (meddler->try_change) {
        const struct vm_record *vm = NULL;
        meddler->change_status = vm_registry_create(&fixture->registry, &fixture->request, &vm, &error);
    }
}

static void meddler_init(struct meddler *meddler)
{
    memset(meddler, 0, sizeof(*meddler));
    meddler->observer.on_event = meddle;
    meddler->observer.context = meddler;
}

static void observers_may_come_and_go_from_callbacks(void **state)
{
    (void)state;
    static struct meddler self_remover, next_remover, removed, adder, added;
    meddler_init(&self_remover);
    meddler_init(&next_remover);
    meddler_init(&removed);
    meddler_init(&adder);
    meddler_init(&added);
    self_remover.remove = &self_remover.observer;
    next_remover.remove = &removed.observer;
    adder.add = &added.observer;
    /* Newest first: adder, next_remover, removed, self_remover, then the fixture's recorder. */
    struct vm_observer *order[] = {&self_remover.observer, &removed.observer, &next_remover.observer, &adder.observer};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(vm_registry_add_observer(&fixture->registry, order[i], &fixture->error), API_STATUS_OK);
    }
    create(NULL);
    assert_int_equal(adder.calls, 1);
    assert_int_equal(added.calls, 0); /* added during the event: from the next one on */
    assert_int_equal(next_remover.calls, 1);
    assert_int_equal(removed.calls, 0); /* removed before its turn came */
    assert_int_equal(self_remover.calls, 1);
    assert_int_equal(fixture->recorder.count, 1);
    create(NULL);
    assert_int_equal(adder.calls, 2);
    assert_int_equal(added.calls, 1);
    assert_int_equal(next_remover.calls, 2);
    assert_int_equal(removed.calls, 0);
    assert_int_equal(self_remover.calls, 1);
    assert_int_equal(fixture->recorder.count, 2);
    assert_true(vm_registry_remove_observer(&fixture->registry, &adder.observer));
    assert_true(vm_registry_remove_observer(&fixture->registry, &added.observer));
    assert_true(vm_registry_remove_observer(&fixture->registry, &next_remover.observer));
}

static void vms_cannot_change_from_callbacks_or_the_backend(void **state)
{
    (void)state;
    static struct meddler changer;
    meddler_init(&changer);
    changer.try_change = true;
    assert_int_equal(vm_registry_add_observer(&fixture->registry, &changer.observer, &fixture->error), API_STATUS_OK);
    create(NULL);
    assert_int_equal(changer.change_status, API_STATUS_INTERNAL);
    assert_int_equal(fixture->registry.vm_count, 1);
    assert_true(vm_registry_remove_observer(&fixture->registry, &changer.observer));

    fixture->backend.change_during_start = true;
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_int_equal(fixture->backend.change_status, API_STATUS_INTERNAL);
    assert_int_equal(fixture->registry.vms[0].state, VM_STATE_RUNNING);
}

static void replay_adds_the_existing_vms_at_the_current_sequence(void **state)
{
    (void)state;
    create("a");
    create("b");
    create("c");
    assert_int_equal(vm_registry_delete(&fixture->registry, "vms/b", &fixture->error), API_STATUS_OK);
    struct recorder *watcher = calloc(1, sizeof(*watcher));
    recorder_init(watcher);
    vm_registry_replay_existing(&fixture->registry, &watcher->observer);
    assert_int_equal(watcher->count, 2);
    assert_string_equal(watcher->events[0].name, "vms/a");
    assert_string_equal(watcher->events[1].name, "vms/c");
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(watcher->events[i].type, VM_EVENT_ADDED);
        assert_int_equal(watcher->events[i].sequence, 4);
    }
    assert_int_equal(vm_registry_add_observer(&fixture->registry, &watcher->observer, &fixture->error), API_STATUS_OK);
    create("d");
    assert_int_equal(watcher->events[2].sequence, 5);
    /* The others did not see the replay. */
    assert_int_equal(fixture->recorder.count, 5);
    assert_true(vm_registry_remove_observer(&fixture->registry, &watcher->observer));
    free(watcher);
}

/* The byte the console tests write at offset. */
static uint8_t console_byte(uint64_t offset)
{
    return (uint8_t)(offset * 7 + (offset >> 9));
}

static void write_console(struct vm_record *vm, size_t length)
{
    static uint8_t bytes[128 * 1024];
    assert_true(length <= sizeof(bytes));
    for (size_t i = 0; i < length; i++) {
        bytes[i] = console_byte(vm->console_total_bytes + i);
    }
    assert_int_equal(vm_registry_console_output(&fixture->registry, vm, bytes, length, &fixture->error), API_STATUS_OK);
}

/* Reads the whole history in pieces of piece bytes; checks every byte and that it runs from start to the end. */
static void assert_history(const struct vm_record *vm, uint64_t start, size_t piece)
{
    static uint8_t bytes[VM_CONSOLE_HISTORY_BYTES];
    uint64_t offset = 0;
    uint64_t read_offset = 0;
    size_t count = vm_console_read(vm, offset, bytes, piece, &read_offset);
    assert_int_equal(read_offset, start);
    while (count > 0) {
        for (size_t i = 0; i < count; i++) {
            assert_int_equal(bytes[i], console_byte(read_offset + i));
        }
        offset = read_offset + count;
        count = vm_console_read(vm, offset, bytes, piece, &read_offset);
        assert_int_equal(read_offset, offset);
    }
    assert_int_equal(offset, vm->console_total_bytes);
}

static void console_history_keeps_the_last_64_kib_with_offsets(void **state)
{
    (void)state;
    struct vm_record *vm = record_of(create(NULL));
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    assert_int_equal(vm_console_history_start(vm), 0);
    write_console(vm, 6);
    write_console(vm, 5);
    assert_history(vm, 0, 4);

    /* 90000 bytes in all: the first 24464 are cut. */
    write_console(vm, 30000 - 11);
    write_console(vm, 30000);
    write_console(vm, 30000);
    assert_int_equal(vm->console_total_bytes, 90000);
    assert_int_equal(vm_console_history_start(vm), 90000 - VM_CONSOLE_HISTORY_BYTES);
    assert_history(vm, 90000 - VM_CONSOLE_HISTORY_BYTES, 1000);
    assert_history(vm, 90000 - VM_CONSOLE_HISTORY_BYTES, VM_CONSOLE_HISTORY_BYTES);

    /* One write longer than the history keeps its own end. */
    write_console(vm, 100000);
    assert_int_equal(vm->console_total_bytes, 190000);
    assert_history(vm, 190000 - VM_CONSOLE_HISTORY_BYTES, 777);

    /* Reading from the end, or beyond it, gives nothing. */
    uint8_t byte;
    uint64_t read_offset;
    assert_int_equal(vm_console_read(vm, 190000, &byte, 1, &read_offset), 0);
    assert_int_equal(read_offset, 190000);
    assert_int_equal(vm_console_read(vm, 500000, &byte, 1, &read_offset), 0);
    assert_int_equal(read_offset, 190000);

    /* Observers got every write whole, at consecutive offsets. */
    assert_int_equal(fixture->recorder.console_writes, 6);
    assert_int_equal(fixture->recorder.console_bytes, 190000);
    assert_false(fixture->recorder.console_gap);
    assert_int_equal(vm_registry_console_output(&fixture->registry, vm, NULL, 0, &fixture->error), API_STATUS_OK);
    assert_int_equal(fixture->recorder.console_writes, 6);

    struct vm_record stranger = *vm;
    assert_error(vm_registry_console_output(&fixture->registry, &stranger, &byte, 1, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "vm: not a VM of this registry");
}

static void disk_sha256s_are_kept_per_disk(void **state)
{
    (void)state;
    fixture->disks[0].image = fixture->disk;
    fixture->disks[1].image = fixture->disk;
    fixture->spec.disk_count = 2;
    struct vm_record *vm = record_of(create(NULL));
    assert_int_equal(start("vms/vm-1"), API_STATUS_OK);
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("final", 5, sha256);
    assert_int_equal(vm_registry_disk_sha256(&fixture->registry, vm, 1, sha256, &fixture->error), API_STATUS_OK);
    assert_string_equal(vm->disk_sha256[0], "");
    assert_string_equal(vm->disk_sha256[1], sha256);
    assert_error(vm_registry_disk_sha256(&fixture->registry, vm, 2, sha256, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "disk_index: 2, but vms/vm-1 has 2 disks");
    sha256[0] = 'F';
    assert_error(vm_registry_disk_sha256(&fixture->registry, vm, 0, sha256, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "sha256: \"F");
    assert_error(vm_registry_disk_sha256(&fixture->registry, vm, 0, NULL, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "sha256: \"\" is not 64 lowercase hex digits");
    assert_string_equal(vm->disk_sha256[0], "");
}

static void refuses_a_configuration_without_backend_clock_or_images(void **state)
{
    (void)state;
    struct vm_registry *registry = calloc(1, sizeof(*registry));
    struct vm_registry_config config = fixture->registry.config;
    config.images = NULL;
    assert_int_equal(vm_registry_init(registry, &config, &fixture->error), API_STATUS_INVALID_ARGUMENT);
    config = fixture->registry.config;
    config.backend.stop = NULL;
    assert_int_equal(vm_registry_init(registry, &config, &fixture->error), API_STATUS_INVALID_ARGUMENT);
    free(registry);
    assert_string_equal(vm_state_name(VM_STATE_STOPPING), "STOPPING");
    assert_string_equal(vm_state_name((enum vm_state)42), "VM_STATE_UNSPECIFIED");
    assert_string_equal(api_status_name(API_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(api_status_name((enum api_status)17), "UNKNOWN_STATUS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(creates_a_vm_in_state_created, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_every_invalid_field_naming_it, set_up, tear_down),
        cmocka_unit_test_setup_teardown(accepts_every_field_at_its_limits, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_images_that_are_not_stored_naming_the_field, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_an_id_in_use, set_up, tear_down),
        cmocka_unit_test_setup_teardown(generated_ids_are_never_reused, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_a_vm_beyond_the_table, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_memory_beyond_the_limit_of_vms_not_ended, set_up, tear_down),
        cmocka_unit_test_setup_teardown(start_runs_a_created_vm, set_up, tear_down),
        cmocka_unit_test_setup_teardown(a_backend_that_cannot_start_leaves_the_vm_failed, set_up, tear_down),
        cmocka_unit_test_setup_teardown(a_vm_may_end_while_it_is_being_started, set_up, tear_down),
        cmocka_unit_test_setup_teardown(stop_asks_the_backend_and_the_end_comes_later, set_up, tear_down),
        cmocka_unit_test_setup_teardown(stop_checks_its_request_and_the_state, set_up, tear_down),
        cmocka_unit_test_setup_teardown(a_stop_may_end_the_vm_at_once, set_up, tear_down),
        cmocka_unit_test_setup_teardown(a_backend_that_cannot_stop_leaves_the_vm_failed, set_up, tear_down),
        cmocka_unit_test_setup_teardown(the_end_report_is_checked, set_up, tear_down),
        cmocka_unit_test_setup_teardown(delete_refuses_a_vm_that_runs, set_up, tear_down),
        cmocka_unit_test_setup_teardown(names_must_be_vms_slash_an_id, set_up, tear_down),
        cmocka_unit_test_setup_teardown(lists_with_filters_a_page_at_a_time, set_up, tear_down),
        cmocka_unit_test_setup_teardown(list_refuses_bad_filters_and_sizes, set_up, tear_down),
        cmocka_unit_test_setup_teardown(observers_see_every_event_in_order, set_up, tear_down),
        cmocka_unit_test_setup_teardown(observers_may_come_and_go_from_callbacks, set_up, tear_down),
        cmocka_unit_test_setup_teardown(vms_cannot_change_from_callbacks_or_the_backend, set_up, tear_down),
        cmocka_unit_test_setup_teardown(replay_adds_the_existing_vms_at_the_current_sequence, set_up, tear_down),
        cmocka_unit_test_setup_teardown(console_history_keeps_the_last_64_kib_with_offsets, set_up, tear_down),
        cmocka_unit_test_setup_teardown(disk_sha256s_are_kept_per_disk, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_a_configuration_without_backend_clock_or_images, set_up, tear_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
