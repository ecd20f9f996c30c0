/*
 * Unit tests for finding the manifest's files and shared regions in a Micro-App's environment
 * (lib/runtime/environment_file.c).
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "environment_file.h"

#include <string.h>

static struct app_environment environment;

static void add(const char *name, size_t name_length, uint64_t address, uint64_t size)
{
    struct app_file *entry = &environment.files[environment.file_count++];
    memcpy(entry->name, name, name_length);
    entry->address = address;
    entry->size = size;
}

static void add_shared(const char *name, size_t name_length, uint64_t address, uint64_t size)
{
    struct app_shared *entry = &environment.shared[environment.shared_count++];
    memcpy(entry->name, name, name_length);
    entry->address = address;
    entry->size = size;
}

static int set_up(void **state)
{
    (void)state;
    memset(&environment, 0, sizeof(environment));
    environment.magic = APP_ENVIRONMENT_MAGIC;
    add("bzImage", 7, APP_FILES_ADDRESS, 8 * 1024 * 1024 + 1);
    add("initramfs.cpio", 14, APP_FILES_ADDRESS + 8 * 1024 * 1024 + 4096, 12345);
    add("boot/empty", 10, APP_FILES_ADDRESS + 8 * 1024 * 1024 + 4 * 4096, 0);
    add_shared("net-ab", 6, APP_SHARED_ADDRESS, 64 * 1024);
    add_shared("ack", 3, APP_SHARED_ADDRESS + APP_SHARED_MAX_SIZE, 4096);
    return 0;
}

/* Looks name up; returns whether it was found, with the address as a number. */
static bool find(const char *name, uint64_t *address, uint64_t *size)
{
    const void *data = (const void *)1; /* must be overwritten either way */
    *size = 99;
    bool found = environment_file_find(&environment, name, &data, size);
    *address = (uint64_t)(uintptr_t)data;
    return found;
}

static void test_finds_each_file(void **state)
{
    (void)state;
    uint64_t address, size;
    assert_true(find("bzImage", &address, &size));
    assert_int_equal(address, APP_FILES_ADDRESS);
    assert_int_equal(size, 8 * 1024 * 1024 + 1);
    assert_true(find("initramfs.cpio", &address, &size));
    assert_int_equal(address, APP_FILES_ADDRESS + 8 * 1024 * 1024 + 4096);
    assert_int_equal(size, 12345);
    assert_true(find("boot/empty", &address, &size)); /* an empty file is still there */
    assert_int_equal(address, APP_FILES_ADDRESS + 8 * 1024 * 1024 + 4 * 4096);
    assert_int_equal(size, 0);
}

static void test_unknown_names_are_not_found(void **state)
{
    (void)state;
    uint64_t address, size;
    static const char *const names[] = {"", "bzimage", "bzImag", "bzImage2", "initramfs", "empty", "boot/"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_false(find(names[i], &address, &size));
        assert_int_equal(address, 0); /* NULL and 0 */
        assert_int_equal(size, 0);
    }
}

static void test_either_result_may_be_omitted(void **state)
{
    (void)state;
    const void *data = NULL;
    uint64_t size = 0;
    assert_true(environment_file_find(&environment, "bzImage", NULL, &size));
    assert_int_equal(size, 8 * 1024 * 1024 + 1);
    assert_true(environment_file_find(&environment, "initramfs.cpio", &data, NULL));
    assert_ptr_equal(data, (const void *)(uintptr_t)(APP_FILES_ADDRESS + 8 * 1024 * 1024 + 4096));
    assert_true(environment_file_find(&environment, "bzImage", NULL, NULL));
    assert_false(environment_file_find(&environment, "nothing", NULL, NULL));
}

static void test_entries_beyond_the_count_are_ignored(void **state)
{
    (void)state;
    uint64_t address, size;
    add("hidden", 6, APP_FILES_ADDRESS + 0x100000000ull, 1);
    environment.file_count--;
    assert_false(find("hidden", &address, &size));
}

static void test_a_full_table_is_read_to_its_end(void **state)
{
    (void)state;
    uint64_t address, size;
    while (environment.file_count < APP_MAX_FILES - 1) {
        add("filler", 6, APP_FILES_ADDRESS + 0x1000000ull * environment.file_count, 1);
    }
    add("last", 4, APP_FILES_ADDRESS + 0x10000000ull, 3);
    assert_int_equal(environment.file_count, APP_MAX_FILES);
    assert_true(find("last", &address, &size));
    assert_int_equal(size, 3);
}

static void test_a_count_beyond_the_table_rejects_the_environment(void **state)
{
    (void)state;
    uint64_t address, size;
    environment.file_count = APP_MAX_FILES + 1;
    assert_false(find("bzImage", &address, &size)); /* even the entries inside the table */
    assert_int_equal(address, 0);
    assert_int_equal(size, 0);
    environment.file_count = UINT64_MAX;
    assert_false(find("bzImage", &address, &size));
}

static void test_entries_outside_the_window_are_skipped(void **state)
{
    (void)state;
    uint64_t address, size;
    environment.files[0].address = APP_FILES_ADDRESS - 4096; /* below the window */
    assert_false(find("bzImage", &address, &size));
    environment.files[0].address = APP_FILES_ADDRESS + 8; /* not page-aligned */
    assert_false(find("bzImage", &address, &size));
    environment.files[0].address = APP_FILES_ADDRESS + APP_FILES_MAX_SIZE - 4096; /* ends beyond the window */
    environment.files[0].size = 4097;
    assert_false(find("bzImage", &address, &size));
    environment.files[0].size = 4096; /* ends exactly at the window's end */
    assert_true(find("bzImage", &address, &size));
    environment.files[0].size = UINT64_MAX; /* address + size would wrap */
    assert_false(find("bzImage", &address, &size));
    environment.files[0].address = UINT64_MAX - 4095;
    environment.files[0].size = 1;
    assert_false(find("bzImage", &address, &size));
    assert_true(find("initramfs.cpio", &address, &size)); /* the others are still there */
}

static void test_first_duplicate_wins(void **state)
{
    (void)state;
    uint64_t address, size;
    add("bzImage", 7, APP_FILES_ADDRESS + 0x20000000ull, 5);
    assert_true(find("bzImage", &address, &size));
    assert_int_equal(address, APP_FILES_ADDRESS);
}

static void test_name_filling_the_whole_field(void **state)
{
    (void)state;
    uint64_t address, size;
    char full[APP_FILE_NAME_SIZE + 2];
    memset(full, 'f', sizeof(full));
    add(full, APP_FILE_NAME_SIZE, APP_FILES_ADDRESS + 0x30000000ull, 7); /* no NUL inside the field */

    full[APP_FILE_NAME_SIZE] = '\0';
    assert_true(find(full, &address, &size));
    assert_int_equal(size, 7);

    full[APP_FILE_NAME_SIZE] = 'f';
    full[APP_FILE_NAME_SIZE + 1] = '\0';
    assert_false(find(full, &address, &size)); /* longer than any field */

    full[APP_FILE_NAME_SIZE - 1] = '\0';
    assert_false(find(full, &address, &size)); /* a prefix of it */
}

/* --- shared regions ------------------------------------------------------------------------- */

/* Looks a region up; returns whether it was found, with the address as a number. */
static bool find_shared(const char *name, uint64_t *address, uint64_t *size)
{
    void *data = (void *)1; /* must be overwritten either way */
    *size = 99;
    bool found = environment_shared_find(&environment, name, &data, size);
    *address = (uint64_t)(uintptr_t)data;
    return found;
}

static void test_finds_each_shared_region(void **state)
{
    (void)state;
    uint64_t address, size;
    assert_true(find_shared("net-ab", &address, &size));
    assert_int_equal(address, APP_SHARED_ADDRESS);
    assert_int_equal(size, 64 * 1024);
    assert_true(find_shared("ack", &address, &size));
    assert_int_equal(address, APP_SHARED_ADDRESS + APP_SHARED_MAX_SIZE);
    assert_int_equal(size, 4096);
    assert_true(environment_shared_find(&environment, "ack", NULL, NULL));
}

static void test_shared_and_files_are_apart(void **state)
{
    (void)state;
    uint64_t address, size;
    static const char *const names[] = {"", "net", "net-ab2", "ACK", "bzImage"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_false(find_shared(names[i], &address, &size));
        assert_int_equal(address, 0);
        assert_int_equal(size, 0);
    }
    assert_false(environment_file_find(&environment, "net-ab", NULL, NULL));
}

static void test_shared_entries_outside_the_window_are_skipped(void **state)
{
    (void)state;
    uint64_t address, size;
    environment.shared[0].address = APP_FILES_ADDRESS; /* the file window, not the shared one */
    assert_false(find_shared("net-ab", &address, &size));
    environment.shared[0].address = APP_SHARED_ADDRESS + 8; /* not page-aligned */
    assert_false(find_shared("net-ab", &address, &size));
    environment.shared[0].address = APP_SHARED_ADDRESS + APP_SHARED_WINDOW_SIZE - 4096;
    environment.shared[0].size = 4097; /* ends beyond the window */
    assert_false(find_shared("net-ab", &address, &size));
    environment.shared[0].size = 4096; /* ends exactly at the window's end */
    assert_true(find_shared("net-ab", &address, &size));
    environment.shared[0].size = UINT64_MAX; /* address + size would wrap */
    assert_false(find_shared("net-ab", &address, &size));
    assert_true(find_shared("ack", &address, &size));
}

static void test_a_shared_count_beyond_the_table_rejects_them_all(void **state)
{
    (void)state;
    uint64_t address, size;
    add_shared("three", 5, APP_SHARED_ADDRESS + 2 * APP_SHARED_MAX_SIZE, 4096);
    add_shared("four", 4, APP_SHARED_ADDRESS + 3 * APP_SHARED_MAX_SIZE, 4096);
    assert_int_equal(environment.shared_count, APP_MAX_SHARED);
    assert_true(find_shared("four", &address, &size)); /* a full table is read to its end */
    environment.shared_count = APP_MAX_SHARED + 1;
    assert_false(find_shared("net-ab", &address, &size));
    environment.shared_count = 1;
    assert_false(find_shared("ack", &address, &size)); /* beyond the count */
}

static void test_shared_name_filling_the_whole_field(void **state)
{
    (void)state;
    uint64_t address, size;
    char full[APP_SHARED_NAME_SIZE + 1];
    memset(full, 's', sizeof(full));
    add_shared(full, APP_SHARED_NAME_SIZE, APP_SHARED_ADDRESS + 2 * APP_SHARED_MAX_SIZE, 8192); /* no NUL */
    full[APP_SHARED_NAME_SIZE] = '\0';
    assert_true(find_shared(full, &address, &size));
    assert_int_equal(size, 8192);
    full[APP_SHARED_NAME_SIZE - 1] = '\0';
    assert_false(find_shared(full, &address, &size)); /* a prefix of it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_finds_each_file, set_up),
        cmocka_unit_test_setup(test_unknown_names_are_not_found, set_up),
        cmocka_unit_test_setup(test_either_result_may_be_omitted, set_up),
        cmocka_unit_test_setup(test_entries_beyond_the_count_are_ignored, set_up),
        cmocka_unit_test_setup(test_a_full_table_is_read_to_its_end, set_up),
        cmocka_unit_test_setup(test_a_count_beyond_the_table_rejects_the_environment, set_up),
        cmocka_unit_test_setup(test_entries_outside_the_window_are_skipped, set_up),
        cmocka_unit_test_setup(test_first_duplicate_wins, set_up),
        cmocka_unit_test_setup(test_name_filling_the_whole_field, set_up),
        cmocka_unit_test_setup(test_finds_each_shared_region, set_up),
        cmocka_unit_test_setup(test_shared_and_files_are_apart, set_up),
        cmocka_unit_test_setup(test_shared_entries_outside_the_window_are_skipped, set_up),
        cmocka_unit_test_setup(test_a_shared_count_beyond_the_table_rejects_them_all, set_up),
        cmocka_unit_test_setup(test_shared_name_filling_the_whole_field, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
