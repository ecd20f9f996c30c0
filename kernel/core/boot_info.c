#include <kapsel/boot_info.h>
#include <kapsel/print.h>
#include <stdbool.h>
#include <string.h>

static char reason_text[160];

static enum error refuse(enum error error, const char **reason, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static enum error refuse(enum error error, const char **reason, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    format_string(reason_text, sizeof(reason_text), format, args);
    va_end(args);
    *reason = reason_text;
    return error;
}

static bool ranges_overlap(struct phys_range a, struct phys_range b)
{
    return a.base < b.end && b.base < a.end;
}

/* True if every byte of range lies in usable RAM (possibly spread over adjacent regions). */
static bool range_in_usable_memory(const struct boot_info *info, struct phys_range range)
{
    uint64_t cursor = range.base;
    while (cursor < range.end) {
        bool advanced = false;
        for (size_t i = 0; i < info->memory_count; i++) {
            const struct memory_region *region = &info->memory[i];
            if (region->type == MEMORY_USABLE && region->base <= cursor && cursor - region->base < region->size) {
                cursor = region->base + region->size;
                advanced = true;
                break;
            }
        }
        if (!advanced) {
            return false;
        }
    }
    return true;
}

static enum error validate_memory_map(const struct boot_info *info, const char **reason)
{
    if (info->memory_count == 0) {
        return refuse(ERROR_NOT_FOUND, reason, "the boot loader passed no memory map");
    }
    if (info->memory_count > BOOT_MAX_MEMORY_REGIONS) {
        return refuse(ERROR_TOO_MANY, reason, "memory map has %zu entries (at most %d supported)", info->memory_count,
                      BOOT_MAX_MEMORY_REGIONS);
    }
    uint64_t usable = 0;
    for (size_t i = 0; i < info->memory_count; i++) {
        const struct memory_region *region = &info->memory[i];
        if (region->size == 0) {
            continue; /* describes nothing; QEMU's microvm firmware passes such entries */
        }
        if (region->base + region->size < region->base) {
            return refuse(ERROR_MALFORMED, reason, "memory map entry %zu (base %#llx size %#llx) is malformed", i,
                          (unsigned long long)region->base, (unsigned long long)region->size);
        }
        if (region->type == MEMORY_USABLE) {
            usable += region->size;
        }
    }
    if (usable == 0) {
        return refuse(ERROR_NOT_FOUND, reason, "the memory map lists no usable RAM");
    }
    return ERROR_NONE;
}

static enum error validate_modules(const struct boot_info *info, struct phys_range kernel_image, const char **reason)
{
    if (info->module_count == 0) {
        return refuse(ERROR_NOT_FOUND, reason, "no boot modules: the kernel needs at least a root task image");
    }
    if (info->module_count > BOOT_MAX_MODULES) {
        return refuse(ERROR_TOO_MANY, reason, "%zu boot modules (at most %d supported)", info->module_count,
                      BOOT_MAX_MODULES);
    }
    for (size_t i = 0; i < info->module_count; i++) {
        const struct boot_module *module = &info->modules[i];
        struct phys_range range = {module->phys, module->phys + module->size};
        if (module->size == 0) {
            return refuse(ERROR_MALFORMED, reason, "boot module %zu (%s) is empty", i, module->name);
        }
        if (range.end < range.base) {
            return refuse(ERROR_MALFORMED, reason, "boot module %zu (%s) wraps around the address space", i,
                          module->name);
        }
        if (!range_in_usable_memory(info, range)) {
            return refuse(ERROR_OUT_OF_RANGE, reason, "boot module %zu (%s) at %#llx..%#llx lies outside usable RAM", i,
                          module->name, (unsigned long long)range.base, (unsigned long long)range.end);
        }
        if (ranges_overlap(range, kernel_image)) {
            return refuse(ERROR_OVERLAP, reason, "boot module %zu (%s) overlaps the kernel image", i, module->name);
        }
        for (size_t j = 0; j < i; j++) {
            struct phys_range other = {info->modules[j].phys, info->modules[j].phys + info->modules[j].size};
            if (ranges_overlap(range, other)) {
                return refuse(ERROR_OVERLAP, reason, "boot modules %zu (%s) and %zu (%s) overlap", j,
                              info->modules[j].name, i, module->name);
            }
        }
    }
    return ERROR_NONE;
}

enum error boot_info_validate(const struct boot_info *info, struct phys_range kernel_image, const char **reason)
{
    enum error error = validate_memory_map(info, reason);
    if (error != ERROR_NONE) {
        return error;
    }
    return validate_modules(info, kernel_image, reason);
}

/* Returns the first space-separated token that matches, or NULL. */
static const char *find_token(const char *line, bool (*matches)(const char *token, size_t length, const char *word),
                              const char *word)
{
    const char *p = line;
    while (*p) {
        while (*p == ' ') {
            p++;
        }
        size_t length = 0;
        while (p[length] && p[length] != ' ') {
            length++;
        }
        if (length > 0 && matches(p, length, word)) {
            return p;
        }
        p += length;
    }
    return NULL;
}

static bool token_is_word(const char *token, size_t length, const char *word)
{
    return strlen(word) == length && strncmp(token, word, length) == 0;
}

static bool token_has_key(const char *token, size_t length, const char *key)
{
    size_t key_length = strlen(key);
    return length > key_length && strncmp(token, key, key_length) == 0 && token[key_length] == '=';
}

bool boot_command_line_has(const struct boot_info *info, const char *word)
{
    return find_token(info->command_line, token_is_word, word) != NULL;
}

enum error boot_command_line_value(const struct boot_info *info, const char *key, char *value, size_t size)
{
    const char *token = find_token(info->command_line, token_has_key, key);
    if (!token) {
        return ERROR_NOT_FOUND;
    }
    const char *start = token + strlen(key) + 1;
    size_t length = 0;
    while (start[length] && start[length] != ' ') {
        length++;
    }
    if (length >= size) {
        return ERROR_OUT_OF_RANGE;
    }
    memcpy(value, start, length);
    value[length] = '\0';
    return ERROR_NONE;
}
