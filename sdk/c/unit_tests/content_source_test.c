/* Upload content: chunking of buffers and files, SHA-256 against known digests, files that cannot be read or that
 * change while read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "content_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PATH_BYTES 4096

/* A temporary file with content; the path is in path (free with unlink). */
static void write_file(char path[PATH_BYTES], const void *content, size_t size)
{
    snprintf(path, PATH_BYTES, "%s/content_source_XXXXXX", getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, size), (ssize_t)size);
    close(fd);
}

static void test_buffer_chunks_and_digest(void **state)
{
    (void)state;
    struct content_source source;
    struct kapsel_status status;
    assert_int_equal(content_source_from_buffer(&source, "abcdefg", 7, 3, &status), KAPSEL_OK);
    char hex[KAPSEL_SHA256_HEX_BYTES];
    assert_int_equal(content_source_sha256(&source, hex, &status), KAPSEL_OK);
    assert_string_equal(hex, "7d1a54127b222502f5b79b5fb0803061152a44f92b37e23c6527baf665d4da9a");
    const uint8_t *data;
    size_t length;
    size_t lengths[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(content_source_next(&source, &data, &length, &status), KAPSEL_OK);
        lengths[i] = length;
    }
    assert_int_equal(lengths[0], 3);
    assert_int_equal(lengths[1], 3);
    assert_int_equal(lengths[2], 1);
    assert_int_equal(lengths[3], 0);
    content_source_close(&source);
}

static void test_chunk_size_limits(void **state)
{
    (void)state;
    struct content_source source;
    struct kapsel_status status;
    assert_int_equal(content_source_from_buffer(&source, "a", 1, 0, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(content_source_from_buffer(&source, "a", 1, KAPSEL_UPLOAD_CHUNK_MAX + 1, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_non_null(strstr(status.message, "1048577"));
    assert_int_equal(content_source_from_buffer(&source, "a", 1, KAPSEL_UPLOAD_CHUNK_MAX, NULL), KAPSEL_OK);
    assert_int_equal(content_source_from_buffer(&source, NULL, 1, 1, &status), KAPSEL_INVALID_ARGUMENT);
}

static void test_file_digest_and_chunks(void **state)
{
    (void)state;
    size_t size = 2 * KAPSEL_UPLOAD_CHUNK_MAX + 5;
    uint8_t *content = malloc(size);
    for (size_t i = 0; i < size; i++) {
        content[i] = (uint8_t)(i * 7);
    }
    char path[PATH_BYTES];
    write_file(path, content, size);
    struct content_source from_file;
    struct content_source from_buffer;
    struct kapsel_status status;
    assert_int_equal(content_source_from_file(&from_file, path, KAPSEL_UPLOAD_CHUNK_MAX, &status), KAPSEL_OK);
    assert_int_equal(content_source_from_buffer(&from_buffer, content, size, KAPSEL_UPLOAD_CHUNK_MAX, &status),
                     KAPSEL_OK);
    char file_hex[KAPSEL_SHA256_HEX_BYTES];
    char buffer_hex[KAPSEL_SHA256_HEX_BYTES];
    assert_int_equal(content_source_sha256(&from_file, file_hex, &status), KAPSEL_OK);
    assert_int_equal(content_source_sha256(&from_buffer, buffer_hex, &status), KAPSEL_OK);
    assert_string_equal(file_hex, buffer_hex);
    size_t total = 0;
    size_t chunks = 0;
    for (;;) {
        const uint8_t *data;
        size_t length;
        assert_int_equal(content_source_next(&from_file, &data, &length, &status), KAPSEL_OK);
        if (length == 0) {
            break;
        }
        assert_true(length <= KAPSEL_UPLOAD_CHUNK_MAX);
        assert_memory_equal(data, content + total, length);
        total += length;
        chunks++;
    }
    assert_int_equal(total, size);
    assert_int_equal(chunks, 3);
    content_source_close(&from_file);
    content_source_close(&from_buffer);
    unlink(path);
    free(content);
}

static void test_sha256_file_known_digests(void **state)
{
    (void)state;
    char path[PATH_BYTES];
    char hex[KAPSEL_SHA256_HEX_BYTES];
    uint64_t size = 99;
    write_file(path, "abc", 3);
    assert_int_equal(kapsel_sha256_file(path, hex, &size, NULL), KAPSEL_OK);
    assert_string_equal(hex, SHA256_ABC);
    assert_int_equal(size, 3);
    unlink(path);
    write_file(path, "", 0);
    assert_int_equal(kapsel_sha256_file(path, hex, &size, NULL), KAPSEL_OK);
    assert_string_equal(hex, SHA256_EMPTY);
    assert_int_equal(size, 0);
    unlink(path);
}

static void test_sha256_buffer_known_digests(void **state)
{
    (void)state;
    char hex[KAPSEL_SHA256_HEX_BYTES];
    struct kapsel_status status;
    assert_int_equal(kapsel_sha256_buffer("abc", 3, hex, &status), KAPSEL_OK);
    assert_string_equal(hex, SHA256_ABC);
    assert_int_equal(kapsel_sha256_buffer(NULL, 0, hex, &status), KAPSEL_OK);
    assert_string_equal(hex, SHA256_EMPTY);
    assert_int_equal(kapsel_sha256_buffer(NULL, 1, hex, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_sha256_buffer("abc", 3, NULL, &status), KAPSEL_INVALID_ARGUMENT);
}

static void test_files_that_cannot_be_read(void **state)
{
    (void)state;
    struct kapsel_status status;
    char hex[KAPSEL_SHA256_HEX_BYTES];
    assert_int_equal(kapsel_sha256_file("/nonexistent/kernel", hex, NULL, &status), KAPSEL_NOT_FOUND);
    assert_non_null(strstr(status.message, "/nonexistent/kernel"));
    assert_int_equal(kapsel_sha256_file("/", hex, NULL, &status), KAPSEL_INVALID_ARGUMENT);
    assert_non_null(strstr(status.message, "not a regular file"));
    assert_int_equal(kapsel_sha256_file(NULL, hex, NULL, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_sha256_file("/", NULL, NULL, &status), KAPSEL_INVALID_ARGUMENT);
}

static void test_a_file_that_shrinks_while_read_aborts(void **state)
{
    (void)state;
    char path[PATH_BYTES];
    write_file(path, "0123456789", 10);
    struct content_source source;
    struct kapsel_status status;
    assert_int_equal(content_source_from_file(&source, path, 4, &status), KAPSEL_OK);
    assert_int_equal(truncate(path, 5), 0);
    const uint8_t *data;
    size_t length;
    assert_int_equal(content_source_next(&source, &data, &length, &status), KAPSEL_OK);
    assert_int_equal(content_source_next(&source, &data, &length, &status), KAPSEL_ABORTED);
    assert_non_null(strstr(status.message, "shorter"));
    content_source_close(&source);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_chunks_and_digest),
        cmocka_unit_test(test_chunk_size_limits),
        cmocka_unit_test(test_file_digest_and_chunks),
        cmocka_unit_test(test_sha256_file_known_digests),
        cmocka_unit_test(test_sha256_buffer_known_digests),
        cmocka_unit_test(test_files_that_cannot_be_read),
        cmocka_unit_test(test_a_file_that_shrinks_while_read_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
