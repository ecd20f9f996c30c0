#include "environment_file.h"

#include <string.h>

/* Whether name equals the field of field_size bytes, which need not end in a NUL when name fills it. */
static bool name_matches(const char *field, size_t field_size, const char *name)
{
    size_t length = strnlen(name, field_size + 1);
    if (length == 0 || length > field_size) {
        return false;
    }
    return memcmp(field, name, length) == 0 && (length == field_size || field[length] == '\0');
}

/* Whether [address, address + size) lies inside the window, from a page boundary (bounded first: nothing wraps). */
static bool inside(uint64_t address, uint64_t size, uint64_t window, uint64_t window_size)
{
    uint64_t offset = address - window;
    return address >= window && offset % APP_PAGE_SIZE == 0 && offset <= window_size && size <= window_size - offset;
}

bool environment_file_find(const struct app_environment *environment, const char *name, const void **data,
                           uint64_t *size)
{
    const struct app_file *found = NULL;
    if (environment->file_count <= APP_MAX_FILES) {
        for (uint64_t i = 0; i < environment->file_count && !found; i++) {
            const struct app_file *file = &environment->files[i];
            if (name_matches(file->name, APP_FILE_NAME_SIZE, name) &&
                inside(file->address, file->size, APP_FILES_ADDRESS, APP_FILES_MAX_SIZE)) {
                found = file;
            }
        }
    }
    if (data) {
        *data = found ? (const void *)(uintptr_t)found->address : NULL;
    }
    if (size) {
        *size = found ? found->size : 0;
    }
    return found != NULL;
}

bool environment_shared_find(const struct app_environment *environment, const char *name, void **data, uint64_t *size)
{
    const struct app_shared *found = NULL;
    if (environment->shared_count <= APP_MAX_SHARED) {
        for (uint64_t i = 0; i < environment->shared_count && !found; i++) {
            const struct app_shared *region = &environment->shared[i];
            if (name_matches(region->name, APP_SHARED_NAME_SIZE, name) &&
                inside(region->address, region->size, APP_SHARED_ADDRESS, APP_SHARED_WINDOW_SIZE)) {
                found = region;
            }
        }
    }
    if (data) {
        *data = found ? (void *)(uintptr_t)found->address : NULL;
    }
    if (size) {
        *size = found ? found->size : 0;
    }
    return found != NULL;
}
