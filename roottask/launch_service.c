#include "launch_service.h"

#include "app_files.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_LAUNCHERS 4
#define LAUNCHED_TASK_RIGHTS (RIGHT_READ | RIGHT_WRITE) /* map its files; never pass it on or delete it */
#define CONTROL_GATE_RIGHTS (RIGHT_WRITE | RIGHT_GRANT) /* may be passed on: e.g. to the switch, to wake the app */

_Static_assert(MANIFEST_MAX_APPS <= LAUNCH_LABEL_HANDLE_MASK + 1, "labels can name every handle");
_Static_assert(LAUNCH_MAX_FILES == MANIFEST_MAX_FILES, "a launch names every file of an app");
_Static_assert(2 + LAUNCH_SPEC_BYTES_PER_MESSAGE / 8 <= MESSAGE_REGISTERS, "a spec part fits one message");
_Static_assert(1 + LAUNCH_REASON_SIZE / 8 <= MESSAGE_REGISTERS, "a reason fits one reply");

/* The spec a launcher is writing (LAUNCH_SPEC_WRITE), until it creates the app. */
struct launcher_spec {
    const struct microapp *launcher; /* NULL: a free entry */
    char text[LAUNCH_SPEC_MAX_SIZE];
};

static struct microapp *apps;
static size_t capacity;
static const struct manifest *boot;
static const struct root_boot_info *boot_info;
static struct launcher_spec specs[MAX_LAUNCHERS];
static struct manifest parsed;                          /* manifest_parse_launch's output; large, so not on the stack */
static struct manifest_app launched[MANIFEST_MAX_APPS]; /* launched[i]: the spec of apps[i], while it is launched */
static bool handle_held[MANIFEST_MAX_APPS];             /* the launcher has not released apps[i] yet */

void launch_service_init(struct microapp *table, size_t table_capacity, const struct manifest *boot_manifest,
                         const struct root_boot_info *info)
{
    apps = table;
    capacity = table_capacity < MANIFEST_MAX_APPS ? table_capacity : MANIFEST_MAX_APPS;
    boot = boot_manifest;
    boot_info = info;
}

/* The reply: error as its label, the reason as text in its words. */
static void answer(uint64_t *message, uint64_t *reply_tag, enum error error, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void answer(uint64_t *message, uint64_t *reply_tag, enum error error, const char *format, ...)
{
    char reason[LAUNCH_REASON_SIZE];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(reason, sizeof(reason), format, arguments);
    va_end(arguments);
    size_t bytes = length < 0 ? 0 : (size_t)length < sizeof(reason) ? (size_t)length : sizeof(reason) - 1;
    message[0] = bytes;
    memcpy(&message[1], reason, bytes);
    *reply_tag = MESSAGE_TAG(error, 1 + (bytes + 7) / 8, 0);
}

static uint64_t launcher_memory_limit(const struct manifest_app *launcher)
{
    for (size_t i = 0; i < launcher->capability_count; i++) {
        if (launcher->capabilities[i].type == MANIFEST_CAPABILITY_LAUNCHER) {
            return launcher->capabilities[i].memory;
        }
    }
    return 0;
}

static bool holds_same(const struct manifest_app *launcher, const struct manifest_capability *wanted)
{
    for (size_t i = 0; i < launcher->capability_count; i++) {
        const struct manifest_capability *held = &launcher->capabilities[i];
        if (held->type == wanted->type && (held->type != MANIFEST_CAPABILITY_PEER || held->peer == wanted->peer)) {
            return true;
        }
        if (wanted->type == MANIFEST_CAPABILITY_CLOCK && held->type == MANIFEST_CAPABILITY_SCHEDULER) {
            return true; /* the scheduler reads the clock too */
        }
    }
    return false;
}

const char *launch_service_check(const struct manifest_app *launcher, const struct manifest_app *spec,
                                 uint64_t memory_in_use)
{
    static char reason[LAUNCH_REASON_SIZE];
    if (spec->priority > launcher->priority) {
        snprintf(reason, sizeof(reason), "priority %u is above its launcher's %u", (unsigned)spec->priority,
                 (unsigned)launcher->priority);
        return reason;
    }
    uint64_t limit = launcher_memory_limit(launcher);
    uint64_t left = memory_in_use < limit ? limit - memory_in_use : 0;
    if (spec->memory > left) {
        snprintf(reason, sizeof(reason), "memory %llu KiB is more than its launcher may still give (%llu of %llu KiB)",
                 (unsigned long long)(spec->memory >> 10), (unsigned long long)(left >> 10),
                 (unsigned long long)(limit >> 10));
        return reason;
    }
    for (size_t i = 0; i < spec->capability_count; i++) {
        const struct manifest_capability *wanted = &spec->capabilities[i];
        if (wanted->type == MANIFEST_CAPABILITY_LOG || wanted->type == MANIFEST_CAPABILITY_FACTORY) {
            continue; /* a gate to the launcher itself, and a part of the app's own quota */
        }
        if (wanted->type == MANIFEST_CAPABILITY_LAUNCHER) {
            return "capability 'launcher': a launched app cannot launch apps";
        }
        if (!holds_same(launcher, wanted)) {
            snprintf(reason, sizeof(reason), "capability '%s': its launcher does not hold it", wanted->name);
            return reason;
        }
    }
    return NULL;
}

static bool is_live(const struct microapp *app)
{
    return app->state == MICROAPP_CREATED || app->state == MICROAPP_GRANTED || app->state == MICROAPP_RUNNING;
}

static uint64_t memory_in_use(const struct microapp *launcher)
{
    uint64_t sum = 0;
    for (size_t i = boot->app_count; i < capacity; i++) {
        if (apps[i].launcher == launcher && is_live(&apps[i])) {
            sum += apps[i].manifest->memory;
        }
    }
    return sum;
}

static struct launcher_spec *spec_of(const struct microapp *launcher)
{
    struct launcher_spec *unused = NULL;
    for (size_t i = 0; i < MAX_LAUNCHERS; i++) {
        if (specs[i].launcher == launcher) {
            return &specs[i];
        }
        if (!specs[i].launcher && !unused) {
            unused = &specs[i];
        }
    }
    if (unused) {
        unused->launcher = launcher;
    }
    return unused;
}

static void spec_write(struct microapp *launcher, unsigned words, uint64_t *message, uint64_t *reply_tag)
{
    struct launcher_spec *spec = spec_of(launcher);
    if (!spec) {
        answer(message, reply_tag, ERROR_TOO_MANY, "more than %u launchers", (unsigned)MAX_LAUNCHERS);
        return;
    }
    uint64_t offset = message[0];
    uint64_t bytes = message[1];
    if (words < 2 || bytes > LAUNCH_SPEC_BYTES_PER_MESSAGE || bytes > (words - 2) * 8ull ||
        offset > LAUNCH_SPEC_MAX_SIZE || bytes > LAUNCH_SPEC_MAX_SIZE - offset) {
        answer(message, reply_tag, ERROR_INVALID_ARGUMENT,
               "spec part of %llu bytes at %llu does not fit the message or the %u-byte spec",
               (unsigned long long)bytes, (unsigned long long)offset, (unsigned)LAUNCH_SPEC_MAX_SIZE);
        return;
    }
    memcpy(spec->text + offset, &message[2], bytes);
    *reply_tag = MESSAGE_TAG(ERROR_NONE, 0, 0);
}

/* A free entry of the app table for a launched app, or -1. */
static int free_entry(void)
{
    for (size_t i = boot->app_count; i < capacity; i++) {
        if (apps[i].state == MICROAPP_UNUSED || (apps[i].state == MICROAPP_FINISHED && !handle_held[i])) {
            return (int)i;
        }
    }
    return -1;
}

static bool name_taken(const char *name)
{
    for (size_t i = 0; i < capacity; i++) {
        /* A boot app's name stays taken after it ended: peers and logs name apps by it. */
        if ((i < boot->app_count || is_live(&apps[i])) && apps[i].manifest &&
            strcmp(apps[i].manifest->name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* The control gate: made from the app's factory (it goes with the app) and copied into the launcher's slot. */
static enum error hand_over_control_gate(struct microapp *launcher, struct microapp *app, uint64_t control_slot)
{
    uint64_t gate = microapp_root_slot(app, MICROAPP_SLOT_CONTROL_GATE);
    enum error error = factory_create_gate(microapp_root_slot(app, MICROAPP_SLOT_FACTORY), gate,
                                           microapp_root_slot(app, MICROAPP_SLOT_THREAD), LAUNCH_LABEL_CONTROL);
    if (error != ERROR_NONE) {
        return error;
    }
    app->root_slots_used |= 1u << MICROAPP_SLOT_CONTROL_GATE;
    return task_map_capability(microapp_root_slot(launcher, MICROAPP_SLOT_TASK),
                               ITEM_CAPABILITY(gate, 0, CONTROL_GATE_RIGHTS, 0), control_slot);
}

/* Steps after microapp_create: capabilities, the task capability and control gate for the launcher, the end notice. */
static enum error finish_creation(struct microapp *launcher, struct microapp *app, uint64_t task_slot,
                                  uint64_t control_slot)
{
    enum error error = microapp_grant(app, apps, boot->app_count);
    if (error != ERROR_NONE) {
        return error; /* microapp_grant ended it with the reason */
    }
    error = task_map_capability(
        microapp_root_slot(launcher, MICROAPP_SLOT_TASK),
        ITEM_CAPABILITY(microapp_root_slot(app, MICROAPP_SLOT_TASK), 0, LAUNCHED_TASK_RIGHTS, 0), task_slot);
    if (error != ERROR_NONE) {
        microapp_end(app, "not started: handing its task to the launcher's slot %llu failed: %s",
                     (unsigned long long)task_slot, error_name(error));
        return error;
    }
    error = control_slot ? hand_over_control_gate(launcher, app, control_slot) : ERROR_NONE;
    if (error != ERROR_NONE) {
        microapp_end(app, "not started: handing its control gate to the launcher's slot %llu failed: %s",
                     (unsigned long long)control_slot, error_name(error));
        return error;
    }
    uint64_t irq = microapp_root_slot(app, MICROAPP_SLOT_ENDED_IRQ);
    /* From the launcher's factory: the notice outlives the app's own factory. */
    error = factory_create_irq(microapp_root_slot(launcher, MICROAPP_SLOT_FACTORY), irq);
    if (error == ERROR_NONE) {
        error = irq_bind(irq, microapp_root_slot(launcher, MICROAPP_SLOT_THREAD), LAUNCH_LABEL_ENDED | app->index);
        if (error != ERROR_NONE) {
            task_delete_object(ROOT_TASK, irq);
        }
    }
    if (error != ERROR_NONE) {
        /* Deleting its task (microapp_end) also empties the launcher's slot for it. */
        microapp_end(app, "not started: creating its end notice failed: %s", error_name(error));
        return error;
    }
    app->root_slots_used |= 1u << MICROAPP_SLOT_ENDED_IRQ;
    return ERROR_NONE;
}

static void create(struct microapp *launcher, unsigned words, uint64_t *message, uint64_t *reply_tag)
{
    struct launcher_spec *spec = spec_of(launcher);
    uint64_t length = message[0];
    uint64_t task_slot = message[1];
    uint64_t control_slot = message[2 + LAUNCH_MAX_FILES];
    if (words < 3 + LAUNCH_MAX_FILES || !spec || length > LAUNCH_SPEC_MAX_SIZE) {
        answer(message, reply_tag, ERROR_INVALID_ARGUMENT,
               "create needs the spec length (at most %u), a slot, %u sizes and a slot", (unsigned)LAUNCH_SPEC_MAX_SIZE,
               (unsigned)LAUNCH_MAX_FILES);
        return;
    }
    uint64_t sizes[LAUNCH_MAX_FILES];
    memcpy(sizes, &message[2], sizeof(sizes));
    struct manifest_error parse_error;
    if (manifest_parse_launch(spec->text, length, boot, &parsed, &parse_error) != ERROR_NONE) {
        answer(message, reply_tag, ERROR_MALFORMED, "%s", parse_error.message);
        return;
    }
    const struct manifest_app *wanted = &parsed.apps[0];
    if (name_taken(wanted->name)) {
        answer(message, reply_tag, ERROR_SLOT_OCCUPIED, "a microapp named '%s' exists", wanted->name);
        return;
    }
    const char *refusal = launch_service_check(launcher->manifest, wanted, memory_in_use(launcher));
    if (refusal) {
        answer(message, reply_tag, ERROR_MISSING_RIGHTS, "%s", refusal);
        return;
    }
    for (size_t i = 0; i < LAUNCH_MAX_FILES; i++) {
        if ((i < wanted->file_count) != (sizes[i] != 0)) {
            answer(message, reply_tag, ERROR_INVALID_ARGUMENT, "file %u: size %llu for %u files", (unsigned)i,
                   (unsigned long long)sizes[i], (unsigned)wanted->file_count);
            return;
        }
    }
    int index = free_entry();
    if (index < 0) {
        answer(message, reply_tag, ERROR_TOO_MANY, "every one of the %u app entries is in use", (unsigned)capacity);
        return;
    }
    launched[index] = *wanted;
    struct microapp *app = &apps[index];
    *app = (struct microapp){
        .manifest = &launched[index],
        .index = (size_t)index,
        .apps = apps,
        .app_count = boot->app_count,
        .launcher = launcher,
    };
    size_t failed = 0;
    const char *reason = NULL;
    enum error error = app_files_place(app, sizes, &failed, &reason);
    if (error != ERROR_NONE) {
        app->state = MICROAPP_FINISHED;
        answer(message, reply_tag, error, "file '%s': %s", wanted->files[failed].name, reason);
        return;
    }
    error = microapp_create(app, boot_info);
    if (error == ERROR_NONE) {
        error = finish_creation(launcher, app, task_slot, control_slot);
    }
    if (error != ERROR_NONE) {
        answer(message, reply_tag, error, "%s", app->end_reason);
        return;
    }
    handle_held[index] = true;
    message[0] = (uint64_t)index;
    for (size_t i = 0; i < LAUNCH_MAX_FILES; i++) {
        message[1 + i] = i < wanted->file_count ? app->files[i].address : 0;
    }
    *reply_tag = MESSAGE_TAG(ERROR_NONE, 1 + LAUNCH_MAX_FILES, 0);
}

/* The launched app a handle names for this launcher, or NULL (then the reply is set). */
static struct microapp *launched_app(const struct microapp *launcher, unsigned words, uint64_t *message,
                                     uint64_t *reply_tag)
{
    uint64_t handle = message[0];
    if (words < 1 || handle < boot->app_count || handle >= capacity || !handle_held[handle] ||
        apps[handle].launcher != launcher) {
        answer(message, reply_tag, ERROR_INVALID_ARGUMENT, "handle %llu names no app of this launcher",
               (unsigned long long)handle);
        return NULL;
    }
    return &apps[handle];
}

static void status(struct microapp *app, uint64_t *message, uint64_t *reply_tag)
{
    uint64_t quota = 0, used = 0;
    enum launch_state state = LAUNCH_STATE_ENDED;
    if (app->state == MICROAPP_RUNNING) {
        state = LAUNCH_STATE_RUNNING;
    } else if (app->state == MICROAPP_GRANTED) {
        state = LAUNCH_STATE_CREATED;
    }
    if (state != LAUNCH_STATE_ENDED) {
        factory_info(microapp_root_slot(app, MICROAPP_SLOT_FACTORY), &quota, &used);
    }
    size_t bytes = state == LAUNCH_STATE_ENDED ? strnlen(app->end_reason, sizeof(app->end_reason) - 1) : 0;
    message[0] = state;
    message[1] = used;
    message[2] = bytes;
    memcpy(&message[3], app->end_reason, bytes);
    *reply_tag = MESSAGE_TAG(ERROR_NONE, 3 + (bytes + 7) / 8, 0);
}

static void delete_end_notice(struct microapp *app)
{
    if (app->root_slots_used & (1u << MICROAPP_SLOT_ENDED_IRQ)) {
        app->root_slots_used &= ~(1u << MICROAPP_SLOT_ENDED_IRQ);
        task_delete_object(ROOT_TASK, microapp_root_slot(app, MICROAPP_SLOT_ENDED_IRQ));
    }
    handle_held[app->index] = false;
}

static void release(struct microapp *app, uint64_t *message, uint64_t *reply_tag)
{
    if (app->state != MICROAPP_FINISHED) {
        answer(message, reply_tag, ERROR_BUSY, "%s still runs: stop it first", app->manifest->name);
        return;
    }
    delete_end_notice(app);
    *reply_tag = MESSAGE_TAG(ERROR_NONE, 0, 0);
}

void launch_service_handle(struct microapp *launcher, uint64_t tag, uint64_t *message, uint64_t *reply_tag)
{
    unsigned words = MESSAGE_TAG_WORDS(tag);
    uint64_t operation = MESSAGE_TAG_LABEL(tag);
    if (operation == LABEL_LAUNCH_SPEC_WRITE) {
        spec_write(launcher, words, message, reply_tag);
        return;
    }
    if (operation == LABEL_LAUNCH_CREATE) {
        create(launcher, words, message, reply_tag);
        return;
    }
    if (operation == LABEL_LAUNCH_HOST_MEMORY) {
        uint64_t free_bytes = 0, total_bytes = 0;
        memory_info(ROOT_MEMORY, &free_bytes, &total_bytes);
        message[0] = total_bytes;
        message[1] = free_bytes;
        message[2] = launcher_memory_limit(launcher->manifest);
        message[3] = memory_in_use(launcher);
        *reply_tag = MESSAGE_TAG(ERROR_NONE, 4, 0);
        return;
    }
    struct microapp *app = launched_app(launcher, words, message, reply_tag);
    if (!app) {
        return;
    }
    switch (operation) {
    case LABEL_LAUNCH_RUN:
        if (app->state != MICROAPP_GRANTED) {
            answer(message, reply_tag, ERROR_INVALID_OPERATION, "%s runs already or has ended", app->manifest->name);
            return;
        }
        if (microapp_run(app) != ERROR_NONE) {
            answer(message, reply_tag, ERROR_INVALID_OPERATION, "%s", app->end_reason);
            return;
        }
        *reply_tag = MESSAGE_TAG(ERROR_NONE, 0, 0);
        return;
    case LABEL_LAUNCH_STOP:
        if (app->state == MICROAPP_FINISHED) {
            answer(message, reply_tag, ERROR_INVALID_OPERATION, "%s has ended already: %s", app->manifest->name,
                   app->end_reason);
            return;
        }
        microapp_end(app, "stopped by its launcher");
        *reply_tag = MESSAGE_TAG(ERROR_NONE, 0, 0);
        return;
    case LABEL_LAUNCH_STATUS:
        status(app, message, reply_tag);
        return;
    case LABEL_LAUNCH_RELEASE:
        release(app, message, reply_tag);
        return;
    default:
        answer(message, reply_tag, ERROR_INVALID_OPERATION, "unknown launch operation 0x%llx",
               (unsigned long long)operation);
        return;
    }
}

void launch_service_launcher_ended(const struct microapp *app)
{
    if (!apps || app->index >= boot->app_count) {
        return; /* no launch service yet (the boot), or a launched app: launched apps cannot launch */
    }
    /* Before the launcher's factory goes: its launched apps' factories and end notices were made from it. */
    for (size_t i = boot->app_count; i < capacity; i++) {
        if (apps[i].launcher == app) {
            microapp_end(&apps[i], "stopped: its launcher %s ended", app->manifest->name);
            delete_end_notice(&apps[i]); /* nobody is left to release it */
        }
    }
    for (size_t i = 0; i < MAX_LAUNCHERS; i++) {
        if (specs[i].launcher == app) {
            specs[i].launcher = NULL;
        }
    }
}
