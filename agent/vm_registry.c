/* See vm_registry.h. */
#include "vm_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024ull * 1024ull)
#define GENERATED_ID_PREFIX "vm-"
/* Generated ids stay below "vm-<2^63>", so a client's own "vm-<n>" with a larger n can never be generated, and a
 * client cannot use up the generator by naming a VM "vm-18446744073709551614". */
#define GENERATED_ID_LIMIT (1ull << 63)

static const char *text(const char *value)
{
    return value ? value : "";
}

static bool is_lowercase_letter(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 to max_length bytes of [a-z0-9-] starting with a letter: vm ids and tenants. */
static bool is_identifier(const char *value, size_t max_length)
{
    size_t length = strlen(value);
    if (length == 0 || length > max_length || !is_lowercase_letter(value[0])) {
        return false;
    }
    for (size_t i = 1; i < length; i++) {
        if (!is_lowercase_letter(value[i]) && !is_digit(value[i]) && value[i] != '-') {
            return false;
        }
    }
    return true;
}

bool vm_tenant_is_valid(const char *tenant)
{
    return is_identifier(tenant, VM_TENANT_MAX_LENGTH);
}

enum api_status vm_registry_not_found(const char *name, struct api_error *error)
{
    return api_error_set(error, API_STATUS_NOT_FOUND, "name: %s not found", text(name));
}

/* 1 to VM_LABEL_KEY_MAX_LENGTH bytes of a-z, 0-9, '_', '.', '-' and '/'. */
static bool is_label_key(const char *key, size_t length)
{
    if (length == 0 || length > VM_LABEL_KEY_MAX_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        char c = key[i];
        if (!is_lowercase_letter(c) && !is_digit(c) && c != '_' && c != '.' && c != '-' && c != '/') {
            return false;
        }
    }
    return true;
}

/* The index of value's first byte that is not printable ASCII (space to '~'); its length when there is none. */
static size_t first_unprintable(const char *value)
{
    size_t i = 0;
    while (value[i] >= 0x20 && value[i] <= 0x7e) {
        i++;
    }
    return i;
}

/* At most max_length bytes of printable ASCII. */
static bool is_printable_text(const char *value, size_t max_length)
{
    size_t length = strlen(value);
    return first_unprintable(value) == length && length <= max_length;
}

const char *vm_state_name(enum vm_state state)
{
    switch (state) {
    case VM_STATE_CREATED:
        return "CREATED";
    case VM_STATE_RUNNING:
        return "RUNNING";
    case VM_STATE_STOPPING:
        return "STOPPING";
    case VM_STATE_STOPPED:
        return "STOPPED";
    case VM_STATE_FAILED:
        return "FAILED";
    case VM_STATE_UNSPECIFIED:
        break;
    }
    return "VM_STATE_UNSPECIFIED";
}

static bool has_ended(const struct vm_record *vm)
{
    return vm->state == VM_STATE_STOPPED || vm->state == VM_STATE_FAILED;
}

enum api_status vm_registry_init(struct vm_registry *registry, const struct vm_registry_config *config,
                                 struct api_error *error)
{
    if (!config->backend.start || !config->backend.stop || !config->clock.now_ms || !config->images) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm registry: backend, clock and image store are required");
    }
    memset(registry, 0, sizeof(*registry));
    registry->config = *config;
    registry->next_generated_id = 1;
    return API_STATUS_OK;
}

static void free_slot(struct vm_registry *registry, struct vm_record *vm)
{
    free(vm->console_history);
    free(vm->launch_spec);
    memset(vm, 0, sizeof(*vm));
    registry->vm_count--;
}

void vm_registry_destroy(struct vm_registry *registry)
{
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (registry->vms[i].creation_number != 0) {
            free_slot(registry, &registry->vms[i]);
        }
    }
}

/* Changes to VMs are refused from observers' callbacks (other observers would see events out of order) and, but
 * for the backend's reports, from within the backend's start and stop (the VM would change under them). */
static enum api_status refuse_reentry(const struct vm_registry *registry, bool is_backend_report,
                                      struct api_error *error)
{
    if (registry->notifying) {
        return api_error_set(error, API_STATUS_INTERNAL, "vm registry: VMs cannot change from an observer's callback");
    }
    if (registry->in_backend_call && !is_backend_report) {
        return api_error_set(error, API_STATUS_INTERNAL,
                             "vm registry: VMs cannot change from the backend's start or stop, except by its reports");
    }
    return API_STATUS_OK;
}

/* Delivers one event or console write to every observer added before it. */
static void notify(struct vm_registry *registry, void (*deliver)(struct vm_observer *observer, const void *message),
                   const void *message)
{
    registry->notifying = true;
    for (struct vm_observer *observer = registry->observers; observer; observer = registry->notifying_next) {
        /* Taken before the call: the callback may remove observers, this one included (remove keeps it right). */
        registry->notifying_next = observer->next;
        deliver(observer, message);
    }
    registry->notifying = false;
}

static void deliver_event(struct vm_observer *observer, const void *message)
{
    if (observer->on_event) {
        observer->on_event(observer->context, message);
    }
}

static void emit(struct vm_registry *registry, enum vm_event_type type, const struct vm_record *vm)
{
    struct vm_event event = {.type = type, .vm = vm, .sequence = ++registry->last_sequence};
    notify(registry, deliver_event, &event);
}

struct console_write {
    const struct vm_record *vm;
    uint64_t offset;
    const uint8_t *bytes;
    size_t length;
};

static void deliver_console(struct vm_observer *observer, const void *message)
{
    const struct console_write *write = message;
    if (observer->on_console) {
        observer->on_console(observer->context, write->vm, write->offset, write->bytes, write->length);
    }
}

/* The index of the VM named "vms/{id}". */
static enum api_status find_vm(const struct vm_registry *registry, const char *name, size_t *index,
                               struct api_error *error)
{
    name = text(name);
    size_t prefix_length = strlen(VM_NAME_PREFIX);
    if (strncmp(name, VM_NAME_PREFIX, prefix_length) != 0 || !is_identifier(name + prefix_length, VM_ID_MAX_LENGTH)) {
        char quoted[API_QUOTE_BYTES];
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "name: %s is not vms/{vm_id} (1 to %d bytes of [a-z0-9-] starting with a letter)",
                             api_quote(quoted, name), VM_ID_MAX_LENGTH);
    }
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (registry->vms[i].creation_number != 0 && strcmp(registry->vms[i].name, name) == 0) {
            *index = i;
            return API_STATUS_OK;
        }
    }
    return vm_registry_not_found(name, error);
}

static const struct vm_record *find_id(const struct vm_registry *registry, const char *id)
{
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (registry->vms[i].creation_number != 0 && strcmp(registry->vms[i].id, id) == 0) {
            return &registry->vms[i];
        }
    }
    return NULL;
}

/* Whether vm is a VM of this registry (a backend's report must be about one). */
static bool owns(const struct vm_registry *registry, const struct vm_record *vm)
{
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (vm == &registry->vms[i]) {
            return vm->creation_number != 0;
        }
    }
    return false;
}

/* The VM with the smallest creation number above after, or NULL. */
static const struct vm_record *next_in_creation_order(const struct vm_registry *registry, uint64_t after)
{
    const struct vm_record *next = NULL;
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        const struct vm_record *vm = &registry->vms[i];
        if (vm->creation_number > after && (!next || vm->creation_number < next->creation_number)) {
            next = vm;
        }
    }
    return next;
}

static uint64_t memory_used_bytes(const struct vm_registry *registry)
{
    uint64_t used = 0;
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        const struct vm_record *vm = &registry->vms[i];
        if (vm->creation_number != 0 && !has_ended(vm)) {
            used += vm->spec.memory_mib * MIB;
        }
    }
    return used;
}

static enum api_status validate_output_only(const struct vm_input *vm, struct api_error *error)
{
    const char *field = NULL;
    if (text(vm->name)[0] != '\0') {
        field = "vm.name";
    } else if (vm->state != VM_STATE_UNSPECIFIED) {
        field = "vm.state";
    } else if (text(vm->state_reason)[0] != '\0') {
        field = "vm.state_reason";
    } else if (vm->create_time_unix_ms != 0) {
        field = "vm.create_time_unix_ms";
    } else if (vm->start_time_unix_ms != 0) {
        field = "vm.start_time_unix_ms";
    } else if (vm->end_time_unix_ms != 0) {
        field = "vm.end_time_unix_ms";
    } else if (vm->disk_sha256_count != 0) {
        field = "vm.disk_sha256";
    }
    if (field) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "%s: output only, must be empty in a request", field);
    }
    return API_STATUS_OK;
}

static enum api_status validate_labels(const struct vm_input *vm, struct api_error *error)
{
    char quoted[API_QUOTE_BYTES];
    if (vm->label_count > VM_LABELS_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.labels: %zu labels, at most %d", vm->label_count,
                             VM_LABELS_MAX);
    }
    for (size_t i = 0; i < vm->label_count; i++) {
        const char *key = text(vm->labels[i].key);
        const char *value = text(vm->labels[i].value);
        if (!is_label_key(key, strlen(key))) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "vm.labels: key %s is not 1 to %d bytes of [a-z0-9_./-]", api_quote(quoted, key),
                                 VM_LABEL_KEY_MAX_LENGTH);
        }
        if (!is_printable_text(value, VM_LABEL_VALUE_MAX_LENGTH)) {
            char quoted_value[API_QUOTE_BYTES];
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "vm.labels[%s]: value %s is not at most %d bytes of printable ASCII",
                                 api_quote(quoted, key), api_quote(quoted_value, value), VM_LABEL_VALUE_MAX_LENGTH);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(key, text(vm->labels[j].key)) == 0) {
                return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.labels: key %s appears twice",
                                     api_quote(quoted, key));
            }
        }
    }
    return API_STATUS_OK;
}

/* The form of an image reference; whether the image exists is checked later (NOT_FOUND comes after every
 * INVALID_ARGUMENT). */
static enum api_status validate_image_form(const char *field, const char *image, bool required, struct api_error *error)
{
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    if (image[0] == '\0') {
        if (required) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "%s: required, images/{sha256}", field);
        }
        return API_STATUS_OK;
    }
    if (!image_name_parse(image, sha256)) {
        char quoted[API_QUOTE_BYTES];
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "%s: %s is not images/{sha256} with 64 lowercase hex digits", field,
                             api_quote(quoted, image));
    }
    return API_STATUS_OK;
}

static enum api_status validate_spec(const struct vm_spec_input *spec, struct api_error *error)
{
    enum api_status status = validate_image_form("vm.spec.kernel_image", text(spec->kernel_image), true, error);
    if (status == API_STATUS_OK) {
        status = validate_image_form("vm.spec.initrd_image", text(spec->initrd_image), false, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    const char *command_line = text(spec->command_line);
    size_t command_line_length = strlen(command_line);
    if (command_line_length > VM_COMMAND_LINE_MAX_LENGTH) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.spec.command_line: %zu bytes, at most %d",
                             command_line_length, VM_COMMAND_LINE_MAX_LENGTH);
    }
    size_t unprintable = first_unprintable(command_line);
    if (unprintable != command_line_length) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm.spec.command_line: byte %zu (0x%02x) is not printable ASCII", unprintable,
                             (unsigned char)command_line[unprintable]);
    }
    if (spec->memory_mib == 0) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.spec.memory_mib: required, %d to %d",
                             VM_MEMORY_MIB_MIN, VM_MEMORY_MIB_MAX);
    }
    if (spec->memory_mib < VM_MEMORY_MIB_MIN) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.spec.memory_mib: %u is below the minimum %d",
                             (unsigned)spec->memory_mib, VM_MEMORY_MIB_MIN);
    }
    if (spec->memory_mib > VM_MEMORY_MIB_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.spec.memory_mib: %u is above the maximum %d",
                             (unsigned)spec->memory_mib, VM_MEMORY_MIB_MAX);
    }
    if (spec->vcpus > VM_VCPUS_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm.spec.vcpus: %u; a guest has exactly %d vCPU until SMP guests exist",
                             (unsigned)spec->vcpus, VM_VCPUS_MAX);
    }
    if (spec->disk_count > VM_DISKS_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.spec.disks: %zu disks, at most %d",
                             spec->disk_count, VM_DISKS_MAX);
    }
    for (size_t i = 0; i < spec->disk_count; i++) {
        char field[48];
        snprintf(field, sizeof(field), "vm.spec.disks[%zu].image", i);
        status = validate_image_form(field, text(spec->disks[i].image), true, error);
        if (status != API_STATUS_OK) {
            return status;
        }
    }
    if (spec->network_id > VM_NETWORK_ID_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm.spec.network_id: %u is above the maximum %d (0: no network device)",
                             (unsigned)spec->network_id, VM_NETWORK_ID_MAX);
    }
    return API_STATUS_OK;
}

/* Every INVALID_ARGUMENT of CreateVm: vm_id, vm.tenant, vm.labels, vm.spec (in its fields' order), then the
 * output-only fields. */
static enum api_status validate_create(const struct vm_create_request *request, struct api_error *error)
{
    char quoted[API_QUOTE_BYTES];
    const char *vm_id = text(request->vm_id);
    if (vm_id[0] != '\0' && !is_identifier(vm_id, VM_ID_MAX_LENGTH)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm_id: %s is not 1 to %d bytes of [a-z0-9-] starting with a letter",
                             api_quote(quoted, vm_id), VM_ID_MAX_LENGTH);
    }
    const struct vm_input *vm = request->vm;
    if (!vm) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm: required");
    }
    const char *tenant = text(vm->tenant);
    if (tenant[0] == '\0') {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm.tenant: required, 1 to %d bytes of [a-z0-9-] starting with a letter",
                             VM_TENANT_MAX_LENGTH);
    }
    if (!is_identifier(tenant, VM_TENANT_MAX_LENGTH)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "vm.tenant: %s is not 1 to %d bytes of [a-z0-9-] starting with a letter",
                             api_quote(quoted, tenant), VM_TENANT_MAX_LENGTH);
    }
    enum api_status status = validate_labels(vm, error);
    if (status != API_STATUS_OK) {
        return status;
    }
    if (!vm->spec) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm.spec: required");
    }
    status = validate_spec(vm->spec, error);
    if (status != API_STATUS_OK) {
        return status;
    }
    return validate_output_only(vm, error);
}

/* For an image reference that validate_image_form accepted. */
static enum api_status check_image_exists(const struct vm_registry *registry, const char *field, const char *image,
                                          struct api_error *error)
{
    if (image[0] != '\0' && !image_store_find_sha256(registry->config.images, image + strlen(IMAGE_NAME_PREFIX))) {
        return api_error_set(error, API_STATUS_NOT_FOUND, "%s: %s not found", field, image);
    }
    return API_STATUS_OK;
}

static enum api_status check_images_exist(const struct vm_registry *registry, const struct vm_spec_input *spec,
                                          struct api_error *error)
{
    enum api_status status = check_image_exists(registry, "vm.spec.kernel_image", text(spec->kernel_image), error);
    if (status == API_STATUS_OK) {
        status = check_image_exists(registry, "vm.spec.initrd_image", text(spec->initrd_image), error);
    }
    for (size_t i = 0; i < spec->disk_count && status == API_STATUS_OK; i++) {
        char field[48];
        snprintf(field, sizeof(field), "vm.spec.disks[%zu].image", i);
        status = check_image_exists(registry, field, text(spec->disks[i].image), error);
    }
    return status;
}

static enum api_status check_room(const struct vm_registry *registry, uint32_t memory_mib, struct api_error *error)
{
    if (registry->vm_count == VM_REGISTRY_MAX_VMS) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "the host has %d VMs, its maximum; delete one first",
                             VM_REGISTRY_MAX_VMS);
    }
    /* Every VM was admitted under the same limit, so used <= limit. */
    uint64_t used = memory_used_bytes(registry);
    uint64_t limit = registry->config.memory_limit_bytes;
    if (memory_mib * MIB > limit - used) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED,
                             "vm.spec.memory_mib: %u MiB more would exceed the host's limit for guest RAM: %llu MiB of "
                             "%llu MiB are taken by VMs that have not ended",
                             (unsigned)memory_mib, (unsigned long long)(used / MIB), (unsigned long long)(limit / MIB));
    }
    return API_STATUS_OK;
}

/* n of a client's id of the generated form "vm-<n>" (decimal, no leading zero), if it is below the limit. */
static bool parse_generated_form(const char *id, uint64_t *n)
{
    size_t prefix_length = strlen(GENERATED_ID_PREFIX);
    const char *digits = id + prefix_length;
    if (strncmp(id, GENERATED_ID_PREFIX, prefix_length) != 0 || !is_digit(digits[0]) ||
        (digits[0] == '0' && digits[1] != '\0')) {
        return false;
    }
    uint64_t value = 0;
    for (const char *digit = digits; *digit != '\0'; digit++) {
        if (!is_digit(*digit) || value > (GENERATED_ID_LIMIT - 1 - (uint64_t)(*digit - '0')) / 10) {
            return false;
        }
        value = value * 10 + (uint64_t)(*digit - '0');
    }
    *n = value;
    return true;
}

static void copy_spec(struct vm_spec *spec, const struct vm_spec_input *input)
{
    snprintf(spec->kernel_image, sizeof(spec->kernel_image), "%s", text(input->kernel_image));
    snprintf(spec->initrd_image, sizeof(spec->initrd_image), "%s", text(input->initrd_image));
    snprintf(spec->command_line, sizeof(spec->command_line), "%s", text(input->command_line));
    spec->memory_mib = input->memory_mib;
    spec->vcpus = input->vcpus == 0 ? 1 : input->vcpus;
    for (size_t i = 0; i < input->disk_count; i++) {
        snprintf(spec->disks[i].image, sizeof(spec->disks[i].image), "%s", text(input->disks[i].image));
        spec->disks[i].read_only = input->disks[i].read_only;
    }
    spec->disk_count = input->disk_count;
    spec->network_id = input->network_id;
}

enum api_status vm_registry_create(struct vm_registry *registry, const struct vm_create_request *request,
                                   const struct vm_record **created, struct api_error *error)
{
    enum api_status status = refuse_reentry(registry, false, error);
    if (status == API_STATUS_OK) {
        status = validate_create(request, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    const struct vm_input *input = request->vm;
    const char *vm_id = text(request->vm_id);
    if (vm_id[0] != '\0' && find_id(registry, vm_id)) {
        return api_error_set(error, API_STATUS_ALREADY_EXISTS, "vm_id: vms/%s exists already", vm_id);
    }
    status = check_images_exist(registry, input->spec, error);
    if (status == API_STATUS_OK) {
        status = check_room(registry, input->spec->memory_mib, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    if (vm_id[0] == '\0' && registry->next_generated_id >= GENERATED_ID_LIMIT) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "vm_id: no generated ids are left; name the VM");
    }
    uint8_t *console_history = malloc(VM_CONSOLE_HISTORY_BYTES);
    if (!console_history) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "no memory for the VM's console history");
    }
    struct vm_record *vm = NULL;
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS && !vm; i++) {
        if (registry->vms[i].creation_number == 0) {
            vm = &registry->vms[i];
        }
    }
    if (vm_id[0] == '\0') {
        snprintf(vm->id, sizeof(vm->id), "%s%llu", GENERATED_ID_PREFIX,
                 (unsigned long long)registry->next_generated_id++);
    } else {
        snprintf(vm->id, sizeof(vm->id), "%s", vm_id);
        uint64_t n;
        if (parse_generated_form(vm_id, &n) && n >= registry->next_generated_id) {
            registry->next_generated_id = n + 1;
        }
    }
    vm->creation_number = ++registry->last_creation_number;
    snprintf(vm->name, sizeof(vm->name), "%s%s", VM_NAME_PREFIX, vm->id);
    snprintf(vm->tenant, sizeof(vm->tenant), "%s", input->tenant);
    for (size_t i = 0; i < input->label_count; i++) {
        snprintf(vm->labels[i].key, sizeof(vm->labels[i].key), "%s", input->labels[i].key);
        snprintf(vm->labels[i].value, sizeof(vm->labels[i].value), "%s", text(input->labels[i].value));
    }
    vm->label_count = input->label_count;
    copy_spec(&vm->spec, input->spec);
    vm->state = VM_STATE_CREATED;
    vm->create_time_unix_ms = registry->config.clock.now_ms(registry->config.clock.context);
    vm->console_history = console_history;
    registry->vm_count++;
    emit(registry, VM_EVENT_ADDED, vm);
    *created = vm;
    return API_STATUS_OK;
}

static void end_vm(struct vm_registry *registry, struct vm_record *vm, bool failed, const char *reason)
{
    vm->state = failed ? VM_STATE_FAILED : VM_STATE_STOPPED;
    snprintf(vm->state_reason, sizeof(vm->state_reason), "%s", reason);
    vm->end_time_unix_ms = registry->config.clock.now_ms(registry->config.clock.context);
}

enum api_status vm_registry_start(struct vm_registry *registry, const char *name, const struct vm_record **started,
                                  struct api_error *error)
{
    size_t index;
    enum api_status status = refuse_reentry(registry, false, error);
    if (status == API_STATUS_OK) {
        status = find_vm(registry, name, &index, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    struct vm_record *vm = &registry->vms[index];
    if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STOPPING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "%s is %s; it has been started already", vm->name,
                             vm_state_name(vm->state));
    }
    if (vm->state != VM_STATE_CREATED) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION,
                             "%s is %s; an ended VM is never started again, create a new one", vm->name,
                             vm_state_name(vm->state));
    }
    /* RUNNING before the backend runs, so that it can report an end that comes at once. */
    vm->state = VM_STATE_RUNNING;
    vm->start_time_unix_ms = registry->config.clock.now_ms(registry->config.clock.context);
    registry->in_backend_call = true;
    const char *failure = registry->config.backend.start(registry->config.backend.context, vm);
    registry->in_backend_call = false;
    /* Unless the backend reported the end already, which told the observers. */
    if (vm->state == VM_STATE_RUNNING) {
        if (failure) {
            end_vm(registry, vm, true, failure);
        }
        emit(registry, VM_EVENT_MODIFIED, vm);
    }
    *started = vm;
    return API_STATUS_OK;
}

enum api_status vm_registry_stop(struct vm_registry *registry, const struct vm_stop_request *request,
                                 const struct vm_record **stopped, struct api_error *error)
{
    /* The request's own checks first: INVALID_ARGUMENT does not depend on which VMs exist. */
    if (request->grace_period_ms > VM_STOP_GRACE_PERIOD_MAX_MS) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "grace_period_ms: %u is above the maximum %d",
                             (unsigned)request->grace_period_ms, VM_STOP_GRACE_PERIOD_MAX_MS);
    }
    size_t index;
    enum api_status status = refuse_reentry(registry, false, error);
    if (status == API_STATUS_OK) {
        status = find_vm(registry, request->name, &index, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    struct vm_record *vm = &registry->vms[index];
    if (vm->state == VM_STATE_CREATED) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION,
                             "%s is CREATED; only a RUNNING VM can be stopped (delete it instead)", vm->name);
    }
    if (has_ended(vm)) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "%s is %s; it has ended already", vm->name,
                             vm_state_name(vm->state));
    }
    *stopped = vm;
    if (vm->state == VM_STATE_STOPPING && !request->force) {
        return API_STATUS_OK;
    }
    if (vm->state == VM_STATE_RUNNING) {
        vm->state = VM_STATE_STOPPING;
        emit(registry, VM_EVENT_MODIFIED, vm);
    }
    uint32_t grace_period_ms =
        request->grace_period_ms == 0 ? VM_STOP_GRACE_PERIOD_DEFAULT_MS : request->grace_period_ms;
    registry->in_backend_call = true;
    const char *failure =
        registry->config.backend.stop(registry->config.backend.context, vm, request->force, grace_period_ms);
    registry->in_backend_call = false;
    /* Unless the backend reported the end already. */
    if (failure && vm->state == VM_STATE_STOPPING) {
        end_vm(registry, vm, true, failure);
        emit(registry, VM_EVENT_MODIFIED, vm);
    }
    return API_STATUS_OK;
}

enum api_status vm_registry_delete(struct vm_registry *registry, const char *name, struct api_error *error)
{
    size_t index;
    enum api_status status = refuse_reentry(registry, false, error);
    if (status == API_STATUS_OK) {
        status = find_vm(registry, name, &index, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    struct vm_record *vm = &registry->vms[index];
    if (vm->state == VM_STATE_RUNNING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "%s is RUNNING; stop it before deleting it",
                             vm->name);
    }
    if (vm->state == VM_STATE_STOPPING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "%s is STOPPING; delete it once it has stopped",
                             vm->name);
    }
    emit(registry, VM_EVENT_DELETED, vm);
    free_slot(registry, vm);
    return API_STATUS_OK;
}

enum api_status vm_registry_get(const struct vm_registry *registry, const char *name, const struct vm_record **vm,
                                struct api_error *error)
{
    size_t index;
    enum api_status status = find_vm(registry, name, &index, error);
    if (status == API_STATUS_OK) {
        *vm = &registry->vms[index];
    }
    return status;
}

/* A selector is "key=value" with a label's key and value. */
static enum api_status validate_selector(size_t index, const char *selector, struct api_error *error)
{
    char quoted[API_QUOTE_BYTES];
    const char *equals = strchr(selector, '=');
    if (!equals) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "label_selector[%zu]: %s is not key=value", index,
                             api_quote(quoted, selector));
    }
    if (!is_label_key(selector, (size_t)(equals - selector))) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "label_selector[%zu]: %s: the key is not 1 to %d bytes of [a-z0-9_./-]", index,
                             api_quote(quoted, selector), VM_LABEL_KEY_MAX_LENGTH);
    }
    if (!is_printable_text(equals + 1, VM_LABEL_VALUE_MAX_LENGTH)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "label_selector[%zu]: %s: the value is not at most %d bytes of printable ASCII", index,
                             api_quote(quoted, selector), VM_LABEL_VALUE_MAX_LENGTH);
    }
    return API_STATUS_OK;
}

static bool has_label(const struct vm_record *vm, const char *selector)
{
    const char *equals = strchr(selector, '=');
    size_t key_length = (size_t)(equals - selector);
    for (size_t i = 0; i < vm->label_count; i++) {
        const struct vm_label *label = &vm->labels[i];
        if (strlen(label->key) == key_length && memcmp(label->key, selector, key_length) == 0) {
            return strcmp(label->value, equals + 1) == 0;
        }
    }
    return false;
}

static bool matches(const struct vm_record *vm, const char *tenant, const struct vm_list_request *request)
{
    if (tenant[0] != '\0' && strcmp(vm->tenant, tenant) != 0) {
        return false;
    }
    for (size_t i = 0; i < request->label_selector_count; i++) {
        if (!has_label(vm, text(request->label_selector[i]))) {
            return false;
        }
    }
    return true;
}

enum api_status vm_registry_list(const struct vm_registry *registry, const struct vm_list_request *request,
                                 struct vm_list_page *page, struct api_error *error)
{
    const char *tenant = text(request->tenant);
    if (tenant[0] != '\0' && !is_identifier(tenant, VM_TENANT_MAX_LENGTH)) {
        char quoted[API_QUOTE_BYTES];
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "tenant: %s is not 1 to %d bytes of [a-z0-9-] starting with a letter",
                             api_quote(quoted, tenant), VM_TENANT_MAX_LENGTH);
    }
    uint64_t filter_hash = page_filter_hash_add(page_filter_hash_begin("vms"), tenant);
    for (size_t i = 0; i < request->label_selector_count; i++) {
        const char *selector = text(request->label_selector[i]);
        enum api_status status = validate_selector(i, selector, error);
        if (status != API_STATUS_OK) {
            return status;
        }
        filter_hash = page_filter_hash_add(filter_hash, selector);
    }
    size_t size;
    uint64_t position;
    enum api_status status = page_size_resolve(request->page_size, &size, error);
    if (status == API_STATUS_OK) {
        status = page_token_decode(text(request->page_token), filter_hash, &position, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    page->count = 0;
    page->next_page_token[0] = '\0';
    for (const struct vm_record *vm = next_in_creation_order(registry, position); vm;
         vm = next_in_creation_order(registry, vm->creation_number)) {
        if (!matches(vm, tenant, request)) {
            continue;
        }
        if (page->count == size) {
            /* A further match: the page is full and another follows. */
            page_token_encode(page->next_page_token, page->vms[page->count - 1]->creation_number, filter_hash);
            break;
        }
        page->vms[page->count++] = vm;
    }
    return API_STATUS_OK;
}

/* A backend report's common checks. */
static enum api_status check_report(const struct vm_registry *registry, const struct vm_record *vm,
                                    struct api_error *error)
{
    enum api_status status = refuse_reentry(registry, true, error);
    if (status == API_STATUS_OK && !owns(registry, vm)) {
        status = api_error_set(error, API_STATUS_INVALID_ARGUMENT, "vm: not a VM of this registry");
    }
    return status;
}

enum api_status vm_registry_vm_ended(struct vm_registry *registry, struct vm_record *vm, bool failed,
                                     const char *reason, struct api_error *error)
{
    enum api_status status = check_report(registry, vm, error);
    if (status != API_STATUS_OK) {
        return status;
    }
    if (text(reason)[0] == '\0') {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "reason: required, why %s ended", vm->name);
    }
    if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_STOPPING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "%s is %s; only a RUNNING or STOPPING VM can end",
                             vm->name, vm_state_name(vm->state));
    }
    end_vm(registry, vm, failed, reason);
    emit(registry, VM_EVENT_MODIFIED, vm);
    return API_STATUS_OK;
}

uint64_t vm_console_history_start(const struct vm_record *vm)
{
    return vm->console_total_bytes > VM_CONSOLE_HISTORY_BYTES ? vm->console_total_bytes - VM_CONSOLE_HISTORY_BYTES : 0;
}

/* Copies length bytes into the ring from offset on, wrapping at its end. */
static void console_keep(struct vm_record *vm, uint64_t offset, const uint8_t *bytes, size_t length)
{
    size_t position = (size_t)(offset % VM_CONSOLE_HISTORY_BYTES);
    size_t first = length < VM_CONSOLE_HISTORY_BYTES - position ? length : VM_CONSOLE_HISTORY_BYTES - position;
    memcpy(vm->console_history + position, bytes, first);
    memcpy(vm->console_history, bytes + first, length - first);
}

enum api_status vm_registry_console_output(struct vm_registry *registry, struct vm_record *vm, const uint8_t *bytes,
                                           size_t length, struct api_error *error)
{
    enum api_status status = check_report(registry, vm, error);
    if (status != API_STATUS_OK || length == 0) {
        return status;
    }
    struct console_write write = {.vm = vm, .offset = vm->console_total_bytes, .bytes = bytes, .length = length};
    /* Only the last VM_CONSOLE_HISTORY_BYTES of a long write can stay in the history. */
    size_t kept = length < VM_CONSOLE_HISTORY_BYTES ? length : VM_CONSOLE_HISTORY_BYTES;
    console_keep(vm, write.offset + (length - kept), bytes + (length - kept), kept);
    vm->console_total_bytes += length;
    notify(registry, deliver_console, &write);
    return API_STATUS_OK;
}

size_t vm_console_read(const struct vm_record *vm, uint64_t offset, uint8_t *bytes, size_t capacity,
                       uint64_t *read_offset)
{
    uint64_t start = vm_console_history_start(vm);
    if (offset < start) {
        offset = start;
    }
    if (offset > vm->console_total_bytes) {
        offset = vm->console_total_bytes;
    }
    *read_offset = offset;
    uint64_t available = vm->console_total_bytes - offset;
    size_t count = available < capacity ? (size_t)available : capacity;
    if (count == 0) {
        return 0;
    }
    size_t position = (size_t)(offset % VM_CONSOLE_HISTORY_BYTES);
    size_t first = count < VM_CONSOLE_HISTORY_BYTES - position ? count : VM_CONSOLE_HISTORY_BYTES - position;
    memcpy(bytes, vm->console_history + position, first);
    memcpy(bytes + first, vm->console_history, count - first);
    return count;
}

enum api_status vm_registry_launch_spec(struct vm_registry *registry, struct vm_record *vm, const char *spec,
                                        size_t length, struct api_error *error)
{
    if (!owns(registry, vm)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "a launch spec for a VM of another registry");
    }
    char *copy = malloc(length + 1);
    if (!copy) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "no memory for %s's launch spec", vm->name);
    }
    memcpy(copy, spec, length);
    copy[length] = '\0';
    free(vm->launch_spec);
    vm->launch_spec = copy;
    return API_STATUS_OK;
}

enum api_status vm_registry_disk_sha256(struct vm_registry *registry, struct vm_record *vm, size_t disk_index,
                                        const char *sha256, struct api_error *error)
{
    enum api_status status = check_report(registry, vm, error);
    if (status != API_STATUS_OK) {
        return status;
    }
    if (disk_index >= vm->spec.disk_count) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "disk_index: %zu, but %s has %zu disks", disk_index,
                             vm->name, vm->spec.disk_count);
    }
    if (!image_sha256_is_hex(text(sha256))) {
        char quoted[API_QUOTE_BYTES];
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "sha256: %s is not 64 lowercase hex digits",
                             api_quote(quoted, text(sha256)));
    }
    memcpy(vm->disk_sha256[disk_index], sha256, IMAGE_SHA256_HEX_LENGTH + 1);
    return API_STATUS_OK;
}

enum api_status vm_registry_add_observer(struct vm_registry *registry, struct vm_observer *observer,
                                         struct api_error *error)
{
    for (const struct vm_observer *added = registry->observers; added; added = added->next) {
        if (added == observer) {
            return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "vm registry: the observer is added already");
        }
    }
    /* At the head: a notification under way has passed it, so it starts with the next event. */
    observer->next = registry->observers;
    registry->observers = observer;
    return API_STATUS_OK;
}

bool vm_registry_remove_observer(struct vm_registry *registry, struct vm_observer *observer)
{
    for (struct vm_observer **link = &registry->observers; *link; link = &(*link)->next) {
        if (*link == observer) {
            *link = observer->next;
            if (registry->notifying_next == observer) {
                registry->notifying_next = observer->next;
            }
            observer->next = NULL;
            return true;
        }
    }
    return false;
}

void vm_registry_replay_existing(struct vm_registry *registry, const struct vm_observer *observer)
{
    if (!observer->on_event) {
        return;
    }
    bool was_notifying = registry->notifying;
    registry->notifying = true;
    for (const struct vm_record *vm = next_in_creation_order(registry, 0); vm;
         vm = next_in_creation_order(registry, vm->creation_number)) {
        struct vm_event event = {.type = VM_EVENT_ADDED, .vm = vm, .sequence = registry->last_sequence};
        observer->on_event(observer->context, &event);
    }
    registry->notifying = was_notifying;
}

uint64_t vm_registry_last_sequence(const struct vm_registry *registry)
{
    return registry->last_sequence;
}

void vm_registry_usage(const struct vm_registry *registry, const char *tenant, struct vm_registry_usage *usage)
{
    memset(usage, 0, sizeof(*usage));
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        const struct vm_record *vm = &registry->vms[i];
        if (vm->creation_number == 0 || (tenant != NULL && strcmp(vm->tenant, tenant) != 0)) {
            continue;
        }
        usage->vms_total++;
        if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STOPPING) {
            usage->vms_running++;
        }
    }
    usage->memory_used_bytes = memory_used_bytes(registry);
    usage->memory_limit_bytes = registry->config.memory_limit_bytes;
}

static bool names_image(const struct vm_record *vm, const char *image_name)
{
    if (strcmp(vm->spec.kernel_image, image_name) == 0 || strcmp(vm->spec.initrd_image, image_name) == 0) {
        return true;
    }
    for (size_t i = 0; i < vm->spec.disk_count; i++) {
        if (strcmp(vm->spec.disks[i].image, image_name) == 0) {
            return true;
        }
    }
    return false;
}

static size_t for_each_image_user(void *context, const char *image_name,
                                  void (*visit)(void *visit_context, const char *vm_name), void *visit_context)
{
    const struct vm_registry *registry = context;
    size_t count = 0;
    for (const struct vm_record *vm = next_in_creation_order(registry, 0); vm;
         vm = next_in_creation_order(registry, vm->creation_number)) {
        if (names_image(vm, image_name)) {
            visit(visit_context, vm->name);
            count++;
        }
    }
    return count;
}

struct image_users vm_registry_image_users(struct vm_registry *registry)
{
    return (struct image_users){.for_each = for_each_image_user, .context = registry};
}
