/* kapselctl's output building blocks: the JSON writer (exact text, escaping, invalid UTF-8), tables, sizes, ages,
 * times and progress lines. */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "capture.h"
#include "human_format.h"
#include "json_writer.h"
#include "progress.h"
#include "table.h"

#include <string.h>

static void test_json_pretty_nesting(void **state)
{
    (void)state;
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, true);
    json_begin_object(&writer);
    json_key(&writer, "name");
    json_string(&writer, "vms/a");
    json_key(&writer, "empty_object");
    json_begin_object(&writer);
    json_end_object(&writer);
    json_key(&writer, "empty_array");
    json_begin_array(&writer);
    json_end_array(&writer);
    json_key(&writer, "list");
    json_begin_array(&writer);
    json_uint(&writer, 18446744073709551615ull);
    json_bool(&writer, false);
    json_begin_object(&writer);
    json_key(&writer, "ok");
    json_bool(&writer, true);
    json_end_object(&writer);
    json_end_array(&writer);
    json_end_object(&writer);
    assert_string_equal(capture_close(&out), "{\n"
                                             "  \"name\": \"vms/a\",\n"
                                             "  \"empty_object\": {},\n"
                                             "  \"empty_array\": [],\n"
                                             "  \"list\": [\n"
                                             "    18446744073709551615,\n"
                                             "    false,\n"
                                             "    {\n"
                                             "      \"ok\": true\n"
                                             "    }\n"
                                             "  ]\n"
                                             "}\n");
    capture_free(&out);
}

static void test_json_compact_lines(void **state)
{
    (void)state;
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    for (int i = 0; i < 2; i++) {
        json_begin_object(&writer);
        json_key(&writer, "offset");
        json_uint(&writer, (uint64_t)i);
        json_key(&writer, "data");
        json_string(&writer, "x");
        json_end_object(&writer);
    }
    assert_string_equal(capture_close(&out), "{\"offset\":0,\"data\":\"x\"}\n{\"offset\":1,\"data\":\"x\"}\n");
    capture_free(&out);
}

static void test_json_escaping(void **state)
{
    (void)state;
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    json_begin_array(&writer);
    json_string(&writer, "quote\" backslash\\ newline\n tab\t cr\r bell\a del\x7f");
    json_string(&writer, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); /* valid UTF-8 stays */
    json_bytes_string(&writer,
                      (const uint8_t *)"a\xff"
                                       "b\xc3",
                      4);                                                   /* invalid bytes: U+FFFD */
    json_bytes_string(&writer, (const uint8_t *)"\xc0\xaf\xed\xa0\x80", 5); /* overlong, surrogate */
    json_bytes_string(&writer, (const uint8_t *)"nul\0byte", 8);
    json_string(&writer, NULL);
    json_end_array(&writer);
    assert_string_equal(capture_close(&out), "[\"quote\\\" backslash\\\\ newline\\n tab\\t cr\\r bell\\u0007 del\x7f\","
                                             "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
                                             "\"a\\ufffdb\\ufffd\","
                                             "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\","
                                             "\"nul\\u0000byte\","
                                             "\"\"]\n");
    capture_free(&out);
}

static void test_json_keys_are_escaped(void **state)
{
    (void)state;
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    json_begin_object(&writer);
    json_key(&writer, "a\"b");
    json_string(&writer, "c");
    json_end_object(&writer);
    assert_string_equal(capture_close(&out), "{\"a\\\"b\":\"c\"}\n");
    capture_free(&out);
}

static void test_table_aligns_columns(void **state)
{
    (void)state;
    static const char *const headers[] = {"NAME", "STATE", "REASON"};
    struct table table;
    assert_true(table_init(&table, 3, headers));
    assert_true(table_add_row(&table, (const char *const[]){"vms/a-long-name", "RUNNING", "-"}));
    assert_true(table_add_row(&table, (const char *const[]){"vms/b", "FAILED", "line one\nline two"}));
    assert_true(table_add_row(&table, (const char *const[]){"vms/\xc3\xa9t\xc3\xa9", "OK", ""}));
    struct capture out;
    capture_open(&out);
    table_print(&table, out.file);
    assert_string_equal(capture_close(&out), "NAME              STATE     REASON\n"
                                             "vms/a-long-name   RUNNING   -\n"
                                             "vms/b             FAILED    line one line two\n"
                                             "vms/\xc3\xa9t\xc3\xa9           OK        \n");
    capture_free(&out);
    table_free(&table);
}

static void test_table_with_no_rows_prints_its_header(void **state)
{
    (void)state;
    static const char *const headers[] = {"A", "B"};
    struct table table;
    assert_true(table_init(&table, 2, headers));
    struct capture out;
    capture_open(&out);
    table_print(&table, out.file);
    assert_string_equal(capture_close(&out), "A   B\n");
    capture_free(&out);
    table_free(&table);
}

static void test_bytes(void **state)
{
    (void)state;
    char text[HUMAN_TEXT_BYTES];
    format_bytes(0, text);
    assert_string_equal(text, "0B");
    format_bytes(1023, text);
    assert_string_equal(text, "1023B");
    format_bytes(1024, text);
    assert_string_equal(text, "1Ki");
    format_bytes(256ull << 20, text);
    assert_string_equal(text, "256Mi");
    format_bytes(3ull << 29, text);
    assert_string_equal(text, "1.5Gi");
    format_bytes(3000000, text);
    assert_string_equal(text, "2.9Mi");
    format_bytes(UINT64_MAX, text);
    assert_string_equal(text, "16.0Ei");
}

static void test_ages_and_times(void **state)
{
    (void)state;
    char text[HUMAN_TEXT_BYTES];
    format_age(0, 5000, text);
    assert_string_equal(text, "-");
    format_age(1000, 46000, text);
    assert_string_equal(text, "45s");
    format_age(0 + 1, 1 + 12 * 60000, text);
    assert_string_equal(text, "12m");
    format_age(1, 1 + 3 * 3600000ull, text);
    assert_string_equal(text, "3h");
    format_age(1, 1 + 5 * 86400000ull, text);
    assert_string_equal(text, "5d");
    format_age(9000, 1000, text); /* a clock behind the host's */
    assert_string_equal(text, "0s");
    format_time_utc(0, text);
    assert_string_equal(text, "-");
    format_time_utc(1714557600123ull, text);
    assert_string_equal(text, "2024-05-01T10:00:00Z");
}

static void test_progress_lines(void **state)
{
    (void)state;
    char line[PROGRESS_LINE_BYTES];
    progress_line(line, "vmlinuz", 1048576, 2097152, 500, false);
    assert_string_equal(line, "vmlinuz: 1048576 of 2097152 bytes (50%), 2Mi/s");
    progress_line(line, "vmlinuz", 1048576, 2097152, 500, true);
    assert_string_equal(line, "vmlinuz  [############------------]  50%  1Mi / 2Mi  2Mi/s");
    progress_line(line, "x", 0, 10, 0, true);
    assert_string_equal(line, "x  [------------------------]   0%  0B / 10B  -");
    progress_line(line, "x", 10, 10, 1000, true);
    assert_string_equal(line, "x  [########################] 100%  10B / 10B  10B/s");
}

static void test_progress_prints_quarters_when_not_a_terminal(void **state)
{
    (void)state;
    struct capture out;
    capture_open(&out);
    struct upload_progress progress;
    upload_progress_init(&progress, out.file, false, "img");
    for (uint64_t sent = 0; sent <= 100; sent += 10) {
        upload_progress_update(&progress, sent, 100);
    }
    upload_progress_finish(&progress);
    const char *text = capture_close(&out);
    size_t lines = 0;
    for (const char *c = text; *c; c++) {
        lines += *c == '\n';
    }
    assert_int_equal(lines, 4); /* 30 % (first quarter), 50 %, 80 %, 100 % */
    assert_non_null(strstr(text, "img: 100 of 100 bytes (100%)"));
    capture_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_pretty_nesting),
        cmocka_unit_test(test_json_compact_lines),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_keys_are_escaped),
        cmocka_unit_test(test_table_aligns_columns),
        cmocka_unit_test(test_table_with_no_rows_prints_its_header),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_ages_and_times),
        cmocka_unit_test(test_progress_lines),
        cmocka_unit_test(test_progress_prints_quarters_when_not_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
