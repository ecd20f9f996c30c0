#include "boot_modules.h"

#include <kapsel/boot_archive.h>
#include <stdbool.h>
#include <string.h>

struct search {
    const char *name;
    struct boot_file found;
    unsigned matches;
};

/* The length of a name field that need not end in a NUL. */
static size_t bounded_length(const char *field, size_t size)
{
    size_t length = 0;
    while (length < size && field[length] != '\0') {
        length++;
    }
    return length;
}

static void consider(struct search *search, const char *name, size_t name_length, const uint8_t *data, size_t size)
{
    if (name_length >= 2 && name[0] == '.' && name[1] == '/') {
        name += 2;
        name_length -= 2;
    }
    if (strlen(search->name) == name_length && memcmp(search->name, name, name_length) == 0) {
        if (search->matches++ == 0) {
            search->found = (struct boot_file){data, size};
        }
    }
}

static enum error search_archive(struct search *search, const uint8_t *data, size_t size, const char **reason)
{
    struct boot_archive_cursor cursor;
    boot_archive_open(&cursor, data, size);
    for (;;) {
        struct boot_archive_entry entry;
        enum error error = boot_archive_next(&cursor, &entry, reason);
        if (error == ERROR_NOT_FOUND) {
            return ERROR_NONE; /* the trailer */
        }
        if (error != ERROR_NONE) {
            return error;
        }
        if (entry.is_regular_file) {
            consider(search, entry.name, strlen(entry.name), entry.data, entry.size);
        }
    }
}

enum error boot_modules_find(const struct root_boot_info *boot_info, const char *name, struct boot_file *file,
                             const char **reason)
{
    struct search search = {.name = name};
    uint64_t count = boot_info->module_count < ROOT_MAX_MODULES ? boot_info->module_count : ROOT_MAX_MODULES;
    /* Every module is searched, even after a match: a second file of the same name must not go unnoticed. */
    for (uint64_t i = 0; i < count; i++) {
        const struct root_boot_module *module = &boot_info->modules[i];
        const uint8_t *data = (const uint8_t *)(uintptr_t)module->address;
        size_t size = (size_t)module->size;
        if (boot_archive_has_magic(data, size)) {
            enum error error = search_archive(&search, data, size, reason);
            if (error != ERROR_NONE) {
                return error;
            }
        } else {
            consider(&search, module->name, bounded_length(module->name, sizeof(module->name)), data, size);
        }
    }
    if (search.matches == 0) {
        *reason = "no such file in the boot modules";
        return ERROR_NOT_FOUND;
    }
    if (search.matches > 1) {
        *reason = "more than one file of that name in the boot modules";
        return ERROR_TOO_MANY;
    }
    *file = search.found;
    return ERROR_NONE;
}
