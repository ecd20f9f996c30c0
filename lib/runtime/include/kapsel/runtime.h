/*
 * The user-level runtime every Micro-App (and the root task) is linked with:
 * start-up, exit, named capabilities, and the system calls newlib needs
 * (newlib_glue.c). Build a program with microapp() from
 * build/bazel/microapp.bzl; its entry attribute picks one of two start paths:
 *
 * Micro-App ("_start", the default). The root task starts the app's thread
 * at _start; the runtime reads its struct app_environment at
 * APP_ENVIRONMENT_ADDRESS (kapsel/environment.h; %rdi is not used, since
 * THREAD_EX_REGS sets only rip and rsp). It checks the magic, takes the heap
 * window from the environment, and calls main(argc, argv) with argv[0] = the
 * app's name followed by the "arguments" line split at spaces (no quoting),
 * then exit() with main's result.
 * stdout and stderr go as LABEL_LOG_WRITE calls to the capability named "log",
 * one per LOG_MAX_BYTES at most; the service's reply ends each (a reply label
 * other than 0 is an enum error, and write() stops there). Without a "log"
 * capability, output is silently dropped. exit() ends with a LABEL_APP_EXIT
 * call to APP_PAGER, after which the root task deletes the app.
 *
 * Root task ("_root_start"). The kernel enters _root_start with
 * %rdi = ROOT_BOOT_INFO_ADDRESS (kapsel/abi.h). The runtime checks the magic
 * and calls root_main(boot_info); stdout and stderr go to ROOT_CONSOLE; the
 * heap is the window below, backed page by page from ROOT_MEMORY since nothing
 * pages for the root task. The root task cannot end: exit() or a return from
 * root_main prints the status on the console and blocks the thread for good.
 *
 * Both: gettimeofday() (and time()) give UTC wall-clock time, the boot time the
 * kernel read from the real-time clock plus the ticks since, or the time since
 * boot when the kernel knows no date (SCHEDULER_INFO), from the capability
 * named "scheduler" (ROOT_SCHEDULER in the root task); ENOSYS without one.
 * Reading stdin gives end-of-file; there are no files to open: the
 * manifest's "file" lines are read in place (environment_file),
 * and so are its "shared" regions (environment_shared).
 * newlib takes the standard streams from the heap on first use, so a program
 * that prints needs a heap: with none at all (a memory limit of 0) the first
 * printf faults inside newlib. A few KiB are enough (stdout's line buffer
 * takes 1 KiB of them).
 */
#ifndef KAPSEL_RUNTIME_H
#define KAPSEL_RUNTIME_H

#include <kapsel/abi.h>
#include <kapsel/environment.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The root task's heap window: clear of its image (low addresses), boot info, modules, stack and UTCB. */
#define ROOT_HEAP_BASE 0x0000200000000000ull
#define ROOT_HEAP_SIZE 0x0000010000000000ull /* 1 TiB of address space; physical memory runs out first */

/* The exit status a Micro-App reports when its environment is unusable (wrong magic, a wrapping heap). */
#define RUNTIME_EXIT_BAD_ENVIRONMENT 127

/* The Micro-App start path, called by _start. */
_Noreturn void runtime_start(void);

/* The root task's start path, called by _root_start. */
_Noreturn void root_runtime_start(const struct root_boot_info *boot_info);

/* Written by the root task (roottask/): its main, called once the runtime is ready; returning stops it. */
int root_main(const struct root_boot_info *boot_info);

/* The slot of the capability the app's manifest named name, or 0 if none (always 0 in the root task). */
uint64_t capability_named(const char *name);

/*
 * The file the app's manifest named with "file <name>" (a file of the boot archive): true with *data = its bytes,
 * mapped read-only (a write stops the app) and followed by zeros to the end of the page, and *size = its length;
 * false with NULL and 0 if there is none (always false in the root task). Either pointer may be NULL. The bytes stay
 * for as long as the app lives.
 */
bool environment_file(const char *name, const void **data, uint64_t *size);

/*
 * The region the app's manifest named with "shared <name> <size>": true with *data = its bytes, readable and
 * writable by this app and every other app that names it (the same memory, zero until one of them writes it), and
 * *size = its size (a multiple of 4 KiB); false with NULL and 0 if there is none (always false in the root task).
 * Either pointer may be NULL. The runtime adds no synchronisation: agree on an order with the other apps, e.g. over a
 * "peer:<app>" gate. The memory stays for as long as the app lives.
 */
bool environment_shared(const char *name, void **data, uint64_t *size);

/* Whether the processor has a hardware random source (x86-64: RDRAND), which runtime_entropy_fill reads. */
bool runtime_entropy_available(void);

/* Fills bytes with length bytes of that source; only when runtime_entropy_available(). */
void runtime_entropy_fill(uint8_t *bytes, size_t length);

#endif
