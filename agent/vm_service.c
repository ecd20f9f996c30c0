/* See vm_service.h. */
#include "vm_service.h"

#include "agent_api.h"
#include "api_call.h"
#include "kapsel/v1/vm_service.pb-c.h"
#include "vm_registry.h"

#include <stdlib.h>
#include <string.h>

#define METHOD_PREFIX "/kapsel.v1.VmService/"

/* The model's enums are the .proto's, number for number, so they convert by cast. */
_Static_assert((int)VM_STATE_CREATED == (int)KAPSEL__V1__VM_STATE__CREATED, "vm_state is VmState");
_Static_assert((int)VM_STATE_RUNNING == (int)KAPSEL__V1__VM_STATE__RUNNING, "vm_state is VmState");
_Static_assert((int)VM_STATE_STOPPING == (int)KAPSEL__V1__VM_STATE__STOPPING, "vm_state is VmState");
_Static_assert((int)VM_STATE_STOPPED == (int)KAPSEL__V1__VM_STATE__STOPPED, "vm_state is VmState");
_Static_assert((int)VM_STATE_FAILED == (int)KAPSEL__V1__VM_STATE__FAILED, "vm_state is VmState");
_Static_assert((int)VM_EVENT_ADDED == (int)KAPSEL__V1__VM_EVENT__TYPE__ADDED, "vm_event_type is VmEvent.Type");
_Static_assert((int)VM_EVENT_MODIFIED == (int)KAPSEL__V1__VM_EVENT__TYPE__MODIFIED, "vm_event_type is VmEvent.Type");
_Static_assert((int)VM_EVENT_DELETED == (int)KAPSEL__V1__VM_EVENT__TYPE__DELETED, "vm_event_type is VmEvent.Type");

static struct agent_api *api_of(const struct grpc_call *call)
{
    return grpc_call_method(call)->context;
}

static enum api_status find_visible_vm(struct grpc_call *call, const char *name, const struct vm_record **vm,
                                       struct api_error *error)
{
    return api_call_find_vm(call, api_of(call)->config.registry, name, vm, error);
}

/* For a tenant's token: NOT_FOUND unless name is one of its tenant's VMs. An operator's call goes straight to the
 * registry, whose checks come in their own order (a bad argument before an unknown name). */
static enum api_status check_visible(struct grpc_call *call, const char *name, struct api_error *error)
{
    const struct vm_record *vm;
    return api_call_tenant(call) == NULL ? API_STATUS_OK : find_visible_vm(call, name, &vm, error);
}

/* The tenant a ListVms or WatchVms filter selects: a tenant's token sees its own VMs, and asks for no others. */
static enum api_status filter_tenant(struct grpc_call *call, const char *requested, const char **tenant,
                                     struct api_error *error)
{
    const char *own = api_call_tenant(call);
    *tenant = requested;
    if (own != NULL && (requested == NULL || requested[0] == '\0')) {
        *tenant = own;
        return API_STATUS_OK;
    }
    return api_call_check_tenant(call, "tenant", requested, error);
}

static bool has_ended(const struct vm_record *vm)
{
    return vm->state == VM_STATE_STOPPED || vm->state == VM_STATE_FAILED;
}

/*
 * A Vm message over a record, with the storage its pointers need. Strings point into the record (protobuf-c's
 * fields are not const, but packing only reads them), so the message is good for as long as the record does not
 * change: it is packed right away.
 */
struct vm_message {
    Kapsel__V1__Vm vm;
    Kapsel__V1__Vm__LabelsEntry labels[VM_LABELS_MAX];
    Kapsel__V1__Vm__LabelsEntry *label_pointers[VM_LABELS_MAX];
    Kapsel__V1__VmSpec spec;
    Kapsel__V1__Disk disks[VM_DISKS_MAX];
    Kapsel__V1__Disk *disk_pointers[VM_DISKS_MAX];
    char *disk_sha256[VM_DISKS_MAX];
};

static void vm_message_init(struct vm_message *message, const struct vm_record *vm)
{
    kapsel__v1__vm__init(&message->vm);
    message->vm.name = (char *)vm->name;
    message->vm.tenant = (char *)vm->tenant;
    for (size_t i = 0; i < vm->label_count; i++) {
        kapsel__v1__vm__labels_entry__init(&message->labels[i]);
        message->labels[i].key = (char *)vm->labels[i].key;
        message->labels[i].value = (char *)vm->labels[i].value;
        message->label_pointers[i] = &message->labels[i];
    }
    message->vm.n_labels = vm->label_count;
    message->vm.labels = message->label_pointers;

    kapsel__v1__vm_spec__init(&message->spec);
    message->spec.kernel_image = (char *)vm->spec.kernel_image;
    message->spec.initrd_image = (char *)vm->spec.initrd_image;
    message->spec.command_line = (char *)vm->spec.command_line;
    message->spec.memory_mib = vm->spec.memory_mib;
    message->spec.vcpus = vm->spec.vcpus;
    for (size_t i = 0; i < vm->spec.disk_count; i++) {
        kapsel__v1__disk__init(&message->disks[i]);
        message->disks[i].image = (char *)vm->spec.disks[i].image;
        message->disks[i].read_only = vm->spec.disks[i].read_only;
        message->disk_pointers[i] = &message->disks[i];
    }
    message->spec.n_disks = vm->spec.disk_count;
    message->spec.disks = message->disk_pointers;
    message->spec.network_id = vm->spec.network_id;
    message->vm.spec = &message->spec;

    message->vm.state = (Kapsel__V1__VmState)vm->state;
    message->vm.state_reason = (char *)vm->state_reason;
    message->vm.create_time_unix_ms = vm->create_time_unix_ms;
    message->vm.start_time_unix_ms = vm->start_time_unix_ms;
    message->vm.end_time_unix_ms = vm->end_time_unix_ms;
    /* "Filled when the VM has ended", one per disk in spec order: a disk the backend did not report stays "" so
     * that the others keep their places. */
    if (has_ended(vm)) {
        for (size_t i = 0; i < vm->spec.disk_count; i++) {
            message->disk_sha256[i] = (char *)vm->disk_sha256[i];
        }
        message->vm.n_disk_sha256 = vm->spec.disk_count;
        message->vm.disk_sha256 = message->disk_sha256;
    }
}

static void reply_vm(struct grpc_call *call, const struct vm_record *vm)
{
    struct vm_message message;
    vm_message_init(&message, vm);
    api_call_reply(call, &message.vm.base);
}

/* CreateVmRequest in the registry's structs; the arrays are the only memory of its own. */
struct create_input {
    struct vm_create_request request;
    struct vm_input vm;
    struct vm_spec_input spec;
    struct vm_label_input *labels;
    struct vm_disk_input *disks;
};

/* Fills input from message; strings point into message. RESOURCE_EXHAUSTED if the arrays find no memory. */
static enum api_status create_input_init(struct create_input *input, const Kapsel__V1__CreateVmRequest *message,
                                         struct api_error *error)
{
    memset(input, 0, sizeof(*input));
    input->request.vm_id = message->vm_id;
    const Kapsel__V1__Vm *vm = message->vm;
    if (!vm) {
        return API_STATUS_OK; /* request.vm NULL: the registry names the missing field */
    }
    input->request.vm = &input->vm;
    input->vm.tenant = vm->tenant;
    /* Every entry is passed on, beyond the limit too: the registry counts them and says how many were too many. */
    if (vm->n_labels > 0) {
        input->labels = calloc(vm->n_labels, sizeof(*input->labels));
        if (!input->labels) {
            return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "vm.labels: no memory for %zu labels",
                                 vm->n_labels);
        }
        for (size_t i = 0; i < vm->n_labels; i++) {
            input->labels[i].key = vm->labels[i]->key;
            input->labels[i].value = vm->labels[i]->value;
        }
    }
    input->vm.labels = input->labels;
    input->vm.label_count = vm->n_labels;
    input->vm.name = vm->name;
    input->vm.state = (uint32_t)vm->state;
    input->vm.state_reason = vm->state_reason;
    input->vm.create_time_unix_ms = vm->create_time_unix_ms;
    input->vm.start_time_unix_ms = vm->start_time_unix_ms;
    input->vm.end_time_unix_ms = vm->end_time_unix_ms;
    input->vm.disk_sha256_count = vm->n_disk_sha256;
    const Kapsel__V1__VmSpec *spec = vm->spec;
    if (!spec) {
        return API_STATUS_OK; /* vm.spec NULL: the registry names the missing field */
    }
    input->vm.spec = &input->spec;
    input->spec.kernel_image = spec->kernel_image;
    input->spec.initrd_image = spec->initrd_image;
    input->spec.command_line = spec->command_line;
    input->spec.memory_mib = spec->memory_mib;
    input->spec.vcpus = spec->vcpus;
    input->spec.network_id = spec->network_id;
    if (spec->n_disks > 0) {
        input->disks = calloc(spec->n_disks, sizeof(*input->disks));
        if (!input->disks) {
            return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "vm.spec.disks: no memory for %zu disks",
                                 spec->n_disks);
        }
        for (size_t i = 0; i < spec->n_disks; i++) {
            input->disks[i].image = spec->disks[i]->image;
            input->disks[i].read_only = spec->disks[i]->read_only;
        }
    }
    input->spec.disks = input->disks;
    input->spec.disk_count = spec->n_disks;
    return API_STATUS_OK;
}

static void create_input_release(struct create_input *input)
{
    free(input->labels);
    free(input->disks);
}

static void create_vm(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__create_vm_request__descriptor, bytes, length)) {
        return;
    }
    struct create_input input;
    struct api_error error;
    const struct vm_record *vm = NULL;
    enum api_status status = create_input_init(&input, (const Kapsel__V1__CreateVmRequest *)request.message, &error);
    if (status == API_STATUS_OK) {
        status = api_call_check_tenant(call, "vm.tenant", input.vm.tenant, &error);
    }
    if (status == API_STATUS_OK) {
        status = vm_registry_create(api_of(call)->config.registry, &input.request, &vm, &error);
    }
    create_input_release(&input);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_vm(call, vm);
}

static void start_vm(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__start_vm_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__StartVmRequest *message = (const Kapsel__V1__StartVmRequest *)request.message;
    struct api_error error;
    const struct vm_record *vm = NULL;
    enum api_status status = check_visible(call, message->name, &error);
    if (status == API_STATUS_OK) {
        status = vm_registry_start(api_of(call)->config.registry, message->name, &vm, &error);
    }
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_vm(call, vm);
}

static void stop_vm(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__stop_vm_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__StopVmRequest *message = (const Kapsel__V1__StopVmRequest *)request.message;
    struct vm_stop_request stop = {
        .name = message->name,
        .force = message->force,
        .grace_period_ms = message->grace_period_ms,
    };
    struct api_error error;
    const struct vm_record *vm = NULL;
    enum api_status status = check_visible(call, message->name, &error);
    if (status == API_STATUS_OK) {
        status = vm_registry_stop(api_of(call)->config.registry, &stop, &vm, &error);
    }
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_vm(call, vm);
}

static void delete_vm(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__delete_vm_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__DeleteVmRequest *message = (const Kapsel__V1__DeleteVmRequest *)request.message;
    struct api_error error;
    enum api_status status = check_visible(call, message->name, &error);
    if (status == API_STATUS_OK) {
        status = vm_registry_delete(api_of(call)->config.registry, message->name, &error);
    }
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    Kapsel__V1__DeleteVmResponse response = KAPSEL__V1__DELETE_VM_RESPONSE__INIT;
    api_call_reply(call, &response.base);
}

static void get_vm(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__get_vm_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__GetVmRequest *message = (const Kapsel__V1__GetVmRequest *)request.message;
    struct api_error error;
    const struct vm_record *vm = NULL;
    enum api_status status = find_visible_vm(call, message->name, &vm, &error);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_vm(call, vm);
}

static void reply_vm_page(struct grpc_call *call, const struct vm_list_page *page)
{
    struct vm_message *messages = NULL;
    Kapsel__V1__Vm **pointers = NULL;
    if (page->count > 0) {
        messages = malloc(page->count * sizeof(*messages));
        pointers = malloc(page->count * sizeof(*pointers));
        if (!messages || !pointers) {
            free(messages);
            free(pointers);
            api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "ListVms: the host has no memory for the response");
            return;
        }
    }
    for (size_t i = 0; i < page->count; i++) {
        vm_message_init(&messages[i], page->vms[i]);
        pointers[i] = &messages[i].vm;
    }
    Kapsel__V1__ListVmsResponse response = KAPSEL__V1__LIST_VMS_RESPONSE__INIT;
    response.n_vms = page->count;
    response.vms = pointers;
    response.next_page_token = (char *)page->next_page_token;
    api_call_reply(call, &response.base);
    free(messages);
    free(pointers);
}

static void list_vms(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__list_vms_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__ListVmsRequest *message = (const Kapsel__V1__ListVmsRequest *)request.message;
    struct api_error error;
    const char *tenant;
    enum api_status status = filter_tenant(call, message->tenant, &tenant, &error);
    if (status != API_STATUS_OK) {
        api_request_free(&request);
        api_call_fail(call, &error);
        return;
    }
    struct vm_list_request list = {
        .tenant = tenant,
        .label_selector = (const char *const *)message->label_selector,
        .label_selector_count = message->n_label_selector,
        .page_size = message->page_size,
        .page_token = message->page_token,
    };
    struct vm_list_page page;
    status = vm_registry_list(api_of(call)->config.registry, &list, &page, &error);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_vm_page(call, &page);
}

/* WatchVms: one per call, from its request until it ends. */
struct vm_watch {
    struct agent_api *api;
    struct grpc_call *call;
    struct vm_observer observer; /* added to the registry once the initial events are queued */
    char tenant[VM_TENANT_MAX_LENGTH + 1];
    enum grpc_result replay_result; /* of the initial events: the first failure, if any */
};

static bool watch_selects(const struct vm_watch *watch, const struct vm_record *vm)
{
    return watch->tenant[0] == '\0' || strcmp(vm->tenant, watch->tenant) == 0;
}

static enum grpc_result send_event(struct grpc_call *call, const struct vm_event *event)
{
    struct vm_message vm;
    vm_message_init(&vm, event->vm);
    Kapsel__V1__VmEvent message = KAPSEL__V1__VM_EVENT__INIT;
    message.type = (Kapsel__V1__VmEvent__Type)event->type;
    message.vm = &vm.vm;
    message.sequence = event->sequence;
    return api_call_send(call, &message.base);
}

static void watch_release(struct vm_watch *watch)
{
    vm_registry_remove_observer(watch->api->config.registry, &watch->observer);
    watch->api->watches--;
    free(watch);
}

/* Called by the registry while it notifies: removing the observer and freeing it there is allowed. */
static void watch_on_event(void *context, const struct vm_event *event)
{
    struct vm_watch *watch = context;
    if (!watch_selects(watch, event->vm)) {
        return;
    }
    enum grpc_result result = send_event(watch->call, event);
    if (result != GRPC_RESULT_OK) {
        api_call_fail_send(watch->call, result, "WatchVms");
        watch_release(watch);
    }
}

/* The initial ADDED events: a failure is kept for after the replay, which still reads the observer it was given. */
static void watch_on_replayed_event(void *context, const struct vm_event *event)
{
    struct vm_watch *watch = context;
    if (watch->replay_result == GRPC_RESULT_OK && watch_selects(watch, event->vm)) {
        watch->replay_result = send_event(watch->call, event);
    }
}

/* WatchVmsRequest.tenant as ListVms checks it: the registry's list is the one place that knows the form. */
static enum api_status validate_watch_tenant(const struct vm_registry *registry, const char *tenant,
                                             struct api_error *error)
{
    struct vm_list_request list = {.tenant = tenant, .page_size = 1};
    struct vm_list_page page;
    return vm_registry_list(registry, &list, &page, error);
}

static void watch_vms(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct agent_api *api = api_of(call);
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__watch_vms_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__WatchVmsRequest *message = (const Kapsel__V1__WatchVmsRequest *)request.message;
    struct api_error error;
    const char *tenant;
    enum api_status status = filter_tenant(call, message->tenant, &tenant, &error);
    if (status == API_STATUS_OK) {
        status = validate_watch_tenant(api->config.registry, tenant, &error);
    }
    struct vm_watch *watch = NULL;
    if (status == API_STATUS_OK) {
        watch = calloc(1, sizeof(*watch));
        if (!watch) {
            status = api_error_set(&error, API_STATUS_RESOURCE_EXHAUSTED, "WatchVms: no memory for the watch");
        }
    }
    if (status != API_STATUS_OK) {
        api_request_free(&request);
        api_call_fail(call, &error);
        return;
    }
    /* validate_watch_tenant bounded its length. */
    memcpy(watch->tenant, tenant, strlen(tenant) + 1);
    api_request_free(&request);
    watch->api = api;
    watch->call = call;
    api->watches++;
    grpc_call_set_user_data(call, watch);
    struct vm_observer replay = {.on_event = watch_on_replayed_event, .context = watch};
    vm_registry_replay_existing(api->config.registry, &replay);
    if (watch->replay_result != GRPC_RESULT_OK) {
        api_call_fail_send(call, watch->replay_result, "WatchVms");
        watch_release(watch);
        return;
    }
    /* Nothing can happen between the replay and this: the registry changes only from the program's loop. */
    watch->observer = (struct vm_observer){.on_event = watch_on_event, .context = watch};
    status = vm_registry_add_observer(api->config.registry, &watch->observer, &error);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        watch_release(watch);
    }
}

static void watch_cancelled(struct grpc_call *call)
{
    struct vm_watch *watch = grpc_call_user_data(call);
    if (watch) {
        watch_release(watch);
    }
}

/* StreamConsole: one per call, from its request until it ends. */
struct console_stream {
    struct agent_api *api;
    struct grpc_call *call;
    struct vm_observer observer;
    /* The VM, and its creation number: a slot of a deleted VM is used again by a later one. */
    const struct vm_record *vm;
    uint64_t vm_creation_number;
};

static bool streams_vm(const struct console_stream *stream, const struct vm_record *vm)
{
    return vm == stream->vm && vm->creation_number == stream->vm_creation_number;
}

/* Queues bytes as ConsoleChunks of at most VM_CONSOLE_CHUNK_BYTES, the first at offset. */
static enum grpc_result send_console(struct grpc_call *call, uint64_t offset, const uint8_t *bytes, size_t length)
{
    while (length > 0) {
        size_t piece = length < VM_CONSOLE_CHUNK_BYTES ? length : VM_CONSOLE_CHUNK_BYTES;
        Kapsel__V1__ConsoleChunk chunk = KAPSEL__V1__CONSOLE_CHUNK__INIT;
        chunk.data.data = (uint8_t *)bytes;
        chunk.data.len = piece;
        chunk.offset = offset;
        enum grpc_result result = api_call_send(call, &chunk.base);
        if (result != GRPC_RESULT_OK) {
            return result;
        }
        bytes += piece;
        length -= piece;
        offset += piece;
    }
    return GRPC_RESULT_OK;
}

/* Queues what the history has from offset on. */
static enum grpc_result send_history(struct grpc_call *call, const struct vm_record *vm, uint64_t offset)
{
    uint8_t *buffer = malloc(VM_CONSOLE_CHUNK_BYTES);
    if (!buffer) {
        return GRPC_RESULT_OUT_OF_MEMORY;
    }
    enum grpc_result result = GRPC_RESULT_OK;
    for (;;) {
        uint64_t read_offset;
        size_t count = vm_console_read(vm, offset, buffer, VM_CONSOLE_CHUNK_BYTES, &read_offset);
        if (count == 0) {
            break;
        }
        result = send_console(call, read_offset, buffer, count);
        if (result != GRPC_RESULT_OK) {
            break;
        }
        offset = read_offset + count;
    }
    free(buffer);
    return result;
}

static void console_release(struct console_stream *stream)
{
    vm_registry_remove_observer(stream->api->config.registry, &stream->observer);
    stream->api->console_streams--;
    free(stream);
}

static void console_on_output(void *context, const struct vm_record *vm, uint64_t offset, const uint8_t *bytes,
                              size_t length)
{
    struct console_stream *stream = context;
    if (!streams_vm(stream, vm)) {
        return;
    }
    enum grpc_result result = send_console(stream->call, offset, bytes, length);
    if (result != GRPC_RESULT_OK) {
        api_call_fail_send(stream->call, result, "StreamConsole");
        console_release(stream);
    }
}

/* The backend reports all output before the end, so at the end everything is queued: the stream is complete. */
static void console_on_event(void *context, const struct vm_event *event)
{
    struct console_stream *stream = context;
    if (streams_vm(stream, event->vm) && (event->type == VM_EVENT_DELETED || has_ended(event->vm))) {
        api_call_finish(stream->call, API_STATUS_OK, NULL);
        console_release(stream);
    }
}

static void stream_console(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct agent_api *api = api_of(call);
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__stream_console_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__StreamConsoleRequest *message = (const Kapsel__V1__StreamConsoleRequest *)request.message;
    bool skip_history = message->skip_history;
    bool follow = !message->no_follow;
    struct api_error error;
    const struct vm_record *vm = NULL;
    enum api_status status = find_visible_vm(call, message->name, &vm, &error);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    if (!skip_history) {
        enum grpc_result result = send_history(call, vm, vm_console_history_start(vm));
        if (result != GRPC_RESULT_OK) {
            api_call_fail_send(call, result, "StreamConsole");
            return;
        }
    }
    if (!follow || has_ended(vm)) {
        api_call_finish(call, API_STATUS_OK, NULL);
        return;
    }
    struct console_stream *stream = calloc(1, sizeof(*stream));
    if (!stream) {
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "StreamConsole: no memory for the stream");
        return;
    }
    stream->api = api;
    stream->call = call;
    stream->vm = vm;
    stream->vm_creation_number = vm->creation_number;
    api->console_streams++;
    grpc_call_set_user_data(call, stream);
    /* From the history's end on, with nothing in between: the registry changes only from the program's loop. */
    stream->observer = (struct vm_observer){
        .on_event = console_on_event,
        .on_console = console_on_output,
        .context = stream,
    };
    status = vm_registry_add_observer(api->config.registry, &stream->observer, &error);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        console_release(stream);
    }
}

static void console_cancelled(struct grpc_call *call)
{
    struct console_stream *stream = grpc_call_user_data(call);
    if (stream) {
        console_release(stream);
    }
}

void vm_service_methods(struct agent_api *api, struct grpc_method methods[VM_SERVICE_METHOD_COUNT])
{
    const struct grpc_method table[VM_SERVICE_METHOD_COUNT] = {
        {.path = METHOD_PREFIX "CreateVm", .kind = GRPC_METHOD_UNARY, .on_request = create_vm},
        {.path = METHOD_PREFIX "StartVm", .kind = GRPC_METHOD_UNARY, .on_request = start_vm},
        {.path = METHOD_PREFIX "StopVm", .kind = GRPC_METHOD_UNARY, .on_request = stop_vm},
        {.path = METHOD_PREFIX "DeleteVm", .kind = GRPC_METHOD_UNARY, .on_request = delete_vm},
        {.path = METHOD_PREFIX "GetVm", .kind = GRPC_METHOD_UNARY, .on_request = get_vm},
        {.path = METHOD_PREFIX "ListVms", .kind = GRPC_METHOD_UNARY, .on_request = list_vms},
        {.path = METHOD_PREFIX "WatchVms",
         .kind = GRPC_METHOD_SERVER_STREAMING,
         .send_queue_limit = VM_WATCH_SEND_QUEUE_BYTES,
         .on_request = watch_vms,
         .on_cancel = watch_cancelled},
        {.path = METHOD_PREFIX "StreamConsole",
         .kind = GRPC_METHOD_SERVER_STREAMING,
         .send_queue_limit = VM_CONSOLE_SEND_QUEUE_BYTES,
         .on_request = stream_console,
         .on_cancel = console_cancelled},
    };
    for (size_t i = 0; i < VM_SERVICE_METHOD_COUNT; i++) {
        methods[i] = table[i];
        methods[i].max_request_size = API_REQUEST_MAX_BYTES;
        if (methods[i].send_queue_limit == 0) {
            methods[i].send_queue_limit = API_UNARY_SEND_QUEUE_BYTES;
        }
        methods[i].context = api;
    }
}
