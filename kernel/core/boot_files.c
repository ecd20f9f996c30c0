#include <arch/elf_machine.h>
#include <kapsel/boot_archive.h>
#include <kapsel/boot_files.h>
#include <kapsel/elf.h>
#include <kapsel/memory.h>
#include <kapsel/print.h>

static enum error visit_archive(const struct boot_info *info, size_t index, boot_file_visitor visit, void *context,
                                const char **reason)
{
    const struct boot_module *module = &info->modules[index];
    struct boot_archive_cursor cursor;
    boot_archive_open(&cursor, phys_to_virt(module->phys), (size_t)module->size);
    for (;;) {
        struct boot_archive_entry entry;
        enum error error = boot_archive_next(&cursor, &entry, reason);
        if (error == ERROR_NOT_FOUND) {
            return ERROR_NONE;
        }
        if (error != ERROR_NONE) {
            return error;
        }
        if (!entry.is_regular_file) {
            continue;
        }
        struct boot_file file = {entry.name, entry.data, entry.size, index};
        if (!visit(&file, context)) {
            return ERROR_NONE;
        }
    }
}

enum error boot_files_for_each(const struct boot_info *info, boot_file_visitor visit, void *context,
                               const char **reason)
{
    for (size_t i = 0; i < info->module_count; i++) {
        const struct boot_module *module = &info->modules[i];
        const uint8_t *data = phys_to_virt(module->phys);
        if (boot_archive_has_magic(data, (size_t)module->size)) {
            enum error error = visit_archive(info, i, visit, context, reason);
            if (error != ERROR_NONE) {
                return error;
            }
            continue;
        }
        struct boot_file file = {module->name, data, (size_t)module->size, i};
        if (!visit(&file, context)) {
            break;
        }
    }
    return ERROR_NONE;
}

struct listing {
    enum error error;
    const char *reason;
    size_t count;
    char message[128];
};

static bool list_file(const struct boot_file *file, void *context)
{
    struct listing *listing = context;
    listing->count++;
    if (!elf_has_magic(file->data, file->size)) {
        kprintf("  %-24s %8zu bytes  data\n", file->name, file->size);
        return true;
    }
    struct elf_image image;
    const char *why = NULL;
    listing->error = elf_image_parse(file->data, file->size, ARCH_ELF_MACHINE, USER_ADDRESS_LIMIT, &image, &why);
    if (listing->error != ERROR_NONE) {
        kprintf("  %-24s %8zu bytes  invalid ELF image\n", file->name, file->size);
        format_string_to(listing->message, sizeof(listing->message), "%s: %s", file->name, why);
        listing->reason = listing->message;
        return false;
    }
    kprintf("  %-24s %8zu bytes  ELF entry %#llx, %zu segments\n", file->name, file->size,
            (unsigned long long)image.entry, image.segment_count);
    return true;
}

enum error boot_files_check_and_list(const struct boot_info *info, const char **reason)
{
    static struct listing listing;
    listing = (struct listing){.error = ERROR_NONE};
    kprintf("Boot modules:\n");
    enum error error = boot_files_for_each(info, list_file, &listing, reason);
    if (error != ERROR_NONE) {
        return error;
    }
    if (listing.error != ERROR_NONE) {
        *reason = listing.reason;
        return listing.error;
    }
    if (listing.count == 0) {
        *reason = "the boot modules contain no files";
        return ERROR_NOT_FOUND;
    }
    return ERROR_NONE;
}
