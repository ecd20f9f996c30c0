#include "app_shared.h"

#include "root_memory.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>

#define SHARED_RIGHTS (MEMORY_READ | MEMORY_WRITE)

_Static_assert(MANIFEST_MAX_SHARED == APP_MAX_SHARED && MANIFEST_MAX_SHARED_SIZE == APP_SHARED_MAX_SIZE,
               "every app's regions fit its shared window");

uint64_t app_shared_address(size_t i)
{
    return APP_SHARED_ADDRESS + (uint64_t)i * APP_SHARED_MAX_SIZE;
}

/* The root task's pages of manifest region number region. */
static uint64_t region_copy(size_t region)
{
    return ROOT_SHARED_BASE + (uint64_t)region * APP_SHARED_MAX_SIZE;
}

/* Allocates the region's pages that are missing: the first app with the region gets fresh zeroed ones. */
static enum error allocate_region(uint64_t copy, uint64_t pages, const char **reason)
{
    for (uint64_t page = 0; page < pages; page++) {
        bool existed;
        enum error error = root_page_allocate(copy + page * ROOT_PAGE_SIZE, SHARED_RIGHTS, &existed);
        if (error != ERROR_NONE) {
            *reason = "allocating a page for the shared region failed";
            return error;
        }
    }
    return ERROR_NONE;
}

static enum error map_region(struct microapp *app, uint64_t copy, uint64_t address, uint64_t pages, const char **reason)
{
    uint64_t task = microapp_root_slot(app, MICROAPP_SLOT_TASK);
    uint64_t done = 0;
    while (done < pages) {
        /* Copy and app address are both aligned to APP_SHARED_MAX_SIZE, more than any block of a region. */
        unsigned order = root_block_order(done, pages - done);
        enum error error = task_map(task, ITEM_MEMORY(copy / ROOT_PAGE_SIZE + done, order, SHARED_RIGHTS, 0),
                                    address + done * ROOT_PAGE_SIZE);
        if (error != ERROR_NONE) {
            *reason = "mapping the shared region into the app's task failed";
            return error;
        }
        done += 1ull << order;
    }
    return ERROR_NONE;
}

enum error app_shared_load(struct microapp *app, size_t *failed, const char **reason)
{
    const struct manifest_app *manifest = app->manifest;
    for (size_t i = 0; i < manifest->shared_count; i++) {
        *failed = i;
        uint64_t copy = region_copy(manifest->shared[i].region);
        uint64_t pages = manifest->shared[i].size / ROOT_PAGE_SIZE;
        enum error error = allocate_region(copy, pages, reason);
        if (error == ERROR_NONE) {
            error = map_region(app, copy, app_shared_address(i), pages, reason);
        }
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}

static bool holds(const struct microapp *app, size_t region)
{
    if (app->state != MICROAPP_CREATED && app->state != MICROAPP_GRANTED && app->state != MICROAPP_RUNNING) {
        return false; /* not yet created (then app->manifest may not be set yet), or finished */
    }
    for (size_t i = 0; i < app->manifest->shared_count; i++) {
        if (app->manifest->shared[i].region == region) {
            return true;
        }
    }
    return false;
}

void app_shared_release(const struct microapp *app)
{
    const struct manifest_app *manifest = app->manifest;
    for (size_t i = 0; i < manifest->shared_count; i++) {
        size_t region = manifest->shared[i].region;
        bool held = false;
        for (size_t a = 0; a < app->app_count && !held; a++) {
            held = &app->apps[a] != app && holds(&app->apps[a], region);
        }
        if (!held) {
            root_pages_release(region_copy(region), manifest->shared[i].size / ROOT_PAGE_SIZE);
        }
    }
}
