/*
 * Boot archives: several boot files in one boot module, in the cpio "newc"
 * format (the one Linux initramfs uses; `cpio -o -H newc` makes it). Loaders
 * such as QEMU's PVH boot pass a single module, so the root task, the boot
 * manifest and the Micro-App images travel together in one archive.
 */
#ifndef KAPSEL_BOOT_ARCHIVE_H
#define KAPSEL_BOOT_ARCHIVE_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_archive_entry {
    const char *name; /* NUL-terminated inside the archive */
    const uint8_t *data;
    size_t size;
    bool is_regular_file;
};

struct boot_archive_cursor {
    const uint8_t *archive;
    size_t size;
    size_t offset;
    bool finished; /* the trailer was read: every later call returns ERROR_NOT_FOUND */
};

/* True if data starts with the newc magic (says nothing about validity). */
bool boot_archive_has_magic(const void *data, size_t size);

void boot_archive_open(struct boot_archive_cursor *cursor, const void *archive, size_t size);

/*
 * The next entry. ERROR_NOT_FOUND after the trailer entry; ERROR_MALFORMED
 * (with *reason) for a truncated or inconsistent archive.
 */
enum error boot_archive_next(struct boot_archive_cursor *cursor, struct boot_archive_entry *entry, const char **reason);

#endif
