#include "uvmm_launcher.h"

#include "page_memory.h"
#include "switch_port.h"

#include <kapsel/environment.h>
#include <kapsel/launcher.h>
#include <kapsel/syscall.h>
#include <kapsel/vmm_control.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(TENANT_NETWORKS_SWITCH_MAX == SWITCH_NETWORK_MAX, "tenant networks are handed out among the switch's");

#define UVMM_HEAP_OVERHEAD_MIB 16 /* the uvmm's own heap besides guest RAM and writable disks */
/*
 * Kernel memory grows with what is mapped: a 64-byte mapping record per 4 KiB page (1/64) and page tables (about
 * 1/512, counted as 1/256 to be safe). The Vm's factory holds guest RAM once (records, nested page tables) besides
 * its fixed objects; the uvmm holds its heap (guest RAM, writable disks, its own), its files, and that factory.
 */
#define KERNEL_MIB_FOR(mib) (((mib) + 63) / 64 + ((mib) + 255) / 256)
#define UVMM_VM_FACTORY_FIXED_MIB 1
#define UVMM_OWN_FIXED_MIB 2
#define SHUTDOWN_REQUEST_EVERY_MS 500 /* the uvmm takes messages between guest runs: ask again until it ends */
#define SEND_TIMEOUT_MS 20
#define PORT_REGION_BYTES (256u * 1024) /* the VM's link to the switch: a frame ring each way */

/* What start or stop reports: the launcher's failure text, formatted (the registry copies it at once). */
static const char *fail(struct uvmm_launcher *launcher, const char *format, ...) __attribute__((format(printf, 2, 3)));

static const char *fail(struct uvmm_launcher *launcher, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(launcher->failure, sizeof(launcher->failure), format, arguments);
    va_end(arguments);
    return launcher->failure;
}

void uvmm_launcher_init(struct uvmm_launcher *launcher, const struct uvmm_launcher_config *config)
{
    memset(launcher, 0, sizeof(*launcher));
    launcher->config = *config;
}

static uint64_t task_slot(const struct uvmm_launcher *launcher, const struct uvmm_run *run)
{
    return launcher->config.first_free_slot + 2 * (uint64_t)(run - launcher->runs);
}

static uint64_t control_slot(const struct uvmm_launcher *launcher, const struct uvmm_run *run)
{
    return task_slot(launcher, run) + 1;
}

static struct uvmm_run *run_of_vm(struct uvmm_launcher *launcher, const struct vm_record *vm)
{
    for (size_t i = 0; i < UVMM_LAUNCHER_MAX_RUNS; i++) {
        if (launcher->runs[i].vm == vm) {
            return &launcher->runs[i];
        }
    }
    return NULL;
}

static struct uvmm_run *run_of_handle(struct uvmm_launcher *launcher, uint64_t handle)
{
    for (size_t i = 0; i < UVMM_LAUNCHER_MAX_RUNS; i++) {
        if (launcher->runs[i].vm && launcher->runs[i].created && launcher->runs[i].handle == handle) {
            return &launcher->runs[i];
        }
    }
    return NULL;
}

/* The images a VM boots, in the order its spec's "file" lines name them. */
struct vm_files {
    const struct image_record *images[LAUNCH_MAX_FILES];
    const char *names[LAUNCH_MAX_FILES];
    size_t count;
};

static const char *find_files(struct uvmm_launcher *launcher, const struct vm_record *vm, struct vm_files *files)
{
    static const char *const disk_names[VM_DISKS_MAX] = {"disk0", "disk1"};
    const char *wanted[LAUNCH_MAX_FILES];
    const char *names[LAUNCH_MAX_FILES];
    size_t count = 0;
    wanted[count] = vm->spec.kernel_image;
    names[count++] = "kernel";
    if (vm->spec.initrd_image[0]) {
        wanted[count] = vm->spec.initrd_image;
        names[count++] = "initrd";
    }
    for (size_t i = 0; i < vm->spec.disk_count && count < LAUNCH_MAX_FILES; i++) {
        wanted[count] = vm->spec.disks[i].image;
        names[count++] = disk_names[i];
    }
    files->count = count;
    for (size_t i = 0; i < count; i++) {
        struct api_error error;
        if (image_store_get(launcher->config.images, wanted[i], &files->images[i], &error) != API_STATUS_OK) {
            return fail(launcher, "%s: %s", wanted[i], error.message);
        }
        files->names[i] = names[i];
    }
    return NULL;
}

/* The uvmm's spec: one block of the manifest grammar (roottask/manifest.h). */
/* A spec being written: appends until it no longer fits, which is remembered. */
struct spec_text {
    char *bytes;
    size_t size;
    size_t used;
    bool overflow;
};

static void spec_append(struct spec_text *text, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void spec_append(struct spec_text *text, const char *format, ...)
{
    if (text->overflow) {
        return;
    }
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(text->bytes + text->used, text->size - text->used, format, arguments);
    va_end(arguments);
    if (length < 0 || (size_t)length >= text->size - text->used) {
        text->overflow = true;
        return;
    }
    text->used += (size_t)length;
}

static uint64_t mib_of(uint64_t bytes)
{
    return (bytes + (1u << 20) - 1) >> 20;
}

/* The uvmm's spec: one block of the manifest grammar (roottask/manifest.h). */
static const char *write_spec(struct uvmm_launcher *launcher, const struct vm_record *vm, const struct vm_files *files,
                              char *spec, size_t size, size_t *length)
{
    uint64_t writable_mib = 0;
    for (size_t i = 0; i < vm->spec.disk_count; i++) {
        if (!vm->spec.disks[i].read_only) { /* the uvmm works on its own copy of a writable disk */
            writable_mib += mib_of(files->images[files->count - vm->spec.disk_count + i]->size_bytes);
        }
    }
    uint64_t file_mib = 0;
    for (size_t i = 0; i < files->count; i++) {
        file_mib += mib_of(files->images[i]->size_bytes);
    }
    uint64_t heap_mib = vm->spec.memory_mib + writable_mib + UVMM_HEAP_OVERHEAD_MIB;
    uint64_t factory_mib = UVMM_VM_FACTORY_FIXED_MIB + KERNEL_MIB_FOR(vm->spec.memory_mib);
    uint64_t quota_mib = UVMM_OWN_FIXED_MIB + factory_mib + KERNEL_MIB_FOR(heap_mib) + KERNEL_MIB_FOR(file_mib);
    struct spec_text text = {.bytes = spec, .size = size};
    spec_append(&text,
                "microapp %s\nimage %s\nquota %lluM\nmemory %lluM\ncapability log\n"
                "capability factory quota=%lluM\ncapability scheduler\n",
                vm->id, launcher->config.uvmm_image, (unsigned long long)quota_mib, (unsigned long long)heap_mib,
                (unsigned long long)factory_mib);
    for (size_t i = 0; i < files->count; i++) {
        spec_append(&text, "file %s\n", files->names[i]);
    }
    if (vm->spec.network_id) { /* the agent supplies the region (attach_port) */
        spec_append(&text, "capability peer:switch\nshared net %uK\n", PORT_REGION_BYTES / 1024);
    }
    spec_append(&text, "arguments --name %s --guest linux --kernel kernel%s", vm->id,
                vm->spec.initrd_image[0] ? " --initrd initrd" : "");
    if (vm->spec.network_id) {
        /* A locally administered MAC from the VM's creation number: unique on this host. */
        spec_append(&text, " --net-link net:1 --net-peer switch --mac 52:54:%02x:%02x:%02x:%02x",
                    (unsigned)(vm->creation_number >> 24) & 0xff, (unsigned)(vm->creation_number >> 16) & 0xff,
                    (unsigned)(vm->creation_number >> 8) & 0xff, (unsigned)vm->creation_number & 0xff);
    }
    for (size_t i = 0; i < vm->spec.disk_count; i++) {
        spec_append(&text, " %s disk%u", vm->spec.disks[i].read_only ? "--disk-ro" : "--disk", (unsigned)i);
    }
    spec_append(&text, " --ram %uM -- %s\n", vm->spec.memory_mib, vm->spec.command_line);
    if (text.overflow) {
        return fail(launcher, "the uvmm's spec is longer than %u bytes", (unsigned)size);
    }
    *length = text.used;
    return NULL;
}

/* Maps an image's pages read-only into the uvmm at address, in the largest blocks aligned in both. */
static enum error map_image(uint64_t task, const struct image_record *image, uint64_t address)
{
    uint64_t first = (uintptr_t)image->memory / APP_PAGE_SIZE;
    uint64_t pages = (image->size_bytes + APP_PAGE_SIZE - 1) / APP_PAGE_SIZE;
    uint64_t done = 0;
    while (done < pages) {
        unsigned order = 0;
        while (order < 18 && (1ull << (order + 1)) <= pages - done && ((first + done) & ((2ull << order) - 1)) == 0 &&
               (((address / APP_PAGE_SIZE) + done) & ((2ull << order) - 1)) == 0) {
            order++;
        }
        enum error error =
            task_map(task, ITEM_MEMORY(first + done, order, MEMORY_READ, 0), address + done * APP_PAGE_SIZE);
        if (error != ERROR_NONE) {
            return error;
        }
        done += 1ull << order;
    }
    return ERROR_NONE;
}

/* Forgets a run whose uvmm is gone (or never was): the switch port, the launch service's handle. */
static void release_run(struct uvmm_launcher *launcher, struct uvmm_run *run)
{
    if (run->port_attached) {
        char reason[LAUNCH_REASON_SIZE];
        struct switch_port_counts counts;
        if (switch_port_detach(launcher->config.switch_gate, run->switch_port, &counts, reason, sizeof(reason)) !=
            ERROR_NONE) {
            printf("agent: the switch kept port %u of %s: %s\n", (unsigned)run->switch_port, run->vm->id, reason);
            run->port_region = NULL; /* the switch may still use it: never reuse it */
        }
    }
    if (run->port_region) {
        page_memory_release(NULL, run->port_region, run->port_region_bytes);
    }
    tenant_networks_release(launcher->config.networks, run->switch_network);
    if (run->created) {
        char reason[LAUNCH_REASON_SIZE];
        launcher_release(launcher->config.launcher, run->handle, reason, sizeof(reason));
    }
    memset(run, 0, sizeof(*run));
}

static const char *attach_port(struct uvmm_launcher *launcher, struct uvmm_run *run, const struct vm_record *vm);

/* Why a VM cannot have a network port here, or NULL. */
static const char *check_network(struct uvmm_launcher *launcher, const struct vm_record *vm)
{
    if (vm->spec.network_id && !launcher->config.switch_gate) {
        return fail(launcher, "spec.network_id %u: this host has no switch for tenant networks",
                    (unsigned)vm->spec.network_id);
    }
    if (vm->spec.network_id && vm->spec.network_id == launcher->config.management_network) {
        /* A tenant there would reach the agent's API and the host's uplink directly. */
        return fail(launcher, "spec.network_id %u is this host's management network, not a tenant network",
                    (unsigned)vm->spec.network_id);
    }
    return NULL;
}

/* Creates the uvmm, maps its images, gives it its switch port and runs it; NULL, or why not. */
static const char *create_and_run(struct uvmm_launcher *launcher, struct uvmm_run *run, const struct vm_record *vm,
                                  const struct vm_files *files, const char *spec, size_t spec_length)
{
    struct launch_request request = {
        .spec = spec,
        .spec_length = spec_length,
        .task_slot = task_slot(launcher, run),
        .control_slot = control_slot(launcher, run),
    };
    for (size_t i = 0; i < files->count; i++) {
        request.file_sizes[i] = files->images[i]->size_bytes;
    }
    struct launch_created created;
    char reason[LAUNCH_REASON_SIZE];
    enum error error = launcher_create(launcher->config.launcher, &request, &created, reason, sizeof(reason));
    if (error != ERROR_NONE) {
        return fail(launcher, "the launch service refused its uvmm: %s (%s)", reason, error_name(error));
    }
    run->created = true;
    run->handle = created.handle;
    for (size_t i = 0; i < files->count; i++) {
        error = map_image(request.task_slot, files->images[i], created.file_addresses[i]);
        if (error != ERROR_NONE) {
            return fail(launcher, "mapping %s into its uvmm failed: %s", files->images[i]->name, error_name(error));
        }
    }
    const char *problem = vm->spec.network_id ? attach_port(launcher, run, vm) : NULL;
    if (problem) {
        return problem;
    }
    error = launcher_run(launcher->config.launcher, run->handle, reason, sizeof(reason));
    return error == ERROR_NONE ? NULL : fail(launcher, "its uvmm did not run: %s (%s)", reason, error_name(error));
}

const char *uvmm_launcher_start(void *context, struct vm_record *vm)
{
    struct uvmm_launcher *launcher = context;
    struct uvmm_run *run = run_of_vm(launcher, NULL);
    if (!run) {
        return "every uvmm entry of the agent is in use";
    }
    memset(run, 0, sizeof(*run));
    run->vm = vm;
    struct vm_files files;
    static char spec[LAUNCH_SPEC_MAX_SIZE];
    size_t spec_length = 0;
    const char *problem = check_network(launcher, vm);
    if (!problem) {
        problem = find_files(launcher, vm, &files);
    }
    if (!problem) {
        problem = write_spec(launcher, vm, &files, spec, sizeof(spec), &spec_length);
    }
    struct api_error error;
    if (!problem &&
        vm_registry_launch_spec(launcher->config.registry, vm, spec, spec_length, &error) != API_STATUS_OK) {
        problem = fail(launcher, "%s", error.message);
    }
    if (!problem) {
        problem = create_and_run(launcher, run, vm, &files, spec, spec_length);
    }
    if (problem) {
        if (run->created) {
            char reason[LAUNCH_REASON_SIZE];
            launcher_stop(launcher->config.launcher, run->handle, reason, sizeof(reason));
        }
        release_run(launcher, run);
    }
    return problem;
}

/* The VM's switch port: rings in agent memory, mapped into the uvmm's shared slot 0 and attached to the switch. */
static const char *attach_port(struct uvmm_launcher *launcher, struct uvmm_run *run, const struct vm_record *vm)
{
    run->port_region = page_memory_allocate_aligned(PORT_REGION_BYTES, PORT_REGION_BYTES);
    if (!run->port_region) {
        return fail(launcher, "no memory for its switch port");
    }
    run->port_region_bytes = PORT_REGION_BYTES;
    memset(run->port_region, 0, PORT_REGION_BYTES); /* empty rings; and no page a hole the kernel would skip */
    uint64_t page = (uintptr_t)run->port_region / APP_PAGE_SIZE;
    unsigned order = 6; /* 256 KiB = 2^6 pages, aligned to its size on both sides */
    enum error error =
        task_map(task_slot(launcher, run), ITEM_MEMORY(page, order, MEMORY_READ | MEMORY_WRITE, 0), APP_SHARED_ADDRESS);
    if (error != ERROR_NONE) {
        return fail(launcher, "mapping its switch port's rings failed: %s", error_name(error));
    }
    if (!tenant_networks_acquire(launcher->config.networks, vm->tenant, vm->spec.network_id, &run->switch_network)) {
        return fail(launcher, "network %u: no switch network is free for another tenant network",
                    (unsigned)vm->spec.network_id);
    }
    char reason[LAUNCH_REASON_SIZE];
    char name[32]; /* the switch's port names are at most 31 bytes */
    snprintf(name, sizeof(name), "%s", vm->id);
    error = switch_port_attach(launcher->config.switch_gate, run->port_region, PORT_REGION_BYTES, run->switch_network,
                               control_slot(launcher, run), name, &run->switch_port, reason, sizeof(reason));
    if (error != ERROR_NONE) {
        return fail(launcher, "the switch refused its port on network %u (switch network %u): %s",
                    (unsigned)vm->spec.network_id, (unsigned)run->switch_network, reason);
    }
    run->port_attached = true;
    return NULL;
}

static void request_shutdown(struct uvmm_launcher *launcher, struct uvmm_run *run, uint64_t now_ms)
{
    ipc_send(control_slot(launcher, run), MESSAGE_TAG(LABEL_VMM_SHUTDOWN_REQUEST, 0, 0), TIMEOUTS(SEND_TIMEOUT_MS, 0));
    run->next_request_ms = now_ms + SHUTDOWN_REQUEST_EVERY_MS;
}

const char *uvmm_launcher_stop(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms)
{
    struct uvmm_launcher *launcher = context;
    struct uvmm_run *run = run_of_vm(launcher, vm);
    if (!run || !run->created) {
        return "its uvmm is not running";
    }
    char reason[LAUNCH_REASON_SIZE];
    if (force) {
        enum error error = launcher_stop(launcher->config.launcher, run->handle, reason, sizeof(reason));
        return error == ERROR_NONE ? NULL : fail(launcher, "stopping its uvmm failed: %s", reason);
    }
    uint64_t now = launcher->config.now_ms();
    run->stop_deadline_ms = now + grace_period_ms;
    request_shutdown(launcher, run, now);
    return NULL;
}

/* "<id>: VM ended: <why>" and "disk diskN: ...; sha256 <hex>": what the uvmm's last lines say about its VM. */
static void read_line(struct uvmm_launcher *launcher, struct uvmm_run *run)
{
    run->line[run->line_length] = '\0';
    const char *ended = strstr(run->line, ": VM ended: ");
    if (ended) {
        snprintf(run->end_line, sizeof(run->end_line), "%s", ended + strlen(": VM ended: "));
        return;
    }
    unsigned disk;
    const char *sha = strstr(run->line, "; sha256 ");
    if (sha && sscanf(run->line, "disk disk%u:", &disk) == 1 && strlen(sha + 9) >= IMAGE_SHA256_HEX_LENGTH) {
        char hex[IMAGE_SHA256_HEX_LENGTH + 1];
        memcpy(hex, sha + 9, IMAGE_SHA256_HEX_LENGTH);
        hex[IMAGE_SHA256_HEX_LENGTH] = '\0';
        struct api_error error;
        vm_registry_disk_sha256(launcher->config.registry, run->vm, disk, hex, &error);
    }
}

static void log_write(struct uvmm_launcher *launcher, struct uvmm_run *run, uint64_t tag)
{
    uint64_t bytes = utcb()->message[0];
    if (MESSAGE_TAG_LABEL(tag) != LABEL_LOG_WRITE || bytes > LOG_MAX_BYTES ||
        bytes > (MESSAGE_TAG_WORDS(tag) - 1) * 8ull || MESSAGE_TAG_WORDS(tag) < 1) {
        ipc_reply(MESSAGE_TAG(ERROR_INVALID_ARGUMENT, 0, 0));
        return;
    }
    uint8_t text[LOG_MAX_BYTES];
    memcpy(text, &utcb()->message[1], bytes);
    ipc_reply(MESSAGE_TAG(ERROR_NONE, 0, 0)); /* the uvmm goes on while the agent files its words */
    struct api_error error;
    vm_registry_console_output(launcher->config.registry, run->vm, text, bytes, &error);
    for (size_t i = 0; i < bytes; i++) {
        if (text[i] == '\n' || run->line_length == sizeof(run->line) - 1) {
            read_line(launcher, run);
            run->line_length = 0;
        }
        if (text[i] != '\n') {
            run->line[run->line_length++] = (char)text[i];
        }
    }
}

/* Its uvmm has ended: STOPPED when the guest ended normally or the API stopped it, else FAILED with why. */
static void ended(struct uvmm_launcher *launcher, struct uvmm_run *run)
{
    enum launch_state state = 0;
    uint64_t kernel_memory = 0;
    char reason[LAUNCH_REASON_SIZE] = "";
    launcher_status(launcher->config.launcher, run->handle, &state, &kernel_memory, reason, sizeof(reason));
    if (run->line_length) {
        read_line(launcher, run);
    }
    char why[UVMM_LAUNCHER_REASON_BYTES];
    bool failed;
    if (strcmp(reason, "exited with status 0") == 0) {
        failed = false;
        snprintf(why, sizeof(why), "%s", run->end_line[0] ? run->end_line : "its uvmm ended");
    } else if (strcmp(reason, "stopped by its launcher") == 0) {
        failed = false;
        snprintf(why, sizeof(why), "%s",
                 run->grace_period_over ? "stopped through the API: the guest did not power off within its grace period"
                                        : "stopped through the API (forced)");
    } else if (run->end_line[0]) {
        failed = true;
        snprintf(why, sizeof(why), "%s (uvmm %s)", run->end_line, reason);
    } else {
        failed = true;
        snprintf(why, sizeof(why), "uvmm %s", reason);
    }
    struct vm_record *vm = run->vm;
    release_run(launcher, run);
    struct api_error error;
    vm_registry_vm_ended(launcher->config.registry, vm, failed, why, &error);
}

bool uvmm_launcher_receive(struct uvmm_launcher *launcher, uint64_t label, uint64_t tag)
{
    uint64_t kind = label & LAUNCH_LABEL_KIND_MASK;
    if (kind != LAUNCH_LABEL_LOG && kind != LAUNCH_LABEL_ENDED) {
        return false;
    }
    struct uvmm_run *run = run_of_handle(launcher, label & LAUNCH_LABEL_HANDLE_MASK);
    if (kind == LAUNCH_LABEL_LOG) {
        if (run) {
            log_write(launcher, run, tag);
        } else {
            ipc_reply(MESSAGE_TAG(ERROR_INVALID_ARGUMENT, 0, 0)); /* a uvmm the agent forgot: it goes on */
        }
    } else if (run) {
        ended(launcher, run);
    }
    return true;
}

uint64_t uvmm_launcher_tick(struct uvmm_launcher *launcher, uint64_t now_ms)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < UVMM_LAUNCHER_MAX_RUNS; i++) {
        struct uvmm_run *run = &launcher->runs[i];
        if (!run->vm || !run->stop_deadline_ms) {
            continue;
        }
        if (now_ms >= run->stop_deadline_ms) {
            char reason[LAUNCH_REASON_SIZE];
            run->stop_deadline_ms = 0;
            run->grace_period_over = true;
            launcher_stop(launcher->config.launcher, run->handle, reason, sizeof(reason));
            continue;
        }
        if (now_ms >= run->next_request_ms) {
            request_shutdown(launcher, run, now_ms);
        }
        uint64_t due = run->next_request_ms < run->stop_deadline_ms ? run->next_request_ms : run->stop_deadline_ms;
        next = due - now_ms < next ? due - now_ms : next;
    }
    return next;
}
