#include "loader.h"

#include "root_memory.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <string.h>

static uint64_t page_down(uint64_t address)
{
    return address & ~(ROOT_PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t address)
{
    return page_down(address + ROOT_PAGE_SIZE - 1); /* addresses are below the user limit: no overflow */
}

static unsigned segment_rights(const struct elf_segment *segment)
{
    return (segment->flags & ELF_SEGMENT_READ ? MEMORY_READ : 0u) |
           (segment->flags & ELF_SEGMENT_WRITE ? MEMORY_WRITE : 0u) |
           (segment->flags & ELF_SEGMENT_EXECUTE ? MEMORY_EXECUTE : 0u);
}

/* The union of the rights of every segment that touches page. */
static unsigned page_rights(const struct elf_image *image, uint64_t page)
{
    unsigned rights = 0;
    for (size_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *segment = &image->segments[i];
        if (page_down(segment->vaddr) <= page && page < page_up(segment->vaddr + segment->memory_size)) {
            rights |= segment_rights(segment);
        }
    }
    return rights;
}

static bool overlaps(uint64_t start, uint64_t end, uint64_t other_start, uint64_t other_end)
{
    return start < other_end && other_start < end;
}

/* Where the image may not go: the regions the root task lays out for every app (kapsel/environment.h). */
static const char *conflict(uint64_t start, uint64_t end, uint64_t heap_size)
{
    if (overlaps(start, end, APP_HEAP_BASE, APP_HEAP_BASE + heap_size)) {
        return "an ELF segment overlaps the app's heap";
    }
    if (overlaps(start, end, APP_STACK_TOP - APP_STACK_SIZE, APP_STACK_TOP)) {
        return "an ELF segment overlaps the app's stack";
    }
    if (overlaps(start, end, APP_ENVIRONMENT_ADDRESS, APP_ENVIRONMENT_ADDRESS + ROOT_PAGE_SIZE)) {
        return "an ELF segment overlaps the app's environment page";
    }
    if (overlaps(start, end, APP_UTCB_ADDRESS, APP_UTCB_ADDRESS + ROOT_PAGE_SIZE)) {
        return "an ELF segment overlaps the app's UTCB";
    }
    if (overlaps(start, end, APP_FILES_ADDRESS, APP_FILES_ADDRESS + APP_FILES_MAX_SIZE)) {
        return "an ELF segment overlaps the app's file window";
    }
    if (overlaps(start, end, APP_SHARED_ADDRESS, APP_SHARED_ADDRESS + APP_SHARED_WINDOW_SIZE)) {
        return "an ELF segment overlaps the app's shared window";
    }
    return NULL;
}

/* Checks where the segments go and records the image's span in app. */
static enum error plan(struct microapp *app, const struct elf_image *image, const char **reason)
{
    uint64_t base = UINT64_MAX;
    uint64_t end = 0;
    for (size_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *segment = &image->segments[i];
        uint64_t start = page_down(segment->vaddr);
        uint64_t stop = page_up(segment->vaddr + segment->memory_size);
        if (segment_rights(segment) == 0) {
            *reason = "an ELF segment has no access rights";
            return ERROR_UNSUPPORTED;
        }
        const char *why = conflict(start, stop, app->manifest->memory);
        if (why) {
            *reason = why;
            return ERROR_OVERLAP;
        }
        base = start < base ? start : base;
        end = stop > end ? stop : end;
    }
    if (end - base > SCRATCH_IMAGE_MAX_SIZE) {
        *reason = "the ELF segments span more than 4 GiB";
        return ERROR_OUT_OF_RANGE;
    }
    app->image_base = base;
    app->image_pages = (end - base) / ROOT_PAGE_SIZE;
    app->entry = image->entry;
    return ERROR_NONE;
}

static enum error load_segment(struct microapp *app, const uint8_t *file, const struct elf_image *image,
                               const struct elf_segment *segment, const char **reason)
{
    uint64_t task = microapp_root_slot(app, MICROAPP_SLOT_TASK);
    uint64_t end = page_up(segment->vaddr + segment->memory_size);
    for (uint64_t page = page_down(segment->vaddr); page < end; page += ROOT_PAGE_SIZE) {
        uint64_t copy = app->window + SCRATCH_IMAGE_OFFSET + (page - app->image_base);
        unsigned rights = page_rights(image, page);
        bool existed;
        enum error error = root_page_allocate(copy, rights | MEMORY_READ | MEMORY_WRITE, &existed);
        if (error != ERROR_NONE) {
            *reason = "allocating a page for the image failed";
            return error;
        }
        if (existed) {
            continue; /* shared with a segment loaded before, and mapped then with both segments' rights */
        }
        error = task_map(task, ITEM_MEMORY(copy / ROOT_PAGE_SIZE, 0, rights, 0), page);
        if (error != ERROR_NONE) {
            *reason = "mapping an image page into the app's task failed";
            return error;
        }
    }
    /* Fresh pages are zeroed, so the bytes beyond the file's (.bss) need nothing. */
    void *destination = (void *)(uintptr_t)(app->window + SCRATCH_IMAGE_OFFSET + (segment->vaddr - app->image_base));
    memcpy(destination, file + segment->file_offset, segment->file_size);
    return ERROR_NONE;
}

enum error loader_load(struct microapp *app, const uint8_t *file, const struct elf_image *image, const char **reason)
{
    enum error error = plan(app, image, reason);
    for (size_t i = 0; error == ERROR_NONE && i < image->segment_count; i++) {
        error = load_segment(app, file, image, &image->segments[i], reason);
    }
    return error;
}
