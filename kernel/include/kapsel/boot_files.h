/* The files the boot loader handed over: whole modules, or the files inside boot-archive modules. */
#ifndef KAPSEL_BOOT_FILES_H
#define KAPSEL_BOOT_FILES_H

#include <kapsel/boot_info.h>

struct boot_file {
    const char *name;
    const uint8_t *data;
    size_t size;
    size_t module_index;
};

/* Returns true to continue with the next file, false to stop. */
typedef bool (*boot_file_visitor)(const struct boot_file *file, void *context);

/*
 * Calls visit for every regular file: a module that is a boot archive
 * contributes its files, any other module is one file named by its command
 * line. Fails with *reason on a malformed archive.
 */
enum error boot_files_for_each(const struct boot_info *info, boot_file_visitor visit, void *context,
                               const char **reason);

/* Prints every boot file and checks each ELF image among them; fails on the first invalid one. */
enum error boot_files_check_and_list(const struct boot_info *info, const char **reason);

#endif
