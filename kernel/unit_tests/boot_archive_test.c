/* Unit tests for the cpio "newc" boot archive reader (kernel/core/boot_archive.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/boot_archive.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEWC_HEADER_SIZE 110
#define NEWC_FIELD_COUNT 13
#define NEWC_MAGIC_SIZE 6

/* Field positions in the newc header, in the order the format defines them. */
enum newc_field {
    FIELD_INODE,
    FIELD_MODE,
    FIELD_UID,
    FIELD_GID,
    FIELD_LINK_COUNT,
    FIELD_MTIME,
    FIELD_FILE_SIZE,
    FIELD_DEV_MAJOR,
    FIELD_DEV_MINOR,
    FIELD_RDEV_MAJOR,
    FIELD_RDEV_MINOR,
    FIELD_NAME_SIZE,
    FIELD_CHECK,
};

#define MODE_REGULAR_FILE 0100644u
#define MODE_DIRECTORY 040755u

/* An archive assembled in memory, entry by entry, the way `cpio -o -H newc` lays it out. */
struct archive {
    _Alignas(8) uint8_t bytes[2048];
    size_t size;
    size_t inode;
};

static void append_bytes(struct archive *archive, const void *data, size_t size)
{
    assert_true(archive->size + size <= sizeof(archive->bytes));
    memcpy(archive->bytes + archive->size, data, size);
    archive->size += size;
}

static void pad_to_4(struct archive *archive)
{
    static const uint8_t zeros[3] = {0};
    append_bytes(archive, zeros, (4 - archive->size % 4) % 4);
}

/* The 110-byte header: magic, then 13 fields of 8 uppercase hexadecimal digits. Returns its offset. */
static size_t append_header(struct archive *archive, const char *magic, uint32_t mode, uint32_t file_size,
                            uint32_t name_size)
{
    uint32_t fields[NEWC_FIELD_COUNT] = {
        [FIELD_INODE] = (uint32_t)++archive->inode,
        [FIELD_MODE] = mode,
        [FIELD_UID] = 0,
        [FIELD_GID] = 0,
        [FIELD_LINK_COUNT] = 1,
        [FIELD_MTIME] = 0x5F5E1000,
        [FIELD_FILE_SIZE] = file_size,
        [FIELD_DEV_MAJOR] = 8,
        [FIELD_DEV_MINOR] = 1,
        [FIELD_RDEV_MAJOR] = 0,
        [FIELD_RDEV_MINOR] = 0,
        [FIELD_NAME_SIZE] = name_size,
        [FIELD_CHECK] = 0,
    };
    char header[NEWC_HEADER_SIZE + 1];
    size_t length = (size_t)snprintf(header, sizeof(header), "%s", magic);
    for (size_t i = 0; i < NEWC_FIELD_COUNT; i++) {
        length += (size_t)snprintf(header + length, sizeof(header) - length, "%08X", (unsigned)fields[i]);
    }
    assert_int_equal(length, NEWC_HEADER_SIZE);
    size_t offset = archive->size;
    append_bytes(archive, header, NEWC_HEADER_SIZE);
    return offset;
}

/* A complete entry: header, name bytes (name_size of them), padding, data, padding. Returns its offset. */
static size_t append_raw_entry(struct archive *archive, uint32_t mode, const char *name, uint32_t name_size,
                               const void *data, uint32_t data_size)
{
    size_t offset = append_header(archive, "070701", mode, data_size, name_size);
    append_bytes(archive, name, name_size);
    pad_to_4(archive);
    append_bytes(archive, data, data_size);
    pad_to_4(archive);
    return offset;
}

static size_t append_entry(struct archive *archive, uint32_t mode, const char *name, const void *data,
                           uint32_t data_size)
{
    return append_raw_entry(archive, mode, name, (uint32_t)strlen(name) + 1, data, data_size);
}

static size_t append_file(struct archive *archive, const char *name, const char *contents)
{
    return append_entry(archive, MODE_REGULAR_FILE, name, contents, (uint32_t)strlen(contents));
}

static void append_trailer(struct archive *archive)
{
    append_entry(archive, 0, "TRAILER!!!", "", 0);
}

/* Overwrites one 8-digit header field of the entry at entry_offset with text. */
static void overwrite_field(struct archive *archive, size_t entry_offset, enum newc_field field, const char *text)
{
    assert_int_equal(strlen(text), 8);
    memcpy(archive->bytes + entry_offset + NEWC_MAGIC_SIZE + (size_t)field * 8, text, 8);
}

/*
 * The archive as the reader sees it: a heap copy of exactly size bytes, so that AddressSanitizer reports any read
 * past the end of the archive.
 */
struct reader {
    uint8_t *bytes;
    size_t size;
    struct boot_archive_cursor cursor;
};

static void open_reader(struct reader *reader, const struct archive *archive, size_t size)
{
    assert_true(size <= archive->size);
    reader->bytes = malloc(size > 0 ? size : 1);
    assert_non_null(reader->bytes);
    memcpy(reader->bytes, archive->bytes, size);
    reader->size = size;
    boot_archive_open(&reader->cursor, reader->bytes, size);
}

static void close_reader(struct reader *reader)
{
    free(reader->bytes);
}

static enum error next_entry(struct reader *reader, struct boot_archive_entry *entry)
{
    const char *reason = NULL;
    enum error error = boot_archive_next(&reader->cursor, entry, &reason);
    if (error == ERROR_MALFORMED) {
        assert_non_null(reason);
    }
    return error;
}

/* Reads the first size bytes of the archive: skip entries are fine, the next one is refused as malformed. */
static void assert_malformed_after(const struct archive *archive, size_t size, size_t skip)
{
    struct reader reader;
    struct boot_archive_entry entry;
    open_reader(&reader, archive, size);
    for (size_t i = 0; i < skip; i++) {
        assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    }
    const char *reason = NULL;
    assert_int_equal(boot_archive_next(&reader.cursor, &entry, &reason), ERROR_MALFORMED);
    assert_non_null(reason);
    assert_true(strlen(reason) > 0);
    close_reader(&reader);
}

static void assert_entry(const struct boot_archive_entry *entry, const struct reader *reader, const char *name,
                         const char *contents, bool is_regular_file)
{
    assert_string_equal(entry->name, name);
    assert_int_equal(entry->size, strlen(contents));
    assert_memory_equal(entry->data, contents, entry->size);
    assert_int_equal(entry->is_regular_file, is_regular_file);
    /* Data starts 4-byte aligned inside the archive, after the header and name. */
    assert_true(entry->data >= reader->bytes && entry->data + entry->size <= reader->bytes + reader->size);
    assert_int_equal((size_t)(entry->data - reader->bytes) % 4, 0);
}

/* Names of 10, 2 and 4 bytes (with NUL) and data sizes 5, 0 and 8 exercise every padding amount. */
static void test_regular_files_then_trailer(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_file(&archive, "hello.txt", "world");
    append_file(&archive, "e", "");
    append_file(&archive, "abc", "12345678");
    append_trailer(&archive);

    struct reader reader;
    struct boot_archive_entry entry;
    open_reader(&reader, &archive, archive.size);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_entry(&entry, &reader, "hello.txt", "world", true);
    /* 110-byte header + 10-byte name = 120, already a multiple of 4. */
    assert_ptr_equal(entry.data, reader.bytes + 120);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_entry(&entry, &reader, "e", "", true);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_entry(&entry, &reader, "abc", "12345678", true);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NOT_FOUND);
    close_reader(&reader);
}

static void test_two_files_with_binary_data(void **state)
{
    (void)state;
    static const uint8_t image[] = {0x7f, 'E', 'L', 'F', 0, 0, 0xff, 0x10, 0};
    struct archive archive = {0};
    append_entry(&archive, MODE_REGULAR_FILE, "root-task.elf", image, sizeof(image));
    append_file(&archive, "manifest.txt", "root-task.elf\n");
    append_trailer(&archive);

    struct reader reader;
    struct boot_archive_entry entry;
    open_reader(&reader, &archive, archive.size);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_string_equal(entry.name, "root-task.elf");
    assert_int_equal(entry.size, sizeof(image));
    assert_memory_equal(entry.data, image, sizeof(image));
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_entry(&entry, &reader, "manifest.txt", "root-task.elf\n", true);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NOT_FOUND);
    close_reader(&reader);
}

/* cpio pads the archive with zeros to a 512-byte block; nothing after the trailer is read as an entry. */
static void test_stops_at_trailer_despite_following_bytes(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_file(&archive, "a", "x");
    append_trailer(&archive);
    size_t trailer_end = archive.size;
    append_file(&archive, "after-trailer", "must not be seen");
    memset(archive.bytes + archive.size, 0, 512 - archive.size);
    archive.size = 512;
    assert_true(trailer_end < archive.size);

    struct reader reader;
    struct boot_archive_entry entry;
    open_reader(&reader, &archive, archive.size);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_entry(&entry, &reader, "a", "x", true);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NOT_FOUND);
    assert_int_not_equal(next_entry(&reader, &entry), ERROR_NONE);
    close_reader(&reader);
}

static void test_directory_is_not_a_regular_file(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_entry(&archive, MODE_DIRECTORY, "bin", "", 0);
    append_file(&archive, "bin/init", "#!");
    append_trailer(&archive);

    struct reader reader;
    struct boot_archive_entry entry;
    open_reader(&reader, &archive, archive.size);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_string_equal(entry.name, "bin");
    assert_int_equal(entry.size, 0);
    assert_false(entry.is_regular_file);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_entry(&entry, &reader, "bin/init", "#!", true);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NOT_FOUND);
    close_reader(&reader);
}

/* A symbolic link (mode 0120777) shares bits with a regular file (0100000) but is not one. */
static void test_symlink_is_not_a_regular_file(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_entry(&archive, 0120777u, "link", "target", 6);
    append_trailer(&archive);

    struct reader reader;
    struct boot_archive_entry entry;
    open_reader(&reader, &archive, archive.size);
    assert_int_equal(next_entry(&reader, &entry), ERROR_NONE);
    assert_string_equal(entry.name, "link");
    assert_false(entry.is_regular_file);
    close_reader(&reader);
}

static void test_empty_archive_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    assert_malformed_after(&archive, 0, 0);
}

static void test_missing_trailer_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_file(&archive, "a", "data");
    append_file(&archive, "b", "more");
    assert_malformed_after(&archive, archive.size, 2);
}

/* The archive ends inside the first header, and inside the second header. */
static void test_truncated_header_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    size_t first = append_file(&archive, "a", "data");
    size_t second = append_file(&archive, "b", "more");
    append_trailer(&archive);
    assert_malformed_after(&archive, first + NEWC_HEADER_SIZE - 1, 0);
    assert_malformed_after(&archive, first + 50, 0);
    assert_malformed_after(&archive, second + NEWC_HEADER_SIZE - 1, 1);
}

/* "070707" is the old portable (odc) format, "070702" newc with checksums: only "070701" is accepted. */
static void test_bad_magic_is_malformed(void **state)
{
    (void)state;
    static const char *const magics[] = {"070707", "070702", "071701", "\0\0\0\0\0\0"};
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
        struct archive archive = {0};
        append_file(&archive, "a", "data");
        append_trailer(&archive);
        memcpy(archive.bytes, magics[i], NEWC_MAGIC_SIZE);
        assert_malformed_after(&archive, archive.size, 0);
    }
}

static void test_bad_magic_in_second_entry_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_file(&archive, "a", "data");
    size_t second = append_file(&archive, "b", "data");
    append_trailer(&archive);
    memcpy(archive.bytes + second, "070707", NEWC_MAGIC_SIZE);
    assert_malformed_after(&archive, archive.size, 1);
}

/* Every field the reader needs (mode, file size, name size) must be 8 hexadecimal digits. */
static void test_non_hexadecimal_field_is_malformed(void **state)
{
    (void)state;
    static const enum newc_field fields[] = {FIELD_MODE, FIELD_FILE_SIZE, FIELD_NAME_SIZE};
    static const char *const bad_values[] = {"0000000G", "0000 004", "-0000004", "0x000004", "0000000:"};
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        for (size_t v = 0; v < sizeof(bad_values) / sizeof(bad_values[0]); v++) {
            struct archive archive = {0};
            size_t entry = append_file(&archive, "abc", "data");
            append_trailer(&archive);
            overwrite_field(&archive, entry, fields[f], bad_values[v]);
            assert_malformed_after(&archive, archive.size, 0);
        }
    }
}

/* A name size of 0 has no room for a NUL; 1 is the empty name. */
static void test_empty_name_is_malformed(void **state)
{
    (void)state;
    for (uint32_t name_size = 0; name_size <= 1; name_size++) {
        struct archive archive = {0};
        append_raw_entry(&archive, MODE_REGULAR_FILE, "", name_size, "data", 4);
        append_trailer(&archive);
        assert_malformed_after(&archive, archive.size, 0);
    }
}

/* The name size excludes the NUL, so the name's last byte is a letter. */
static void test_name_without_terminating_nul_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_raw_entry(&archive, MODE_REGULAR_FILE, "name", 4, "data", 4);
    append_trailer(&archive);
    assert_malformed_after(&archive, archive.size, 0);
}

static void test_name_with_embedded_nul_is_malformed(void **state)
{
    (void)state;
    static const char name[] = "ab\0cd";
    struct archive archive = {0};
    append_raw_entry(&archive, MODE_REGULAR_FILE, name, sizeof(name), "data", 4);
    append_trailer(&archive);
    assert_malformed_after(&archive, archive.size, 0);
}

/* The name size claims more bytes than the archive has left. */
static void test_name_past_end_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    size_t entry = append_file(&archive, "abc", "data");
    append_trailer(&archive);
    overwrite_field(&archive, entry, FIELD_NAME_SIZE, "00001000");
    assert_malformed_after(&archive, archive.size, 0);
    overwrite_field(&archive, entry, FIELD_NAME_SIZE, "FFFFFFFF");
    assert_malformed_after(&archive, archive.size, 0);
}

/*
 * The archive ends inside the name: with the NUL counted in the name size (so the name size overshoots) and
 * without it (so the last byte of the archive is the name's last letter).
 */
static void test_name_cut_by_end_of_archive_is_malformed(void **state)
{
    (void)state;
    for (uint32_t name_size = 4; name_size <= 5; name_size++) {
        struct archive archive = {0};
        append_header(&archive, "070701", MODE_REGULAR_FILE, 0, name_size);
        append_bytes(&archive, "abcd", 4);
        assert_malformed_after(&archive, archive.size, 0);
    }
}

static void test_file_size_past_end_is_malformed(void **state)
{
    (void)state;
    static const char *const sizes[] = {"00000100", "7FFFFFFF", "FFFFFFFF"};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct archive archive = {0};
        size_t entry = append_file(&archive, "abc", "data");
        append_trailer(&archive);
        overwrite_field(&archive, entry, FIELD_FILE_SIZE, sizes[i]);
        assert_malformed_after(&archive, archive.size, 0);
    }
}

/* The data of the only file reaches the very end of a trailerless archive, then is cut by one byte. */
static void test_data_truncated_by_one_byte_is_malformed(void **state)
{
    (void)state;
    struct archive archive = {0};
    append_file(&archive, "abc", "data");
    assert_int_equal(archive.size % 4, 0);
    assert_malformed_after(&archive, archive.size - 1, 0);
}

static void test_has_magic(void **state)
{
    (void)state;
    assert_true(boot_archive_has_magic("070701", 6));
    assert_true(boot_archive_has_magic("07070100000001", 14));
    assert_false(boot_archive_has_magic("070701", 5));
    assert_false(boot_archive_has_magic("", 0));
    assert_false(boot_archive_has_magic("070707", 6));
    assert_false(boot_archive_has_magic("070702", 6));
    assert_false(boot_archive_has_magic("\177ELF\2\1", 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_files_then_trailer),
        cmocka_unit_test(test_two_files_with_binary_data),
        cmocka_unit_test(test_stops_at_trailer_despite_following_bytes),
        cmocka_unit_test(test_directory_is_not_a_regular_file),
        cmocka_unit_test(test_symlink_is_not_a_regular_file),
        cmocka_unit_test(test_empty_archive_is_malformed),
        cmocka_unit_test(test_missing_trailer_is_malformed),
        cmocka_unit_test(test_truncated_header_is_malformed),
        cmocka_unit_test(test_bad_magic_is_malformed),
        cmocka_unit_test(test_bad_magic_in_second_entry_is_malformed),
        cmocka_unit_test(test_non_hexadecimal_field_is_malformed),
        cmocka_unit_test(test_empty_name_is_malformed),
        cmocka_unit_test(test_name_without_terminating_nul_is_malformed),
        cmocka_unit_test(test_name_with_embedded_nul_is_malformed),
        cmocka_unit_test(test_name_past_end_is_malformed),
        cmocka_unit_test(test_name_cut_by_end_of_archive_is_malformed),
        cmocka_unit_test(test_file_size_past_end_is_malformed),
        cmocka_unit_test(test_data_truncated_by_one_byte_is_malformed),
        cmocka_unit_test(test_has_magic),
    };
    return cmocka_run_group_tests_name("boot_archive_test", tests, NULL, NULL);
}
