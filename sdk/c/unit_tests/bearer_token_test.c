/* API tokens: the form kapsel_token_valid accepts, at its bounds, and the header value that carries one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "bearer_token.h"

#include <stdlib.h>
#include <string.h>

static void test_visible_ascii_is_valid(void **state)
{
    (void)state;
    assert_true(kapsel_token_valid("acme-test-token"));
    assert_true(kapsel_token_valid("x"));
    assert_true(kapsel_token_valid("!~"));                        /* 0x21 and 0x7e, the ends of the range */
    assert_true(kapsel_token_valid("a.b_c/d+e=f:g\"h'i\\j,k;l")); /* punctuation is visible */
}

static void test_empty_null_and_invisible_bytes_are_not(void **state)
{
    (void)state;
    assert_false(kapsel_token_valid(NULL));
    assert_false(kapsel_token_valid(""));
    assert_false(kapsel_token_valid("two words"));
    assert_false(kapsel_token_valid("tab\there"));
    assert_false(kapsel_token_valid("line\n"));
    assert_false(kapsel_token_valid("del\x7f"));
    assert_false(kapsel_token_valid("caf\xc3\xa9")); /* UTF-8 is not ASCII */
}

static void test_length_bound(void **state)
{
    (void)state;
    char token[KAPSEL_TOKEN_MAX_BYTES + 2];
    memset(token, 'k', KAPSEL_TOKEN_MAX_BYTES);
    token[KAPSEL_TOKEN_MAX_BYTES] = '\0';
    assert_true(kapsel_token_valid(token));
    token[KAPSEL_TOKEN_MAX_BYTES] = 'k';
    token[KAPSEL_TOKEN_MAX_BYTES + 1] = '\0';
    assert_false(kapsel_token_valid(token));
}

static void test_authorization_value(void **state)
{
    (void)state;
    char *value = bearer_authorization("acme-test-token");
    assert_non_null(value);
    assert_string_equal(value, "Bearer acme-test-token");
    free(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visible_ascii_is_valid),
        cmocka_unit_test(test_empty_null_and_invisible_bytes_are_not),
        cmocka_unit_test(test_length_bound),
        cmocka_unit_test(test_authorization_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
