/*
 * How the root task starts a Micro-App, and what the app's runtime finds:
 * a convention between the root task and lib/runtime, not kernel ABI.
 *
 * At entry: %rsp = APP_STACK_TOP (16-byte aligned), the environment page at
 * APP_ENVIRONMENT_ADDRESS and the UTCB at APP_UTCB_ADDRESS (no register carries anything). Stack and heap are
 * demand-paged by the pager (the root task): any touch inside [APP_STACK_TOP - APP_STACK_SIZE, APP_STACK_TOP) or inside
 * the heap gets a fresh zeroed page; any other fault stops the app.
 *
 * The files the manifest's "file <name>" lines name are mapped read-only (not writable, not executable) from
 * APP_FILES_ADDRESS on, in manifest order, one after another, each starting on a page boundary; the rest of a file's
 * last page reads as zero. The environment's files[] says where each one is (runtime: environment_file()).
 *
 * The regions the manifest's "shared <name> <size>" lines name are mapped readable and writable (not executable): the
 * app's i-th one at APP_SHARED_ADDRESS + i * APP_SHARED_MAX_SIZE, the same frames in every app that names it (zeroed
 * when the first of them is started, kept while any of them lives); the rest of its slot is not mapped. The
 * environment's shared[] says where each one is (runtime: environment_shared()).
 */
#ifndef KAPSEL_ENVIRONMENT_H
#define KAPSEL_ENVIRONMENT_H

#include <stdint.h>

#define APP_ENVIRONMENT_ADDRESS 0x00003fffffe00000ull /* struct app_environment, read-only */
#define APP_UTCB_ADDRESS 0x00007fff00000000ull
#define APP_STACK_TOP 0x00007ffe00000000ull
#define APP_STACK_SIZE 0x100000ull /* 1 MiB, demand-paged */
#define APP_HEAP_BASE 0x0000100000000000ull
#define APP_FILES_ADDRESS 0x0000200000000000ull /* the manifest's files, read-only, mapped before the app starts */
#define APP_FILES_MAX_SIZE 0x80000000ull        /* 2 GiB for all of an app's files, each rounded up to pages */
#define APP_SHARED_ADDRESS                                                                                             \
    0x0000280000000000ull               /* the manifest's shared regions, read-write, mapped before it starts */
#define APP_SHARED_MAX_SIZE 0x100000ull /* 1 MiB: the largest region, and the stride of their slots */
#define APP_PAGE_SIZE 4096ull

/* Capability slots every Micro-App has: authority over itself, and its pager. */
enum app_capability {
    APP_TASK = 1,        /* its own task */
    APP_THREAD = 2,      /* its main thread */
    APP_PAGER = 3,       /* the root task's gate for its page faults and exit (labelled for this app) */
    APP_FIRST_NAMED = 8, /* the manifest's named capabilities follow, in manifest order */
};

#define APP_ENVIRONMENT_MAGIC 0x4b617073456e7631ull /* "KapsEnv1" */
#define APP_MAX_NAMED_CAPABILITIES 16
#define APP_NAME_SIZE 32
#define APP_CAPABILITY_NAME_SIZE 24
#define APP_ARGUMENTS_SIZE 1024 /* a uvmm's arguments carry a Linux command line */
#define APP_MAX_FILES 8
#define APP_FILE_NAME_SIZE 48 /* a file's name in the boot archive: at most 47 bytes and a NUL */
#define APP_MAX_SHARED 4
#define APP_SHARED_NAME_SIZE 32 /* a shared region's name: at most 31 bytes and a NUL */
#define APP_SHARED_WINDOW_SIZE (APP_MAX_SHARED * APP_SHARED_MAX_SIZE)

struct app_named_capability {
    char name[APP_CAPABILITY_NAME_SIZE];
    uint64_t slot;
};

struct app_file {
    char name[APP_FILE_NAME_SIZE]; /* as the manifest's "file" line gives it */
    uint64_t address;              /* page-aligned, in [APP_FILES_ADDRESS, APP_FILES_ADDRESS + APP_FILES_MAX_SIZE) */
    uint64_t size;                 /* bytes */
};

struct app_shared {
    char name[APP_SHARED_NAME_SIZE]; /* as the manifest's "shared" line gives it */
    uint64_t address;                /* APP_SHARED_ADDRESS + i * APP_SHARED_MAX_SIZE for the app's i-th region */
    uint64_t size;                   /* bytes, a multiple of APP_PAGE_SIZE, at most APP_SHARED_MAX_SIZE */
};

struct app_environment {
    uint64_t magic;
    char name[APP_NAME_SIZE];
    uint64_t heap_base;
    uint64_t heap_size;        /* the manifest's memory limit */
    uint64_t capability_slots; /* size of the app's capability table */
    uint64_t named_count;
    struct app_named_capability named[APP_MAX_NAMED_CAPABILITIES];
    char arguments[APP_ARGUMENTS_SIZE]; /* the manifest's "arguments" line */
    uint64_t file_count;
    struct app_file files[APP_MAX_FILES]; /* the manifest's "file" lines, in order */
    uint64_t shared_count;
    struct app_shared shared[APP_MAX_SHARED]; /* the manifest's "shared" lines, in order */
};

_Static_assert(sizeof(struct app_environment) <= APP_PAGE_SIZE, "the environment fits one page");
_Static_assert(APP_FILES_ADDRESS % APP_FILES_MAX_SIZE == 0, "the file window is aligned to its size");
_Static_assert(APP_FILES_ADDRESS >= APP_HEAP_BASE + 0x100000000ull,
               "the file window is above the largest heap (4 GiB)");
_Static_assert(APP_FILES_ADDRESS + APP_FILES_MAX_SIZE <= APP_ENVIRONMENT_ADDRESS,
               "the file window is below the environment page, the stack and the UTCB");
_Static_assert(APP_SHARED_ADDRESS % APP_SHARED_WINDOW_SIZE == 0 && APP_SHARED_WINDOW_SIZE % APP_SHARED_MAX_SIZE == 0,
               "the shared window, and so each of its slots, is aligned to its size");
_Static_assert(APP_SHARED_ADDRESS >= APP_FILES_ADDRESS + APP_FILES_MAX_SIZE &&
                   APP_SHARED_ADDRESS + APP_SHARED_WINDOW_SIZE <= APP_ENVIRONMENT_ADDRESS,
               "the shared window lies between the file window and the environment page");

/* Protocols the root task serves. */
#define LABEL_LOG_WRITE 0x10ull /* to a "log" capability: [0] byte count (<= 496), [1..] bytes */
#define LABEL_APP_EXIT 0x11ull  /* to APP_PAGER: [0] exit status; the app is then deleted */
#define LOG_MAX_BYTES 496

#endif
