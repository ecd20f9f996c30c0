#include "root_memory.h"

#include "manifest.h"

#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>

_Static_assert(ROOT_SCRATCH_BASE + MANIFEST_MAX_APPS * ROOT_SCRATCH_WINDOW_SIZE <= ROOT_BOOT_INFO_ADDRESS,
               "the scratch windows end below the boot information");
_Static_assert(ROOT_SCRATCH_BASE >= ROOT_HEAP_BASE + ROOT_HEAP_SIZE, "the scratch windows start above the root heap");
_Static_assert(MANIFEST_MAX_MEMORY <= SCRATCH_HEAP_MAX_SIZE, "the largest heap fits its scratch region");
_Static_assert(SCRATCH_STACK_OFFSET + APP_STACK_SIZE <= SCRATCH_HEAP_OFFSET, "the stack mirror ends below the heap's");
_Static_assert(SCRATCH_FILES_MAX_SIZE == APP_FILES_MAX_SIZE, "a file's copy slot holds the app's whole file window");
_Static_assert(ROOT_SHARED_BASE >= ROOT_SCRATCH_BASE + MANIFEST_MAX_APPS * ROOT_SCRATCH_WINDOW_SIZE &&
                   ROOT_SHARED_BASE + MANIFEST_MAX_SHARED_REGIONS * APP_SHARED_MAX_SIZE <= ROOT_BOOT_INFO_ADDRESS,
               "the shared regions lie between the scratch windows and the boot information");
/* Blocks of a shared region: aligned alike in the root task and in the app, since no region is larger than its slot. */
_Static_assert(ROOT_SHARED_BASE % APP_SHARED_MAX_SIZE == 0 && APP_SHARED_ADDRESS % APP_SHARED_MAX_SIZE == 0 &&
                   MANIFEST_MAX_SHARED_SIZE <= APP_SHARED_MAX_SIZE,
               "each shared region's pages and its slot in the app are aligned to the largest region");
/* Blocks of the files: the copies and the app's file window are aligned to the largest block. */
_Static_assert(ROOT_FILE_COPIES_BASE % (ROOT_PAGE_SIZE << ROOT_MAX_BLOCK_ORDER) == 0 &&
                   APP_FILES_ADDRESS % (ROOT_PAGE_SIZE << ROOT_MAX_BLOCK_ORDER) == 0,
               "the files' copies and the app's file window are aligned to the largest block");

uint64_t scratch_window(size_t index)
{
    return ROOT_SCRATCH_BASE + (uint64_t)index * ROOT_SCRATCH_WINDOW_SIZE;
}

enum error root_page_allocate(uint64_t address, unsigned rights, bool *existed)
{
    enum error error = memory_allocate(ROOT_MEMORY, ITEM_MEMORY(address / ROOT_PAGE_SIZE, 0, rights, 0));
    *existed = error == ERROR_SLOT_OCCUPIED; /* the kernel checks this before it allocates anything */
    return *existed ? ERROR_NONE : error;
}

enum error root_block_allocate(uint64_t address, unsigned order, unsigned rights)
{
    return memory_allocate(ROOT_MEMORY, ITEM_MEMORY(address / ROOT_PAGE_SIZE, order, rights, 0));
}

unsigned root_block_order(uint64_t page, uint64_t pages)
{
    unsigned order = 0;
    while (order < ROOT_MAX_BLOCK_ORDER && page % (2ull << order) == 0 && (2ull << order) <= pages) {
        order++;
    }
    return order;
}

void root_pages_release(uint64_t address, uint64_t pages)
{
    uint64_t page = address / ROOT_PAGE_SIZE;
    while (pages > 0) {
        unsigned order = root_block_order(page, pages);
        /* Holes are skipped by the kernel; a failure leaks the root's own pages, nothing worse. */
        enum error error = task_unmap(ROOT_TASK, ITEM_MEMORY(page, order, 0, 0), UNMAP_SELF);
        if (error != ERROR_NONE) {
            printf("roottask: releasing %llu pages at 0x%llx failed: %s\n", 1ull << order,
                   (unsigned long long)(page * ROOT_PAGE_SIZE), error_name(error));
        }
        page += 1ull << order;
        pages -= 1ull << order;
    }
}

uint64_t root_free_memory_kib(void)
{
    uint64_t free_bytes = 0;
    uint64_t total_bytes;
    memory_info(ROOT_MEMORY, &free_bytes, &total_bytes);
    return free_bytes / 1024;
}
