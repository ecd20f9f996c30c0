#include "environment_file.h"

#include <string.h>

static bool name_matches(const char field[APP_FILE_NAME_SIZE], const char *name)
{
    size_t length = strnlen(name, APP_FILE_NAME_SIZE + 1);
    if (length == 0 || length > APP_FILE_NAME_SIZE) {
        return false;
    }
    return memcmp(field, name, length) == 0 && (length == APP_FILE_NAME_SIZE || field[length] == '\0');
}

/* Whether the entry lies inside the file window, from a page boundary (no wrap-around: both are bounded first). */
static bool inside_the_window(const struct app_file *file)
{
    uint64_t offset = file->address - APP_FILES_ADDRESS;
    return file->address >= APP_FILES_ADDRESS && offset % APP_PAGE_SIZE == 0 && offset <= APP_FILES_MAX_SIZE &&
           file->size <= APP_FILES_MAX_SIZE - offset;
}

bool environment_file_find(const struct app_environment *environment, const char *name, const void **data,
                           uint64_t *size)
{
    const struct app_file *found = NULL;
    if (environment->file_count <= APP_MAX_FILES) {
        for (uint64_t i = 0; i < environment->file_count && !found; i++) {
            const struct app_file *file = &environment->files[i];
            if (name_matches(file->name, name) && inside_the_window(file)) {
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
