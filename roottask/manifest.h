/*
 * The boot manifest: which Micro-Apps the root task starts, from which image,
 * with which resources and capabilities. A small declarative text file,
 * `manifest.txt` in the boot modules. Pure C (no system calls), so it is
 * unit-tested on the host.
 *
 * Example:
 *
 *     # comment
 *     microapp ktest_user
 *         image ktest_user.elf
 *         priority 10
 *         quota 1M                      # kernel-object quota of its factory
 *         memory 16M                    # heap limit, demand-paged by the root task
 *         capability log                # named capabilities it receives, in order
 *         capability factory quota=256K # a child factory, paid from the app's quota
 *         capability scheduler
 *         capability peer:other_app     # a gate to the main thread of another app
 *         file bzImage                  # boot archive files, mapped read-only into the app
 *         file initramfs.cpio
 *         shared net-ab 64K             # memory shared with every other app that names net-ab
 *         arguments --verbose
 *
 * Grammar (bytes; the file need not end with a newline):
 *
 *     manifest   = { line }
 *     line       = [ blank ] [ statement ] [ blank ] [ comment ] ( LF | CR LF | end of file )
 *     blank      = ( SP | TAB ) { SP | TAB }
 *     comment    = "#" { any byte except LF }      -- '#' starts a comment wherever it appears
 *     statement  = "microapp" blank app-name
 *                | "image" blank image-name
 *                | "priority" blank number          -- MANIFEST_MIN_PRIORITY..MANIFEST_MAX_PRIORITY
 *                | "quota" blank size               -- MANIFEST_MIN_QUOTA..MANIFEST_MAX_QUOTA
 *                | "memory" blank size              -- 0..MANIFEST_MAX_MEMORY, a multiple of 4K
 *                | "capability" blank source { blank option }
 *                | "arguments" blank text           -- the rest of the line, trailing blanks removed
 *                | "file" blank file-name
 *                | "shared" blank region-name blank size     -- MANIFEST_MIN_SHARED_SIZE..MANIFEST_MAX_SHARED_SIZE,
 *                                                               a multiple of 4K
 *     app-name   = letter { letter | digit | "_" | "-" }          -- at most 31 bytes
 *     image-name = name-byte { name-byte }, name-byte = letter | digit | "_" | "-" | "." | "/"
 *                                                                 -- at most 63 bytes
 *     file-name  = name-byte { name-byte }                        -- at most 47 bytes
 *     region-name = letter { letter | digit | "_" | "-" }         -- at most 31 bytes
 *     number     = digit { digit }                                -- decimal
 *     size       = number [ "K" | "M" | "G" ]                     -- bytes, KiB, MiB, GiB
 *     source     = "log" | "factory" | "scheduler" | "icu" | "io_ports" | "device_memory" | "dma_memory"
 *                | "launcher" | "peer:" app-name
 *     option     = "quota=" size                                  -- factory only, and required there
 *                | "memory=" size                                 -- launcher only, and required there
 *     text       = at most 255 bytes, no control bytes, no '#'
 *
 * Keywords, names and suffixes are case-sensitive. Indentation is free; every
 * statement after a "microapp" line belongs to that Micro-App until the next
 * "microapp" line. Lines are at most MANIFEST_MAX_LINE bytes (without the line
 * end), the file at most MANIFEST_MAX_SIZE bytes. Control bytes (NUL, CR other
 * than before LF, DEL, ...) are errors anywhere, comments included.
 *
 * Per Micro-App: "image" is required; "priority" (default 10), "quota"
 * (default 1M), "memory" (default 1M) and "arguments" (default empty) are
 * optional; each of these at most once. ("memory 0" means no heap at all; the
 * runtime's stdio needs a few KiB of heap, so an app that prints needs some.) "capability" lines, at most
 * APP_MAX_NAMED_CAPABILITIES, each source at most once, are handed over in
 * manifest order from slot APP_FIRST_NAMED on and listed by name in the app's
 * environment ("log", "factory", "scheduler", "peer:<app>"). "file" lines, at
 * most MANIFEST_MAX_FILES, each name at most once, name files of the boot
 * archive (a missing one stops the app from starting, with its name).
 * "shared" lines, at most MANIFEST_MAX_SHARED, each name at most once, name
 * regions of memory shared between apps: every app that names a region must
 * give the same size, and a region needs at least two apps (one alone is
 * refused as the mistake it almost certainly is); a manifest has at most
 * MANIFEST_MAX_SHARED_REGIONS of them.
 *
 * Files: the root task copies each file into fresh pages of its own and maps
 * them into the app read-only (not writable, not executable) from
 * APP_FILES_ADDRESS on, in manifest order, each from a page boundary, at most
 * APP_FILES_MAX_SIZE together; the environment lists name, address and size
 * (kapsel/environment.h; the runtime's environment_file() finds them). The
 * pages are the root task's memory, but their mapping into the app costs the
 * app's quota: a 64-byte mapping record per page and the page tables, about
 * 18 KiB per MiB of file (an 8 MiB kernel: about 150 KiB), so an app with
 * large files needs a quota to match.
 *
 * Shared regions: the root task allocates a region's zeroed pages in its own
 * address space once, when the first app that names it is created, and maps
 * those same pages into each app that names it, readable and writable (not
 * executable): the app's i-th "shared" line at APP_SHARED_ADDRESS + i *
 * APP_SHARED_MAX_SIZE; the environment lists name, address and size (the
 * runtime's environment_shared() finds them). The root task frees the pages
 * when the last app that holds them has finished. As with files, the mapping
 * costs each app's quota: about 18 KiB for a 1 MiB region. The root task adds
 * no synchronisation: the apps agree on their own protocol, e.g. over a
 * "peer:<app>" gate.
 *
 * Capability sources:
 *   log        a gate to the root task's log service, labelled for this app
 *   factory    a new factory with quota=<size>, created from the app's OWN
 *              factory: it is part of the app's quota, not extra. The app's
 *              quota must exceed the sum of its factories' quotas by at least
 *              MANIFEST_MIN_OWN_QUOTA (for its own task, thread, page tables).
 *   scheduler  the root task's scheduler capability, without RIGHT_DELETE
 *   icu        the interrupt controller: binding Irqs to hardware lines (drivers only)
 *   io_ports   the x86 I/O port space: granting port ranges to tasks (the PCI and device owners only)
 *   device_memory
 *              mapping device MMIO (physical ranges that are not RAM, nor the
 *              kernel's interrupt controllers) into the app, uncached, and
 *              passing it on to drivers: the PCI Micro-App only (it gives no RAM)
 *   dma_memory drivers only: memory whose physical address the holder learns
 *              (physically contiguous, zeroed RAM for rings and buffers,
 *              charged to the app's quota, frames included)
 *   launcher   memory=<size>: may ask the root task to start further Micro-Apps (launch_service.h) whose heaps
 *              together stay within <size>, paid from this app's own quota; it receives their log lines and
 *              learns how they ended
 *   peer:<app> a gate bound to the main thread of <app> (another Micro-App of
 *              this manifest, declared before or after); <app> receives this
 *              app's messages with the gate label = this app's index in the
 *              manifest (from 0; an app launched later: LAUNCH_LABEL_LAUNCHED_PEER
 *              | its handle, kapsel/launcher.h)
 *
 * Micro-Apps: at least one, at most MANIFEST_MAX_APPS, unique names.
 * Every error stops the parse and is reported with its line number and reason,
 * e.g. "manifest line 7: unknown key 'prioirty'"; nothing is silently ignored.
 */
#ifndef ROOTTASK_MANIFEST_H
#define ROOTTASK_MANIFEST_H

#include <kapsel/environment.h>
#include <kapsel/error.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX_APPS 120 /* a host full of small VMs: one uvmm app each */
#define MANIFEST_MAX_CAPABILITIES APP_MAX_NAMED_CAPABILITIES
#define MANIFEST_NAME_SIZE APP_NAME_SIZE /* app names: at most 31 bytes and a NUL */
#define MANIFEST_IMAGE_SIZE 64           /* image names: at most 63 bytes and a NUL */
#define MANIFEST_MAX_FILES APP_MAX_FILES
#define MANIFEST_FILE_SIZE APP_FILE_NAME_SIZE            /* file names: at most 47 bytes and a NUL */
#define MANIFEST_ARGUMENTS_SIZE APP_ARGUMENTS_SIZE       /* = sizeof(struct app_environment.arguments) */
#define MANIFEST_MAX_SHARED APP_MAX_SHARED               /* "shared" lines per app */
#define MANIFEST_SHARED_NAME_SIZE APP_SHARED_NAME_SIZE   /* region names: at most 31 bytes and a NUL */
#define MANIFEST_MAX_SHARED_REGIONS 16                   /* distinct region names in a manifest */
#define MANIFEST_MAX_LINE (MANIFEST_ARGUMENTS_SIZE + 64) /* an "arguments" line of the longest arguments */
#define MANIFEST_MAX_SIZE (1024u * 1024u)

#define MANIFEST_MIN_PRIORITY 1   /* 0 is the idle thread's */
#define MANIFEST_MAX_PRIORITY 254 /* 255 stays above every Micro-App, for system services */
#define MANIFEST_DEFAULT_PRIORITY 10

#define MANIFEST_KIB 1024ull
#define MANIFEST_MIB (1024ull * MANIFEST_KIB)
#define MANIFEST_GIB (1024ull * MANIFEST_MIB)
#define MANIFEST_MIN_OWN_QUOTA (128 * MANIFEST_KIB) /* task, thread, gates, page tables, mapping records */
#define MANIFEST_MIN_QUOTA MANIFEST_MIN_OWN_QUOTA
#define MANIFEST_MAX_QUOTA (4 * MANIFEST_GIB)
#define MANIFEST_DEFAULT_QUOTA MANIFEST_MIB
#define MANIFEST_MIN_FACTORY_QUOTA (4 * MANIFEST_KIB)
#define MANIFEST_MAX_MEMORY (4 * MANIFEST_GIB)
#define MANIFEST_DEFAULT_MEMORY MANIFEST_MIB
#define MANIFEST_MAX_LAUNCHER_MEMORY (64 * MANIFEST_GIB)
#define MANIFEST_PAGE_SIZE 4096ull
#define MANIFEST_MIN_SHARED_SIZE MANIFEST_PAGE_SIZE
#define MANIFEST_MAX_SHARED_SIZE APP_SHARED_MAX_SIZE /* 1 MiB */

enum manifest_capability_type {
    MANIFEST_CAPABILITY_LOG = 1,
    MANIFEST_CAPABILITY_FACTORY,
    MANIFEST_CAPABILITY_SCHEDULER,
    MANIFEST_CAPABILITY_ICU,
    MANIFEST_CAPABILITY_IO_PORTS,
    MANIFEST_CAPABILITY_PEER,
    MANIFEST_CAPABILITY_DEVICE_MEMORY,
    MANIFEST_CAPABILITY_DMA_MEMORY,
    MANIFEST_CAPABILITY_LAUNCHER,
    MANIFEST_CAPABILITY_CLOCK, /* the scheduler, read only: time since boot and the wall clock, nothing to run */
};

struct manifest_capability {
    enum manifest_capability_type type;
    char name[APP_CAPABILITY_NAME_SIZE]; /* as the app's environment lists it, e.g. "peer:server" */
    uint64_t quota;                      /* factory: bytes */
    uint64_t memory;                     /* launcher: heap bytes its launched apps may have together */
    size_t peer;                         /* peer: index of the app in manifest.apps */
    unsigned line;
};

struct manifest_file {
    char name[MANIFEST_FILE_SIZE]; /* a file of the boot archive */
    unsigned line;
};

struct manifest_shared {
    char name[MANIFEST_SHARED_NAME_SIZE];
    uint64_t size; /* bytes, a multiple of 4K */
    size_t region; /* index in manifest.regions: the same in every app that names it */
    unsigned line;
};

/* One shared region, however many apps name it. */
struct manifest_region {
    char name[MANIFEST_SHARED_NAME_SIZE];
    uint64_t size;
    size_t users;  /* apps that name it: at least 2 once parsed */
    unsigned line; /* where it is first named */
};

struct manifest_app {
    char name[MANIFEST_NAME_SIZE];
    char image[MANIFEST_IMAGE_SIZE];
    uint8_t priority;
    uint64_t quota;  /* bytes of kernel objects its factory may hold */
    uint64_t memory; /* heap limit in bytes */
    size_t capability_count;
    struct manifest_capability capabilities[MANIFEST_MAX_CAPABILITIES];
    char arguments[MANIFEST_ARGUMENTS_SIZE];
    size_t file_count;
    struct manifest_file files[MANIFEST_MAX_FILES]; /* delivered read-only at APP_FILES_ADDRESS, in this order */
    size_t shared_count;
    struct manifest_shared shared[MANIFEST_MAX_SHARED]; /* mapped read-write from APP_SHARED_ADDRESS, in this order */
    unsigned line;                                      /* of its "microapp" statement */
};

struct manifest {
    size_t app_count;
    struct manifest_app apps[MANIFEST_MAX_APPS];
    size_t region_count;
    struct manifest_region regions[MANIFEST_MAX_SHARED_REGIONS]; /* in the order they are first named */
};

struct manifest_error {
    unsigned line;     /* 1-based; 0 when the problem is the manifest as a whole */
    char message[192]; /* complete, e.g. "manifest line 7: unknown key 'prioirty'" */
};

/*
 * Parses size bytes of text (any bytes; no NUL terminator needed). On the
 * first problem returns ERROR_MALFORMED with *error filled in; *manifest is
 * then unspecified.
 */
enum error manifest_parse(const char *text, size_t size, struct manifest *manifest, struct manifest_error *error);

/*
 * Parses a launch spec (launch_service.h): the same grammar, exactly one Micro-App, whose "peer:<app>" capabilities
 * name apps of the boot manifest boot (capability.peer indexes boot->apps) and whose "shared" lines name memory its
 * launcher supplies (no manifest region: shared[i].region is 0). The app is spec->apps[0].
 */
enum error manifest_parse_launch(const char *text, size_t size, const struct manifest *boot, struct manifest *spec,
                                 struct manifest_error *error);

/* The app named name, or NULL. */
const struct manifest_app *manifest_find_app(const struct manifest *manifest, const char *name);

#endif
