/*
 * Files in the boot modules the kernel mapped into the root task (struct
 * root_boot_info): a module that is a cpio "newc" boot archive contributes
 * its regular files (read with kernel/core/boot_archive.c), any other module
 * is one file named by its module name. Archive member names may start with
 * "./" (as `find . | cpio -o` writes them); that prefix is not part of the name.
 */
#ifndef ROOTTASK_BOOT_MODULES_H
#define ROOTTASK_BOOT_MODULES_H

#include <kapsel/abi.h>
#include <kapsel/error.h>
#include <stddef.h>
#include <stdint.h>

struct boot_file {
    const uint8_t *data; /* read-only: the kernel maps boot modules without write rights */
    size_t size;
};

/*
 * Finds the file called name. ERROR_NOT_FOUND if there is none,
 * ERROR_TOO_MANY if there are several (the boot image is ambiguous),
 * ERROR_MALFORMED if an archive is broken; *reason says which.
 */
enum error boot_modules_find(const struct root_boot_info *boot_info, const char *name, struct boot_file *file,
                             const char **reason);

#endif
