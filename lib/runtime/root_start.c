/* The root task's start path (see kapsel/runtime.h): boot information, a self-backed heap, console output. */
#include "runtime_private.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <stdlib.h>

_Static_assert(ROOT_HEAP_BASE % HEAP_PAGE_SIZE == 0, "the root heap is backed page by page");

static enum error back_heap_page(uintptr_t address)
{
    return memory_allocate(ROOT_MEMORY, ITEM_MEMORY(address >> PAGE_SHIFT_BITS, 0, MEMORY_READ | MEMORY_WRITE, 0));
}

_Noreturn void root_runtime_start(const struct root_boot_info *boot_info)
{
    if (boot_info->magic != ROOT_BOOT_INFO_MAGIC) {
        static const char complaint[] = "root task: the boot information has the wrong magic\n";
        runtime_write_output(complaint, sizeof(complaint) - 1);
        runtime_exit(RUNTIME_EXIT_BAD_ENVIRONMENT);
    }
    /* Cannot fail: the window is constant, aligned and far from the end of the address space. */
    heap_init(&runtime_heap, ROOT_HEAP_BASE, ROOT_HEAP_SIZE, back_heap_page);
    runtime_scheduler = ROOT_SCHEDULER;

    __libc_init_array();
    atexit(__libc_fini_array);
    exit(root_main(boot_info));
}

uint64_t capability_named(const char *name)
{
    (void)name; /* the root task has no manifest, so no named capabilities */
    return 0;
}

bool environment_file(const char *name, const void **data, uint64_t *size)
{
    (void)name; /* the root task reads its boot modules instead */
    if (data) {
        *data = NULL;
    }
    if (size) {
        *size = 0;
    }
    return false;
}

bool environment_shared(const char *name, void **data, uint64_t *size)
{
    (void)name; /* the root task shares nothing through a manifest */
    if (data) {
        *data = NULL;
    }
    if (size) {
        *size = 0;
    }
    return false;
}

size_t runtime_write_output(const char *bytes, size_t length)
{
    size_t written = 0;
    while (written < length) {
        size_t chunk = length - written < CONSOLE_WRITE_MAX_BYTES ? length - written : CONSOLE_WRITE_MAX_BYTES;
        if (console_write(ROOT_CONSOLE, bytes + written, chunk) != ERROR_NONE) {
            break;
        }
        written += chunk;
    }
    return written;
}

_Noreturn void runtime_exit(int status)
{
    char report[80];
    int length = snprintf(report, sizeof(report), "root task: exited with status %d; it stops here\n", status);
    runtime_write_output(report, (size_t)length);
    runtime_stop();
}
