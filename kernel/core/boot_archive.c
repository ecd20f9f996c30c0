#include <kapsel/boot_archive.h>
#include <string.h>

/* newc header: 6-byte magic, then 13 fields of 8 hexadecimal digits. */
#define NEWC_MAGIC "070701"
#define NEWC_MAGIC_SIZE 6
#define NEWC_FIELD_SIZE 8
#define NEWC_HEADER_SIZE 110
#define NEWC_TRAILER "TRAILER!!!"

enum newc_field {
    NEWC_INODE,
    NEWC_MODE,
    NEWC_UID,
    NEWC_GID,
    NEWC_LINK_COUNT,
    NEWC_MTIME,
    NEWC_FILE_SIZE,
    NEWC_DEV_MAJOR,
    NEWC_DEV_MINOR,
    NEWC_RDEV_MAJOR,
    NEWC_RDEV_MINOR,
    NEWC_NAME_SIZE,
    NEWC_CHECK,
};

#define MODE_TYPE_MASK 0170000u
#define MODE_REGULAR_FILE 0100000u

bool boot_archive_has_magic(const void *data, size_t size)
{
    return size >= NEWC_MAGIC_SIZE && memcmp(data, NEWC_MAGIC, NEWC_MAGIC_SIZE) == 0;
}

void boot_archive_open(struct boot_archive_cursor *cursor, const void *archive, size_t size)
{
    *cursor = (struct boot_archive_cursor){.archive = archive, .size = size, .offset = 0, .finished = false};
}

static bool parse_field(const uint8_t *header, enum newc_field field, uint32_t *value)
{
    const uint8_t *digits = header + NEWC_MAGIC_SIZE + (size_t)field * NEWC_FIELD_SIZE;
    uint32_t result = 0;
    for (size_t i = 0; i < NEWC_FIELD_SIZE; i++) {
        uint8_t c = digits[i];
        uint32_t digit;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            digit = c - 'A' + 10;
        } else {
            return false;
        }
        result = result << 4 | digit;
    }
    *value = result;
    return true;
}

static size_t align4(size_t value)
{
    return (value + 3) & ~(size_t)3;
}

static enum error refuse(const char **reason, const char *why)
{
    *reason = why;
    return ERROR_MALFORMED;
}

enum error boot_archive_next(struct boot_archive_cursor *cursor, struct boot_archive_entry *entry, const char **reason)
{
    if (cursor->finished) {
        return ERROR_NOT_FOUND;
    }
    if (cursor->offset > cursor->size || cursor->size - cursor->offset < NEWC_HEADER_SIZE) {
        return refuse(reason, "boot archive ends without a trailer entry");
    }
    const uint8_t *header = cursor->archive + cursor->offset;
    if (!boot_archive_has_magic(header, NEWC_HEADER_SIZE)) {
        return refuse(reason, "boot archive entry has a bad magic (only cpio newc is supported)");
    }
    uint32_t mode, file_size, name_size;
    if (!parse_field(header, NEWC_MODE, &mode) || !parse_field(header, NEWC_FILE_SIZE, &file_size) ||
        !parse_field(header, NEWC_NAME_SIZE, &name_size)) {
        return refuse(reason, "boot archive header has a non-hexadecimal field");
    }
    size_t remaining = cursor->size - cursor->offset - NEWC_HEADER_SIZE;
    if (name_size < 2 || name_size > remaining) {
        return refuse(reason, "boot archive entry name is empty or truncated");
    }
    const char *name = (const char *)header + NEWC_HEADER_SIZE;
    if (name[name_size - 1] != '\0' || strlen(name) != name_size - 1) {
        return refuse(reason, "boot archive entry name is not a single NUL-terminated string");
    }
    size_t data_offset = align4(cursor->offset + NEWC_HEADER_SIZE + name_size);
    if (data_offset > cursor->size || file_size > cursor->size - data_offset) {
        return refuse(reason, "boot archive entry data extends past the end of the archive");
    }
    if (strcmp(name, NEWC_TRAILER) == 0) {
        cursor->finished = true;
        return ERROR_NOT_FOUND;
    }
    *entry = (struct boot_archive_entry){
        .name = name,
        .data = cursor->archive + data_offset,
        .size = file_size,
        .is_regular_file = (mode & MODE_TYPE_MASK) == MODE_REGULAR_FILE,
    };
    cursor->offset = align4(data_offset + file_size);
    return ERROR_NONE;
}
