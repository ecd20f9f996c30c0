#include "app_files.h"

#include "root_memory.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <string.h>

_Static_assert(APP_FILES_MAX_SIZE == 0x80000000ull, "the message below says 2 GiB");

static uint64_t pages_for(uint64_t bytes)
{
    return bytes / ROOT_PAGE_SIZE + (bytes % ROOT_PAGE_SIZE != 0);
}

enum error app_files_find(struct microapp *app, const struct root_boot_info *boot_info,
                          struct boot_file found[MANIFEST_MAX_FILES], size_t *failed, const char **reason)
{
    const struct manifest_app *manifest = app->manifest;
    uint64_t offset = 0; /* from APP_FILES_ADDRESS: where the next file goes */
    for (size_t i = 0; i < manifest->file_count; i++) {
        *failed = i;
        enum error error = boot_modules_find(boot_info, manifest->files[i].name, &found[i], reason);
        if (error != ERROR_NONE) {
            return error;
        }
        uint64_t pages = pages_for(found[i].size);
        if (pages > (APP_FILES_MAX_SIZE - offset) / ROOT_PAGE_SIZE) {
            *reason = "the app's files together are larger than 2 GiB";
            return ERROR_OUT_OF_RANGE;
        }
        app->files[i].address = APP_FILES_ADDRESS + offset;
        app->files[i].size = found[i].size;
        offset += pages * ROOT_PAGE_SIZE;
    }
    return ERROR_NONE;
}

/* Copies one file into fresh root pages at copy (pages of them), the tail of the last page zeroed. */
static enum error copy_file(uint64_t copy, uint64_t pages, const struct boot_file *file, const char **reason)
{
    if (pages == 0) {
        return ERROR_NONE; /* an empty file: nothing to copy or map */
    }
    for (uint64_t page = 0; page < pages; page++) {
        bool existed;
        enum error error = root_page_allocate(copy + page * ROOT_PAGE_SIZE, MEMORY_READ | MEMORY_WRITE, &existed);
        if (error != ERROR_NONE) {
            *reason = "allocating a page for the file failed";
            return error;
        }
    }
    uint8_t *bytes = (uint8_t *)(uintptr_t)copy;
    memcpy(bytes, file->data, file->size);
    memset(bytes + file->size, 0, pages * ROOT_PAGE_SIZE - file->size); /* fresh pages are zeroed; made sure */
    return ERROR_NONE;
}

/* Maps pages of the root's copy at copy to address in the app, read-only, in blocks aligned to their size. */
static enum error map_file(struct microapp *app, uint64_t copy, uint64_t address, uint64_t pages, const char **reason)
{
    uint64_t task = microapp_root_slot(app, MICROAPP_SLOT_TASK);
    uint64_t done = 0;
    while (done < pages) {
        /* Copy and app address are aligned alike up to the largest block (root_memory.c): one order fits both. */
        uint64_t page = (address - APP_FILES_ADDRESS) / ROOT_PAGE_SIZE + done;
        unsigned order = root_block_order(page, pages - done);
        uint64_t source = copy / ROOT_PAGE_SIZE + done;
        enum error error = task_map(task, ITEM_MEMORY(source, order, MEMORY_READ, 0), address + done * ROOT_PAGE_SIZE);
        if (error != ERROR_NONE) {
            *reason = "mapping the file into the app's task failed";
            return error;
        }
        done += 1ull << order;
    }
    return ERROR_NONE;
}

enum error app_files_load(struct microapp *app, const struct boot_file found[MANIFEST_MAX_FILES], size_t *failed,
                          const char **reason)
{
    const struct manifest_app *manifest = app->manifest;
    app->file_pages = 0;
    for (size_t i = 0; i < manifest->file_count; i++) {
        uint64_t end = app->files[i].address - APP_FILES_ADDRESS + pages_for(app->files[i].size) * ROOT_PAGE_SIZE;
        app->file_pages = end / ROOT_PAGE_SIZE;
    }
    for (size_t i = 0; i < manifest->file_count; i++) {
        *failed = i;
        uint64_t address = app->files[i].address;
        uint64_t copy = app->window + SCRATCH_FILES_OFFSET + (address - APP_FILES_ADDRESS);
        uint64_t pages = pages_for(app->files[i].size);
        enum error error = copy_file(copy, pages, &found[i], reason);
        if (error == ERROR_NONE) {
            error = map_file(app, copy, address, pages, reason);
        }
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}
