/*
 * The agent's table of VMs (VmService, api/kapsel/v1/vm_service.proto): what each VM is (tenant, labels, spec), its
 * state and times, its console history, and the events WatchVms streams. Requests are validated here exactly as the
 * .proto's comments say, with errors that name the field. Pure C, no gRPC or protobuf-c: the VmService decodes
 * requests into the plain structs below and encodes struct vm_record into its answers.
 *
 * Life of a VM: CREATED (create) -> RUNNING (start) -> STOPPING (stop) -> STOPPED, or FAILED from RUNNING or STOPPING
 * (and from CREATED when it cannot be started); RUNNING -> STOPPED/FAILED when the guest or its uvmm ends on its own.
 * STOPPED and FAILED are ended: such a VM is never started again, only deleted. The registry runs VMs through a
 * backend (the agent's uvmm launcher, a fake in tests) and the backend reports back: the VM's end, its console output
 * and its disks' final SHA-256s.
 *
 * Single-threaded, like the agent's event loop. Observers (WatchVms, StreamConsole) are called synchronously on every
 * event; they may add and remove observers (themselves included) from their callbacks, but not change VMs.
 */
#ifndef AGENT_VM_REGISTRY_H
#define AGENT_VM_REGISTRY_H

#include "api_status.h"
#include "image_store.h"
#include "page_token.h"
#include "unix_clock.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_REGISTRY_MAX_VMS 64
#define VM_ID_MAX_LENGTH 32
#define VM_NAME_PREFIX "vms/"
/* "vms/" + id + NUL. */
#define VM_NAME_BYTES (sizeof(VM_NAME_PREFIX) - 1 + VM_ID_MAX_LENGTH + 1)
#define VM_TENANT_MAX_LENGTH 63
#define VM_LABELS_MAX 16
#define VM_LABEL_KEY_MAX_LENGTH 63
#define VM_LABEL_VALUE_MAX_LENGTH 63
#define VM_COMMAND_LINE_MAX_LENGTH 255
#define VM_MEMORY_MIB_MIN 64
#define VM_MEMORY_MIB_MAX 4096
#define VM_VCPUS_MAX 1
#define VM_DISKS_MAX 2
#define VM_NETWORK_ID_MAX 4095
#define VM_STOP_GRACE_PERIOD_DEFAULT_MS 10000
#define VM_STOP_GRACE_PERIOD_MAX_MS 600000
/* A state_reason longer than this is cut (it is the backend's text, not a client's). */
#define VM_STATE_REASON_BYTES 160
/* Console output kept per VM for StreamConsole; older output is dropped, the offsets show it. */
#define VM_CONSOLE_HISTORY_BYTES (64 * 1024)

/* The numbers are VmState's in the .proto. */
enum vm_state {
    VM_STATE_UNSPECIFIED = 0,
    VM_STATE_CREATED = 1,
    VM_STATE_RUNNING = 2,
    VM_STATE_STOPPING = 3,
    VM_STATE_STOPPED = 4,
    VM_STATE_FAILED = 5,
};

/* The numbers are VmEvent.Type's in the .proto. */
enum vm_event_type {
    VM_EVENT_ADDED = 1,
    VM_EVENT_MODIFIED = 2,
    VM_EVENT_DELETED = 3,
};

struct vm_label {
    char key[VM_LABEL_KEY_MAX_LENGTH + 1];
    char value[VM_LABEL_VALUE_MAX_LENGTH + 1];
};

struct vm_disk {
    char image[IMAGE_NAME_BYTES]; /* "images/{sha256}" */
    bool read_only;
};

struct vm_spec {
    char kernel_image[IMAGE_NAME_BYTES];
    char initrd_image[IMAGE_NAME_BYTES]; /* "": none */
    char command_line[VM_COMMAND_LINE_MAX_LENGTH + 1];
    uint32_t memory_mib;
    uint32_t vcpus; /* 1 (a request's 0 is stored as 1) */
    struct vm_disk disks[VM_DISKS_MAX];
    size_t disk_count;
    uint32_t network_id; /* 0: no network device */
};

struct vm_record {
    uint64_t creation_number; /* its place in ListVms' order, from 1; 0: the slot is free */
    char id[VM_ID_MAX_LENGTH + 1];
    char name[VM_NAME_BYTES]; /* "vms/{id}" */
    char tenant[VM_TENANT_MAX_LENGTH + 1];
    struct vm_label labels[VM_LABELS_MAX];
    size_t label_count;
    struct vm_spec spec;
    enum vm_state state;
    char state_reason[VM_STATE_REASON_BYTES]; /* "" unless STOPPED or FAILED */
    uint64_t create_time_unix_ms;
    uint64_t start_time_unix_ms; /* 0: never started */
    uint64_t end_time_unix_ms;   /* 0: not ended */
    /* Each disk's final SHA-256 (lowercase hex) as the backend reported it; "" until then. */
    char disk_sha256[VM_DISKS_MAX][IMAGE_SHA256_HEX_LENGTH + 1];
    /* The console history: a ring of VM_CONSOLE_HISTORY_BYTES (allocated with the VM), and the number of bytes the
     * VM ever wrote, which is the offset of the next one. */
    uint8_t *console_history;
    uint64_t console_total_bytes;
    /* The spec the backend launched the VM's uvmm with (a manifest block: every capability it holds), NUL-ended;
     * NULL until it started. Attestation evidence quotes it. */
    char *launch_spec;
    void *backend_state; /* the backend's own, e.g. which uvmm runs the VM; NULL at creation */
};

/* Runs VMs. Each call returns NULL when done, else why it failed (the text becomes the VM's state_reason). */
struct vm_backend {
    /* Starts the VM's uvmm. The VM is already RUNNING in the registry (watchers are told once this returns), so the
     * backend may report its end (vm_registry_vm_ended) before returning. */
    const char *(*start)(void *context, struct vm_record *vm);
    /* Asks the guest to power off within grace_period_ms, after which the uvmm is stopped by force; force: at
     * once. The VM is STOPPING; its end comes through vm_registry_vm_ended, from within this call or later. */
    const char *(*stop)(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms);
    void *context;
};

struct vm_registry_config {
    /* Guest RAM that all VMs that are not ended (CREATED, RUNNING, STOPPING) may have together. */
    uint64_t memory_limit_bytes;
    struct vm_backend backend;
    struct unix_clock clock;
    struct image_store *images; /* where a spec's images must exist */
};

struct vm_event {
    enum vm_event_type type;
    const struct vm_record *vm; /* for DELETED, its last state (valid during the callback only) */
    uint64_t sequence;
};

/* An observer's storage is the caller's; the registry links it into its list while it is added. */
struct vm_observer {
    /* Every event, in sequence order; NULL: not interested. */
    void (*on_event)(void *context, const struct vm_event *event);
    /* Every console write of every VM: offset is that of bytes[0] (ConsoleChunk.offset); NULL: not interested. */
    void (*on_console)(void *context, const struct vm_record *vm, uint64_t offset, const uint8_t *bytes, size_t length);
    void *context;
    struct vm_observer *next; /* the registry's */
};

struct vm_registry {
    struct vm_registry_config config;
    struct vm_record vms[VM_REGISTRY_MAX_VMS];
    size_t vm_count;
    uint64_t last_creation_number;
    uint64_t next_generated_id; /* n of the next "vm-<n>" */
    uint64_t last_sequence;     /* of the last event; the first is 1 */
    struct vm_observer *observers;
    /* While observers are being called: the one after the current, kept right when observers go meanwhile. */
    struct vm_observer *notifying_next;
    bool notifying;
    bool in_backend_call; /* during backend.start or backend.stop */
};

/* CreateVmRequest.vm.labels: one entry. */
struct vm_label_input {
    const char *key;
    const char *value;
};

/* Disk. */
struct vm_disk_input {
    const char *image;
    bool read_only;
};

/* VmSpec. Every string may be NULL, which counts as empty. */
struct vm_spec_input {
    const char *kernel_image;
    const char *initrd_image;
    const char *command_line;
    uint32_t memory_mib;
    uint32_t vcpus;
    const struct vm_disk_input *disks;
    size_t disk_count;
    uint32_t network_id;
};

/* CreateVmRequest.vm: what is used, and the output-only fields as the request had them (they must be empty). */
struct vm_input {
    const char *tenant;
    const struct vm_label_input *labels;
    size_t label_count;
    const struct vm_spec_input *spec; /* NULL: absent */
    const char *name;
    uint32_t state;
    const char *state_reason;
    uint64_t create_time_unix_ms;
    uint64_t start_time_unix_ms;
    uint64_t end_time_unix_ms;
    size_t disk_sha256_count;
};

/* CreateVmRequest. */
struct vm_create_request {
    const char *vm_id; /* NULL or "": the registry picks "vm-<n>" */
    const struct vm_input *vm;
};

/* StopVmRequest. */
struct vm_stop_request {
    const char *name;
    bool force;
    uint32_t grace_period_ms;
};

/* ListVmsRequest. */
struct vm_list_request {
    const char *tenant; /* NULL or "": every tenant */
    const char *const *label_selector;
    size_t label_selector_count;
    uint32_t page_size;
    const char *page_token; /* NULL or "": the first page */
};

struct vm_list_page {
    const struct vm_record *vms[VM_REGISTRY_MAX_VMS];
    size_t count;
    char next_page_token[PAGE_TOKEN_BYTES]; /* "" on the last page */
};

/* HostInfo's figures about VMs. */
struct vm_registry_usage {
    uint32_t vms_total;
    uint32_t vms_running; /* RUNNING or STOPPING: their uvmm runs */
    uint64_t memory_used_bytes;
    uint64_t memory_limit_bytes;
};

/* "CREATED", ...; "VM_STATE_UNSPECIFIED" for anything else. */
const char *vm_state_name(enum vm_state state);

/* An empty registry; INVALID_ARGUMENT when the configuration lacks a function or the image store. */
enum api_status vm_registry_init(struct vm_registry *registry, const struct vm_registry_config *config,
                                 struct api_error *error);

/* Frees every VM's console history. The backend must have ended every VM's uvmm first. */
void vm_registry_destroy(struct vm_registry *registry);

/* CreateVm. In this order: INVALID_ARGUMENT for any field that breaks its .proto comment (output-only fields set
 * included), ALREADY_EXISTS for a vm_id in use, NOT_FOUND for an image that is not in the image store
 * ("vm.spec.disks[1].image: images/... not found"), RESOURCE_EXHAUSTED when the table is full or the VM's memory
 * would take the VMs that are not ended above the limit. An empty vm_id gets "vm-<n>": n counts up and never
 * repeats, and skips every n a client named itself, so a generated id never names a VM that existed before. A
 * client may reuse its own id once that VM is deleted. Label keys must be distinct (a protobuf map's are; protobuf-c
 * passes duplicates on the wire through, and they are refused rather than picked from). Emits ADDED. */
enum api_status vm_registry_create(struct vm_registry *registry, const struct vm_create_request *request,
                                   const struct vm_record **vm, struct api_error *error);

/* StartVm on a CREATED VM: it becomes RUNNING and backend.start runs it. When the backend fails, the VM is FAILED
 * with the backend's reason and the call still returns OK with the VM: the request was valid and was acted on, and
 * the VM's state says what happened (as it would had the uvmm failed a moment later). FAILED_PRECONDITION naming the
 * state for a VM that is not CREATED. Emits MODIFIED. */
enum api_status vm_registry_start(struct vm_registry *registry, const char *name, const struct vm_record **vm,
                                  struct api_error *error);

/* StopVm on a RUNNING VM: it becomes STOPPING (MODIFIED) and backend.stop asks its uvmm to stop; the VM is STOPPED
 * once the backend reports the end, which may be before this returns. On a STOPPING VM, force repeats the stop by
 * force and no force changes nothing (the stop is under way); both return OK. A backend failure makes the VM FAILED
 * and returns OK, as for start. FAILED_PRECONDITION for a CREATED or ended VM; INVALID_ARGUMENT for a
 * grace_period_ms above VM_STOP_GRACE_PERIOD_MAX_MS (0 means VM_STOP_GRACE_PERIOD_DEFAULT_MS). */
enum api_status vm_registry_stop(struct vm_registry *registry, const struct vm_stop_request *request,
                                 const struct vm_record **vm, struct api_error *error);

/* DeleteVm on a VM that is not RUNNING or STOPPING, with its console history: FAILED_PRECONDITION otherwise
 * ("vms/vm-1 is RUNNING; stop it before deleting it"). Emits DELETED with the VM's last state. */
enum api_status vm_registry_delete(struct vm_registry *registry, const char *name, struct api_error *error);

/* GetVm: INVALID_ARGUMENT "name: ..." for a name that is not "vms/{vm_id}", NOT_FOUND for an unknown one. */
enum api_status vm_registry_get(const struct vm_registry *registry, const char *name, const struct vm_record **vm,
                                struct api_error *error);

/* NOT_FOUND "name: ... not found", as for a VM that is not there: what a caller that may not see a VM is told. */
enum api_status vm_registry_not_found(const char *name, struct api_error *error);

/* Whether tenant is a tenant's form: 1 to VM_TENANT_MAX_LENGTH bytes of [a-z0-9-], starting with a letter. */
bool vm_tenant_is_valid(const char *tenant);

/* ListVms: a page of the VMs of the tenant (if given) that have every selected label, in creation order.
 * INVALID_ARGUMENT for a bad tenant, a selector that is not "key=value" with a valid key and value, a page_size
 * above PAGE_SIZE_MAX, or a page_token that is not one of this list's or was returned for another tenant or other
 * selectors (page_size may change from page to page). */
enum api_status vm_registry_list(const struct vm_registry *registry, const struct vm_list_request *request,
                                 struct vm_list_page *page, struct api_error *error);

/* The backend reports that a RUNNING or STOPPING VM's uvmm ended: STOPPED (failed false) or FAILED, with reason
 * ("guest powered off", "stopped through the API", "uvmm stopped: page fault at ..."). Emits MODIFIED.
 * FAILED_PRECONDITION for a VM in another state; INVALID_ARGUMENT for a VM not in this registry or no reason. */
enum api_status vm_registry_vm_ended(struct vm_registry *registry, struct vm_record *vm, bool failed,
                                     const char *reason, struct api_error *error);

/* The backend reports console output of a VM (in any state): kept in the history, and passed to every observer's
 * on_console with its offset. */
enum api_status vm_registry_console_output(struct vm_registry *registry, struct vm_record *vm, const uint8_t *bytes,
                                           size_t length, struct api_error *error);

/* The backend reports the launch spec of the VM's uvmm (length bytes, copied) as it starts it. RESOURCE_EXHAUSTED
 * without memory for the copy; INVALID_ARGUMENT for a VM not of this registry. */
enum api_status vm_registry_launch_spec(struct vm_registry *registry, struct vm_record *vm, const char *spec,
                                        size_t length, struct api_error *error);

/* The backend reports disk disk_index's final SHA-256 (64 lowercase hex digits), before it reports the end.
 * INVALID_ARGUMENT for an index beyond the VM's disks or another form. No event: the end's MODIFIED carries it. */
enum api_status vm_registry_disk_sha256(struct vm_registry *registry, struct vm_record *vm, size_t disk_index,
                                        const char *sha256, struct api_error *error);

/* The oldest console offset the history still has: what was written before it was cut. */
uint64_t vm_console_history_start(const struct vm_record *vm);

/* Copies console history from offset on (from the oldest kept byte, if offset is older) into bytes, at most
 * capacity; *read_offset is the offset of bytes[0]. Returns the count, 0 once offset reaches the end. */
size_t vm_console_read(const struct vm_record *vm, uint64_t offset, uint8_t *bytes, size_t capacity,
                       uint64_t *read_offset);

/* Adds an observer for the events and console output from now on. Allowed at any time, also from a callback: an
 * observer added while an event is being delivered is not called for that event. FAILED_PRECONDITION if added. */
enum api_status vm_registry_add_observer(struct vm_registry *registry, struct vm_observer *observer,
                                         struct api_error *error);

/* Removes an observer, at any time, also from a callback (its own, or another's); false when it was not added. */
bool vm_registry_remove_observer(struct vm_registry *registry, struct vm_observer *observer);

/* WatchVms' start: calls observer->on_event with ADDED for every VM, in creation order, each with the sequence of
 * the last event emitted so far (these events are the observer's own and do not advance the sequence, so the first
 * live event after them has that sequence + 1). The observer need not be added. */
void vm_registry_replay_existing(struct vm_registry *registry, const struct vm_observer *observer);

/* The sequence of the last event emitted; 0 before the first. */
uint64_t vm_registry_last_sequence(const struct vm_registry *registry);

/* HostInfo's VM figures: the VMs of tenant (NULL: of every tenant), and the guest RAM of the whole host. */
void vm_registry_usage(const struct vm_registry *registry, const char *tenant, struct vm_registry_usage *usage);

/* The registry as the image store's users (image_store_set_users): a VM names an image as its kernel, initrd or a
 * disk from its creation until it is deleted. */
struct image_users vm_registry_image_users(struct vm_registry *registry);

#endif
