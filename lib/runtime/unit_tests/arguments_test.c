/* Unit tests for splitting a Micro-App's arguments line (lib/runtime/arguments.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arguments.h"

#include <string.h>

#define MAX_WORDS 8

static void test_empty_line_has_no_words(void **state)
{
    (void)state;
    char text[] = "";
    char *words[MAX_WORDS];
    assert_int_equal(arguments_split(text, words, MAX_WORDS), 0);
}

static void test_only_spaces_has_no_words(void **state)
{
    (void)state;
    char text[] = "    ";
    char *words[MAX_WORDS];
    assert_int_equal(arguments_split(text, words, MAX_WORDS), 0);
}

static void test_words_split_at_single_spaces(void **state)
{
    (void)state;
    char text[] = "--port 8080 verbose";
    char *words[MAX_WORDS];
    assert_int_equal(arguments_split(text, words, MAX_WORDS), 3);
    assert_string_equal(words[0], "--port");
    assert_string_equal(words[1], "8080");
    assert_string_equal(words[2], "verbose");
}

static void test_runs_of_spaces_and_edges_are_skipped(void **state)
{
    (void)state;
    char text[] = "   a    bc  d   ";
    char *words[MAX_WORDS];
    assert_int_equal(arguments_split(text, words, MAX_WORDS), 3);
    assert_string_equal(words[0], "a");
    assert_string_equal(words[1], "bc");
    assert_string_equal(words[2], "d");
}

static void test_words_point_into_the_text(void **state)
{
    (void)state;
    char text[] = "x yz";
    char *words[MAX_WORDS];
    assert_int_equal(arguments_split(text, words, MAX_WORDS), 2);
    assert_ptr_equal(words[0], &text[0]);
    assert_ptr_equal(words[1], &text[2]);
}

static void test_only_spaces_separate(void **state)
{
    (void)state;
    char text[] = "tab\tstays \"no quoting\"";
    char *words[MAX_WORDS];
    assert_int_equal(arguments_split(text, words, MAX_WORDS), 3);
    assert_string_equal(words[0], "tab\tstays");
    assert_string_equal(words[1], "\"no");
    assert_string_equal(words[2], "quoting\"");
}

static void test_stops_at_max_words(void **state)
{
    (void)state;
    char text[] = "one two three four";
    char *words[3] = {NULL, NULL, NULL};
    assert_int_equal(arguments_split(text, words, 2), 2);
    assert_string_equal(words[0], "one");
    assert_string_equal(words[1], "two");
    assert_null(words[2]);
}

static void test_max_zero_stores_nothing(void **state)
{
    (void)state;
    char text[] = "word";
    char *words[1] = {NULL};
    assert_int_equal(arguments_split(text, words, 0), 0);
    assert_null(words[0]);
    assert_string_equal(text, "word");
}

static void test_densest_line_fits_half_its_length(void **state)
{
    (void)state;
    /* The start path sizes its argv for one word per two characters: "a a a ... a" is the worst case. */
    char text[256];
    memset(text, ' ', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (size_t i = 0; i < sizeof(text) - 1; i += 2) {
        text[i] = 'a';
    }
    char *words[sizeof(text) / 2];
    assert_int_equal(arguments_split(text, words, (int)(sizeof(text) / 2)), 128);
    assert_string_equal(words[127], "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_line_has_no_words),
        cmocka_unit_test(test_only_spaces_has_no_words),
        cmocka_unit_test(test_words_split_at_single_spaces),
        cmocka_unit_test(test_runs_of_spaces_and_edges_are_skipped),
        cmocka_unit_test(test_words_point_into_the_text),
        cmocka_unit_test(test_only_spaces_separate),
        cmocka_unit_test(test_stops_at_max_words),
        cmocka_unit_test(test_max_zero_stores_nothing),
        cmocka_unit_test(test_densest_line_fits_half_its_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
