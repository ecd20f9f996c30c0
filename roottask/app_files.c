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

enum error app_files_place(struct microapp *app, const uint64_t sizes[MANIFEST_MAX_FILES], size_t *failed,
                           const char **reason)
{
    uint64_t offset = 0; /* from APP_FILES_ADDRESS: where the next file goes */
    for (size_t i = 0; i < app->manifest->file_count; i++) {
        *failed = i;
        uint64_t pages = pages_for(sizes[i]);
        if (pages > (APP_FILES_MAX_SIZE - offset) / ROOT_PAGE_SIZE) {
            *reason = "the app's files together are larger than 2 GiB";
            return ERROR_OUT_OF_RANGE;
        }
        app->files[i].address = APP_FILES_ADDRESS + offset;
        app->files[i].size = sizes[i];
        offset += pages * ROOT_PAGE_SIZE;
    }
    app->file_pages = offset / ROOT_PAGE_SIZE;
    return ERROR_NONE;
}

enum error app_files_find(struct microapp *app, const struct root_boot_info *boot_info,
                          struct boot_file found[MANIFEST_MAX_FILES], size_t *failed, const char **reason)
{
    const struct manifest_app *manifest = app->manifest;
    uint64_t sizes[MANIFEST_MAX_FILES] = {0};
    for (size_t i = 0; i < manifest->file_count; i++) {
        *failed = i;
        enum error error = boot_modules_find(boot_info, manifest->files[i].name, &found[i], reason);
        if (error != ERROR_NONE) {
            return error;
        }
        sizes[i] = found[i].size;
    }
    return app_files_place(app, sizes, failed, reason);
}

/* A boot file's copy in the root task, and how many apps map it. */
struct file_copy {
    const uint8_t *data; /* the boot file it copies (its bytes in the boot modules identify it) */
    uint64_t pages;
    unsigned holders;
};

static struct file_copy copies[ROOT_FILE_COPIES];

_Static_assert(ROOT_FILE_COPIES_BASE % SCRATCH_FILES_MAX_SIZE == 0 &&
                   ROOT_FILE_COPIES_BASE + ROOT_FILE_COPIES * SCRATCH_FILES_MAX_SIZE <= ROOT_SHARED_BASE,
               "the copy slots are aligned to their size and lie below the shared regions");

static uint64_t copy_address(unsigned slot)
{
    return ROOT_FILE_COPIES_BASE + (uint64_t)slot * SCRATCH_FILES_MAX_SIZE;
}

/* Copies one file into fresh root pages at copy (pages of them), the tail of the last page zeroed. */
static enum error copy_file(uint64_t copy, uint64_t pages, const struct boot_file *file, const char **reason)
{
    for (uint64_t page = 0; page < pages; page++) {
        bool existed;
        enum error error = root_page_allocate(copy + page * ROOT_PAGE_SIZE, MEMORY_READ | MEMORY_WRITE, &existed);
        if (error != ERROR_NONE) {
            root_pages_release(copy, page);
            *reason = "allocating a page for the file failed";
            return error;
        }
    }
    uint8_t *bytes = (uint8_t *)(uintptr_t)copy;
    memcpy(bytes, file->data, file->size);
    memset(bytes + file->size, 0, pages * ROOT_PAGE_SIZE - file->size); /* fresh pages are zeroed; made sure */
    return ERROR_NONE;
}

/* The slot of file's copy, made if no app holds one; its holder count taken. -1 with *error on failure. */
static int hold_copy(const struct boot_file *file, uint64_t pages, enum error *error, const char **reason)
{
    int free_slot = -1;
    for (int slot = 0; slot < ROOT_FILE_COPIES; slot++) {
        if (copies[slot].holders && copies[slot].data == file->data && copies[slot].pages == pages) {
            copies[slot].holders++;
            return slot;
        }
        if (!copies[slot].holders && free_slot < 0) {
            free_slot = slot;
        }
    }
    if (free_slot < 0) {
        *error = ERROR_TOO_MANY;
        *reason = "more distinct boot files are mapped at once than the root task keeps copies of";
        return -1;
    }
    *error = copy_file(copy_address((unsigned)free_slot), pages, file, reason);
    if (*error != ERROR_NONE) {
        return -1;
    }
    copies[free_slot] = (struct file_copy){.data = file->data, .pages = pages, .holders = 1};
    return free_slot;
}

/* Maps pages of the copy at copy to address in the app, read-only, in blocks aligned in both. */
static enum error map_file(struct microapp *app, uint64_t copy, uint64_t address, uint64_t pages, const char **reason)
{
    uint64_t task = microapp_root_slot(app, MICROAPP_SLOT_TASK);
    uint64_t done = 0;
    while (done < pages) {
        /* The copy is aligned to its slot, the app's address only to its place among the app's files. */
        uint64_t page = (address - APP_FILES_ADDRESS) / ROOT_PAGE_SIZE + done;
        unsigned order = root_block_order(page, pages - done);
        while (order > 0 && done % (1ull << order) != 0) {
            order--;
        }
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
    for (size_t i = 0; i < manifest->file_count; i++) {
        *failed = i;
        uint64_t pages = pages_for(app->files[i].size);
        if (pages == 0) {
            continue; /* an empty file: nothing to copy or map */
        }
        enum error error = ERROR_NONE;
        int slot = hold_copy(&found[i], pages, &error, reason);
        if (slot < 0) {
            return error;
        }
        app->files[i].copy_held = (unsigned)slot + 1;
        error = map_file(app, copy_address(slot), app->files[i].address, pages, reason);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}

void app_files_release(struct microapp *app)
{
    for (size_t i = 0; i < app->manifest->file_count; i++) {
        unsigned held = app->files[i].copy_held;
        app->files[i].copy_held = 0;
        if (held == 0 || copies[held - 1].holders == 0) {
            continue;
        }
        unsigned slot = held - 1;
        if (--copies[slot].holders == 0) {
            root_pages_release(copy_address(slot), copies[slot].pages);
        }
    }
}
