/*
 * One Micro-App as the root task manages it: the kernel objects it made for
 * it, where its memory is, and its state. Starting takes three steps over all
 * apps, so that a "peer:<app>" capability can name an app declared later:
 * microapp_create for every app, then microapp_grant, then microapp_run.
 *
 * Objects the root task makes for app number i live in its own capability
 * slots MICROAPP_ROOT_SLOTS_FIRST + i * MICROAPP_ROOT_SLOTS_PER_APP + offset:
 * the app's factory, task, thread and pager gate, then one slot per named
 * capability that needs a new object (log gate, child factory, peer gate).
 * Everything except the app factory itself is created from the app factory,
 * so the app's quota pays for all of it (page tables and mapping records of
 * its task included).
 */
#ifndef ROOTTASK_MICROAPP_H
#define ROOTTASK_MICROAPP_H

#include "log_service.h"
#include "manifest.h"

#include <kapsel/abi.h>
#include <kapsel/launcher.h>
#include <stdbool.h>
#include <stdint.h>

#define MICROAPP_CAPABILITY_SLOTS 256 /* the app task's capability table */
#define MICROAPP_TIME_SLICE 2         /* scheduler ticks per turn */

#define MICROAPP_ROOT_SLOTS_FIRST 64
#define MICROAPP_ROOT_SLOTS_PER_APP 32
enum microapp_root_slot {
    MICROAPP_SLOT_FACTORY,
    MICROAPP_SLOT_TASK,
    MICROAPP_SLOT_THREAD,
    MICROAPP_SLOT_PAGER_GATE,
    MICROAPP_SLOT_FIRST_NAMED, /* named capability n: MICROAPP_SLOT_FIRST_NAMED + n */
    /* A launched app's end notice to its launcher (launch_service.h): outlives the app until the launcher releases
     * it, so microapp_end leaves it alone. */
    MICROAPP_SLOT_ENDED_IRQ = MICROAPP_ROOT_SLOTS_PER_APP - 1,
    /* A launched app's control gate (launch_service.h): a gate to its thread from its own factory. */
    MICROAPP_SLOT_CONTROL_GATE = MICROAPP_ROOT_SLOTS_PER_APP - 2,
};

/*
 * Labels of the root task's gates: what kind of service, and for which app
 * (its index in the manifest). The pager gate carries page faults,
 * exceptions and exit; the log gate log lines.
 */
#define GATE_LABEL_PAGER 0x100u
#define GATE_LABEL_LOG 0x200u
#define GATE_LABEL_LAUNCHER 0x300u
#define GATE_LABEL_KIND_MASK 0xff00u
#define GATE_LABEL_INDEX_MASK 0x00ffu
#define GATE_LABEL(kind, index) ((uint64_t)(kind) | (uint64_t)(index))

/* Rights an app gets for the capabilities the root task hands it: never RIGHT_DELETE. */
#define MICROAPP_SELF_RIGHTS (RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT) /* APP_TASK, APP_THREAD */
#define MICROAPP_PAGER_RIGHTS (RIGHT_READ | RIGHT_WRITE)              /* cannot be passed on */
#define MICROAPP_NAMED_RIGHTS (RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT)
/* A clock: SCHEDULER_INFO only (it needs RIGHT_READ; running threads needs RIGHT_WRITE), and not passed on. */
#define MICROAPP_CLOCK_RIGHTS RIGHT_READ

enum microapp_state {
    MICROAPP_UNUSED = 0,
    MICROAPP_CREATED, /* objects made, image loaded */
    MICROAPP_GRANTED, /* capabilities and environment handed over */
    MICROAPP_RUNNING,
    MICROAPP_FINISHED, /* exited, stopped, or failed to start: everything is released */
};

struct microapp {
    const struct manifest_app *manifest;
    size_t index;
    const struct microapp *apps;     /* the table it is part of (apps[index] is itself): who else holds its regions */
    size_t app_count;                /* the boot manifest's apps, which are apps[0..app_count) */
    const struct microapp *launcher; /* the app that launched it (launch_service.h); NULL for the boot manifest's */
    char end_reason[LAUNCH_REASON_SIZE]; /* why it ended, once FINISHED: "exited with status 0", ... */
    enum microapp_state state;
    uint32_t root_slots_used; /* bit n: the root slot at offset n holds an object made for this app */
    uint64_t window;          /* its scratch window in the root task (root_memory.h) */
    uint64_t entry;
    uint64_t image_base;  /* the app address of its lowest image page; mirrored at window + 0 */
    uint64_t image_pages; /* pages from image_base to the end of its highest segment */
    uint64_t heap_pages;  /* heap pages below the highest one handed out (what release must cover) */
    uint64_t file_pages;  /* pages of all its files from APP_FILES_ADDRESS on (its file window's extent) */
    struct {
        uint64_t address; /* in the app, from APP_FILES_ADDRESS on */
        uint64_t size;
        /* 1 + the slot of the root task's copy it is mapped from (app_files.c), shared with other apps; 0: none yet,
         * which is what a freshly zeroed app says, so an app that fails before its files holds none */
        unsigned copy_held;
    } files[MANIFEST_MAX_FILES]; /* where the manifest's files are, in its order */
    struct log_line log;
};

/* The root task's slot at offset (enum microapp_root_slot) for this app. */
uint64_t microapp_root_slot(const struct microapp *app, unsigned offset);

/*
 * Step 1: the app's factory, task, thread and pager gate; its image found, checked and loaded; its files and shared
 * regions mapped.
 */
enum error microapp_create(struct microapp *app, const struct root_boot_info *boot_info);

/* Step 2: its capabilities (fixed and named) and its environment page; peers must be created. */
enum error microapp_grant(struct microapp *app, const struct microapp *apps, size_t app_count);

/* Step 3: its main thread starts at the image's entry with the stack at APP_STACK_TOP. */
enum error microapp_run(struct microapp *app);

/*
 * Records why the app ends (printf-style, into end_reason), prints "<app>: <reason>" and deletes every object made
 * for it (its task first, which stops its threads) and frees its memory. A launched app's launcher is told.
 */
void microapp_end(struct microapp *app, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
