#include "microapp.h"

#include "app_files.h"
#include "app_shared.h"
#include "boot_modules.h"
#include "launch_service.h"
#include "loader.h"
#include "root_memory.h"

#include <kapsel/elf.h>
#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* User addresses end here (the kernel's USER_ADDRESS_LIMIT); images must lie below it. */
#define MICROAPP_ADDRESS_LIMIT 0x00007ffffffff000ull

_Static_assert(MICROAPP_SLOT_FIRST_NAMED + MANIFEST_MAX_CAPABILITIES <= MICROAPP_SLOT_CONTROL_GATE,
               "an app's root slots hold all its named capabilities");
_Static_assert(MICROAPP_ROOT_SLOTS_FIRST >= ROOT_FIRST_FREE_SLOT, "app slots start after the root's own");
_Static_assert(MICROAPP_ROOT_SLOTS_FIRST + MANIFEST_MAX_APPS * MICROAPP_ROOT_SLOTS_PER_APP <= ROOT_CAPABILITY_SLOTS,
               "every app's root slots fit the root task's table");
_Static_assert(APP_FIRST_NAMED + MANIFEST_MAX_CAPABILITIES <= MICROAPP_CAPABILITY_SLOTS,
               "the named capabilities fit the app's table");
_Static_assert(sizeof(struct app_environment) <= ROOT_PAGE_SIZE, "the environment fits one page");
_Static_assert(MANIFEST_ARGUMENTS_SIZE == sizeof(((struct app_environment *)0)->arguments),
               "manifest arguments fit the environment");
_Static_assert(MANIFEST_MAX_APPS <= GATE_LABEL_INDEX_MASK + 1, "gate labels can name every app");
_Static_assert(MANIFEST_MAX_FILES == APP_MAX_FILES && MANIFEST_FILE_SIZE == APP_FILE_NAME_SIZE,
               "the manifest's files fit the environment");
_Static_assert(MANIFEST_MAX_SHARED == APP_MAX_SHARED && MANIFEST_SHARED_NAME_SIZE == APP_SHARED_NAME_SIZE,
               "the manifest's shared regions fit the environment");

uint64_t microapp_root_slot(const struct microapp *app, unsigned offset)
{
    return MICROAPP_ROOT_SLOTS_FIRST + (uint64_t)app->index * MICROAPP_ROOT_SLOTS_PER_APP + offset;
}

/* Notes that the root slot at offset now holds an object microapp_end must delete. */
static enum error created(struct microapp *app, unsigned offset, enum error error)
{
    if (error == ERROR_NONE) {
        app->root_slots_used |= 1u << offset;
    }
    return error;
}

/* On failure: says which step failed and why, and releases what the app got so far. */
static enum error check_step(struct microapp *app, enum error error, const char *step, const char *reason)
{
    if (error != ERROR_NONE) {
        microapp_end(app, "not started: %s failed: %s%s%s%s", step, error_name(error), reason ? " (" : "",
                     reason ? reason : "", reason ? ")" : "");
    }
    return error;
}

/* check_step for one of the app's files or shared regions: the step names it. */
static enum error check_named_step(struct microapp *app, enum error error, const char *step, const char *name,
                                   const char *reason)
{
    if (error == ERROR_NONE) {
        return error;
    }
    char named_step[40 + MANIFEST_FILE_SIZE];
    snprintf(named_step, sizeof(named_step), "%s '%s'", step, name);
    return check_step(app, error, named_step, reason);
}

static enum error create_objects(struct microapp *app)
{
    uint64_t factory = microapp_root_slot(app, MICROAPP_SLOT_FACTORY);
    /* A launched app's quota is part of its launcher's: what the launcher may start is bounded by what it holds. */
    uint64_t parent = app->launcher ? microapp_root_slot(app->launcher, MICROAPP_SLOT_FACTORY) : ROOT_FACTORY;
    enum error error =
        created(app, MICROAPP_SLOT_FACTORY, factory_create_factory(parent, factory, app->manifest->quota));
    if (check_step(app, error, "creating its factory", NULL) != ERROR_NONE) {
        return error;
    }
    error =
        created(app, MICROAPP_SLOT_TASK,
                factory_create_task(factory, microapp_root_slot(app, MICROAPP_SLOT_TASK), MICROAPP_CAPABILITY_SLOTS));
    if (check_step(app, error, "creating its task", NULL) != ERROR_NONE) {
        return error;
    }
    error = created(app, MICROAPP_SLOT_THREAD,
                    factory_create_thread(factory, microapp_root_slot(app, MICROAPP_SLOT_THREAD)));
    if (check_step(app, error, "creating its thread", NULL) != ERROR_NONE) {
        return error;
    }
    error = created(app, MICROAPP_SLOT_PAGER_GATE,
                    factory_create_gate(factory, microapp_root_slot(app, MICROAPP_SLOT_PAGER_GATE), ROOT_THREAD,
                                        GATE_LABEL(GATE_LABEL_PAGER, app->index)));
    return check_step(app, error, "creating its pager gate", NULL);
}

enum error microapp_create(struct microapp *app, const struct root_boot_info *boot_info)
{
    const struct manifest_app *manifest = app->manifest;
    const char *reason = NULL;
    struct boot_file file;
    struct boot_file files[MANIFEST_MAX_FILES];
    size_t failed_file = 0;
    struct elf_image image;
    app->window = scratch_window(app->index);
    app->state = MICROAPP_UNUSED;

    enum error error = boot_modules_find(boot_info, manifest->image, &file, &reason);
    if (check_step(app, error, "finding its image", reason) != ERROR_NONE) {
        return error;
    }
    error = elf_image_parse(file.data, file.size, ELF_MACHINE_X86_64, MICROAPP_ADDRESS_LIMIT, &image, &reason);
    if (check_step(app, error, "checking its image", reason) != ERROR_NONE) {
        return error;
    }
    if (!app->launcher) { /* a launched app's launcher placed and maps its files (launch_service.h) */
        error = app_files_find(app, boot_info, files, &failed_file, &reason);
        if (check_named_step(app, error, "finding its file", manifest->files[failed_file].name, reason) != ERROR_NONE) {
            return error;
        }
    }
    error = create_objects(app);
    if (error != ERROR_NONE) {
        return error;
    }
    error = loader_load(app, file.data, &image, &reason);
    if (check_step(app, error, "loading its image", reason) != ERROR_NONE) {
        return error;
    }
    if (!app->launcher) {
        error = app_files_load(app, files, &failed_file, &reason);
        if (check_named_step(app, error, "loading its file", manifest->files[failed_file].name, reason) != ERROR_NONE) {
            return error;
        }
    }
    size_t failed_region = 0;
    /* A launched app's regions are its launcher's memory, which the launcher maps (launch_service.h). */
    error = app->launcher ? ERROR_NONE : app_shared_load(app, &failed_region, &reason);
    if (check_named_step(app, error, "loading its shared region", manifest->shared[failed_region].name, reason) !=
        ERROR_NONE) {
        return error;
    }
    /* The pager also takes the exceptions: one gate for everything that stops the app. */
    error = thread_configure(microapp_root_slot(app, MICROAPP_SLOT_THREAD), microapp_root_slot(app, MICROAPP_SLOT_TASK),
                             APP_UTCB_ADDRESS, APP_PAGER, APP_PAGER);
    if (check_step(app, error, "configuring its thread", NULL) != ERROR_NONE) {
        return error;
    }
    app->state = MICROAPP_CREATED;
    return ERROR_NONE;
}

/* Copies one capability of the root task into the app's table, with rights reduced to rights. */
static enum error hand_over(struct microapp *app, uint64_t root_slot, unsigned rights, uint64_t app_slot)
{
    return task_map_capability(microapp_root_slot(app, MICROAPP_SLOT_TASK), ITEM_CAPABILITY(root_slot, 0, rights, 0),
                               app_slot);
}

/* The root task's slot holding what named capability number n gives the app (made now if it is new). */
static enum error make_named(struct microapp *app, size_t n, const struct microapp *apps, uint64_t *source,
                             const char **reason)
{
    const struct manifest_capability *capability = &app->manifest->capabilities[n];
    uint64_t factory = microapp_root_slot(app, MICROAPP_SLOT_FACTORY);
    unsigned offset = MICROAPP_SLOT_FIRST_NAMED + (unsigned)n;
    *source = microapp_root_slot(app, offset);
    switch (capability->type) {
    case MANIFEST_CAPABILITY_LOG:
        if (app->launcher) { /* its launcher alone reads what it writes (a VM's console is its tenant's) */
            return created(app, offset,
                           factory_create_gate(factory, *source,
                                               microapp_root_slot(app->launcher, MICROAPP_SLOT_THREAD),
                                               LAUNCH_LABEL_LOG | app->index));
        }
        return created(app, offset,
                       factory_create_gate(factory, *source, ROOT_THREAD, GATE_LABEL(GATE_LABEL_LOG, app->index)));
    case MANIFEST_CAPABILITY_LAUNCHER:
        return created(app, offset,
                       factory_create_gate(factory, *source, ROOT_THREAD, GATE_LABEL(GATE_LABEL_LAUNCHER, app->index)));
    case MANIFEST_CAPABILITY_FACTORY:
        /* From the app's own factory: the child's quota is part of the app's (see manifest.h). */
        return created(app, offset, factory_create_factory(factory, *source, capability->quota));
    case MANIFEST_CAPABILITY_SCHEDULER:
    case MANIFEST_CAPABILITY_CLOCK: /* the same object; grant_named leaves the clock only RIGHT_READ */
        *source = ROOT_SCHEDULER;   /* handed over without RIGHT_DELETE, like every named capability */
        return ERROR_NONE;
    case MANIFEST_CAPABILITY_ICU:
        *source = ROOT_ICU;
        return ERROR_NONE;
    case MANIFEST_CAPABILITY_IO_PORTS:
        *source = ROOT_IO_PORTS;
        return ERROR_NONE;
    case MANIFEST_CAPABILITY_DEVICE_MEMORY:
        *source = ROOT_DEVICE_MEMORY;
        return ERROR_NONE;
    case MANIFEST_CAPABILITY_DMA_MEMORY:
        *source = ROOT_DMA_MEMORY;
        return ERROR_NONE;
    case MANIFEST_CAPABILITY_PEER: {
        const struct microapp *peer = &apps[capability->peer];
        /* Running already: the peer of an app launched later (launch_service.h). */
        if (peer->state != MICROAPP_CREATED && peer->state != MICROAPP_GRANTED && peer->state != MICROAPP_RUNNING) {
            *reason = "the peer did not start";
            return ERROR_PEER_GONE;
        }
        /* A launched app's label says so: its peer can tell it from the boot manifest's apps, which it may trust
         * with more (e.g. the switch takes port requests only from those). */
        uint64_t label = app->launcher ? LAUNCH_LABEL_LAUNCHED_PEER | app->index : app->index;
        return created(app, offset,
                       factory_create_gate(factory, *source, microapp_root_slot(peer, MICROAPP_SLOT_THREAD), label));
    }
    }
    *reason = "unknown capability type";
    return ERROR_INVALID_ARGUMENT;
}

static enum error grant_named(struct microapp *app, const struct microapp *apps, struct app_environment *environment)
{
    const struct manifest_app *manifest = app->manifest;
    for (size_t n = 0; n < manifest->capability_count; n++) {
        const char *reason = NULL;
        uint64_t source;
        enum error error = make_named(app, n, apps, &source, &reason);
        if (error == ERROR_NONE) {
            unsigned rights = manifest->capabilities[n].type == MANIFEST_CAPABILITY_CLOCK ? MICROAPP_CLOCK_RIGHTS
                                                                                          : MICROAPP_NAMED_RIGHTS;
            error = hand_over(app, source, rights, APP_FIRST_NAMED + n);
        }
        if (error != ERROR_NONE) {
            printf("%s: capability '%s' (manifest line %u): %s%s%s%s\n", manifest->name, manifest->capabilities[n].name,
                   manifest->capabilities[n].line, error_name(error), reason ? " (" : "", reason ? reason : "",
                   reason ? ")" : "");
            return error;
        }
        memcpy(environment->named[n].name, manifest->capabilities[n].name, APP_CAPABILITY_NAME_SIZE);
        environment->named[n].slot = APP_FIRST_NAMED + n;
        environment->named_count = n + 1;
    }
    return ERROR_NONE;
}

/* Where its files and shared regions are, for the environment. */
static void list_files_and_regions(const struct microapp *app, struct app_environment *environment)
{
    const struct manifest_app *manifest = app->manifest;
    for (size_t i = 0; i < manifest->file_count; i++) {
        memcpy(environment->files[i].name, manifest->files[i].name, APP_FILE_NAME_SIZE);
        environment->files[i].address = app->files[i].address;
        environment->files[i].size = app->files[i].size;
    }
    environment->file_count = manifest->file_count;
    for (size_t i = 0; i < manifest->shared_count; i++) {
        memcpy(environment->shared[i].name, manifest->shared[i].name, APP_SHARED_NAME_SIZE);
        environment->shared[i].address = app_shared_address(i);
        environment->shared[i].size = manifest->shared[i].size;
    }
    environment->shared_count = manifest->shared_count;
}

/* Fills the app's environment page (in the root task) and maps it read-only at APP_ENVIRONMENT_ADDRESS. */
static enum error grant_environment(struct microapp *app, const struct microapp *apps)
{
    const struct manifest_app *manifest = app->manifest;
    uint64_t copy = app->window + SCRATCH_ENVIRONMENT_OFFSET;
    bool existed;
    enum error error = root_page_allocate(copy, MEMORY_READ | MEMORY_WRITE, &existed);
    if (check_step(app, error, "allocating its environment page", NULL) != ERROR_NONE) {
        return error;
    }
    struct app_environment *environment = (struct app_environment *)(uintptr_t)copy;
    memset(environment, 0, sizeof(*environment));
    environment->magic = APP_ENVIRONMENT_MAGIC;
    memcpy(environment->name, manifest->name, sizeof(environment->name));
    environment->heap_base = APP_HEAP_BASE;
    environment->heap_size = manifest->memory;
    environment->capability_slots = MICROAPP_CAPABILITY_SLOTS;
    memcpy(environment->arguments, manifest->arguments, sizeof(environment->arguments));
    list_files_and_regions(app, environment);
    error = grant_named(app, apps, environment);
    if (check_step(app, error, "handing over its named capabilities", NULL) != ERROR_NONE) {
        return error;
    }
    error = task_map(microapp_root_slot(app, MICROAPP_SLOT_TASK), ITEM_MEMORY(copy / ROOT_PAGE_SIZE, 0, MEMORY_READ, 0),
                     APP_ENVIRONMENT_ADDRESS);
    return check_step(app, error, "mapping its environment page", NULL);
}

enum error microapp_grant(struct microapp *app, const struct microapp *apps, size_t app_count)
{
    (void)app_count; /* peers were resolved against the same manifest, so their index is in range */
    enum error error = hand_over(app, microapp_root_slot(app, MICROAPP_SLOT_TASK), MICROAPP_SELF_RIGHTS, APP_TASK);
    if (error == ERROR_NONE) {
        error = hand_over(app, microapp_root_slot(app, MICROAPP_SLOT_THREAD), MICROAPP_SELF_RIGHTS, APP_THREAD);
    }
    if (error == ERROR_NONE) {
        error = hand_over(app, microapp_root_slot(app, MICROAPP_SLOT_PAGER_GATE), MICROAPP_PAGER_RIGHTS, APP_PAGER);
    }
    if (check_step(app, error, "handing over its task, thread and pager capabilities", NULL) != ERROR_NONE) {
        return error;
    }
    error = grant_environment(app, apps);
    if (error == ERROR_NONE) {
        app->state = MICROAPP_GRANTED;
    }
    return error;
}

/* The end of the start report: its shared regions, by name and size. */
static void print_regions(const struct manifest_app *manifest)
{
    if (manifest->shared_count == 0) {
        return;
    }
    printf(", %u shared regions (", (unsigned)manifest->shared_count);
    for (size_t i = 0; i < manifest->shared_count; i++) {
        printf("%s%s %llu KiB", i == 0 ? "" : ", ", manifest->shared[i].name,
               (unsigned long long)(manifest->shared[i].size / 1024));
    }
    printf(")");
}

enum error microapp_run(struct microapp *app)
{
    const struct manifest_app *manifest = app->manifest;
    uint64_t thread = microapp_root_slot(app, MICROAPP_SLOT_THREAD);
    /* %rdi is not set: the runtime finds its environment at the fixed APP_ENVIRONMENT_ADDRESS. */
    enum error error = thread_ex_regs(thread, app->entry, APP_STACK_TOP, 0);
    if (check_step(app, error, "setting its entry point and stack", NULL) != ERROR_NONE) {
        return error;
    }
    error = scheduler_run(ROOT_SCHEDULER, thread, manifest->priority, MICROAPP_TIME_SLICE);
    if (check_step(app, error, "starting its thread", NULL) != ERROR_NONE) {
        return error;
    }
    app->state = MICROAPP_RUNNING;
    printf("roottask: started %s: image %s (entry 0x%llx, %llu KiB), priority %u, quota %llu KiB, heap %llu KiB, "
           "%u named capabilities",
           manifest->name, manifest->image, (unsigned long long)app->entry,
           (unsigned long long)(app->image_pages * ROOT_PAGE_SIZE / 1024), (unsigned)manifest->priority,
           (unsigned long long)(manifest->quota / 1024), (unsigned long long)(manifest->memory / 1024),
           (unsigned)manifest->capability_count);
    if (manifest->file_count > 0) {
        printf(", %u files (%llu KiB)", (unsigned)manifest->file_count,
               (unsigned long long)(app->file_pages * ROOT_PAGE_SIZE / 1024));
    }
    print_regions(manifest);
    printf("\n");
    return ERROR_NONE;
}

/* Deletion order: the task first (it stops the threads and drops the app's capabilities), the factory last. */
static const unsigned finish_order[] = {
    MICROAPP_SLOT_TASK,
    MICROAPP_SLOT_THREAD,
    MICROAPP_SLOT_PAGER_GATE,
    MICROAPP_SLOT_CONTROL_GATE,
};

static void delete_root_object(struct microapp *app, unsigned offset)
{
    if (!(app->root_slots_used & (1u << offset))) {
        return;
    }
    app->root_slots_used &= ~(1u << offset);
    enum error error = task_delete_object(ROOT_TASK, microapp_root_slot(app, offset));
    if (error != ERROR_NONE) {
        printf("roottask: deleting object %u of %s failed: %s\n", offset, app->manifest->name, error_name(error));
    }
}

void microapp_end(struct microapp *app, const char *format, ...)
{
    if (app->state == MICROAPP_FINISHED) {
        return;
    }
    log_service_flush(app->manifest->name, &app->log); /* its last words before the verdict */
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(app->end_reason, sizeof(app->end_reason), format, arguments);
    va_end(arguments);
    printf("%s: %s\n", app->manifest->name, app->end_reason);
    launch_service_launcher_ended(app);
    for (size_t i = 0; i < sizeof(finish_order) / sizeof(finish_order[0]); i++) {
        delete_root_object(app, finish_order[i]);
    }
    for (unsigned n = 0; n < MANIFEST_MAX_CAPABILITIES; n++) {
        delete_root_object(app, MICROAPP_SLOT_FIRST_NAMED + n);
    }
    delete_root_object(app, MICROAPP_SLOT_FACTORY);
    /* Only now: while the app's task lived, unmapping these would have pulled its pages from under it. */
    root_pages_release(app->window + SCRATCH_IMAGE_OFFSET, app->image_pages);
    root_pages_release(app->window + SCRATCH_ENVIRONMENT_OFFSET, 1);
    root_pages_release(app->window + SCRATCH_STACK_OFFSET, APP_STACK_SIZE / ROOT_PAGE_SIZE);
    root_pages_release(app->window + SCRATCH_HEAP_OFFSET, app->heap_pages);
    app_files_release(app);
    if (!app->launcher) {
        app_shared_release(app);
    }
    app->state = MICROAPP_FINISHED;
    if (app->root_slots_used & (1u << MICROAPP_SLOT_ENDED_IRQ)) {
        enum error error = irq_trigger(microapp_root_slot(app, MICROAPP_SLOT_ENDED_IRQ));
        if (error != ERROR_NONE) {
            printf("roottask: telling the launcher of %s that it ended failed: %s\n", app->manifest->name,
                   error_name(error));
        }
    }
}
