/* Status names, the error setter and how client input is quoted in messages (api_status.h). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/api_status.h"

#include <string.h>

static void names_every_code(void **state)
{
    (void)state;
    assert_string_equal(api_status_name(API_STATUS_OK), "OK");
    assert_string_equal(api_status_name(API_STATUS_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    assert_string_equal(api_status_name(API_STATUS_FAILED_PRECONDITION), "FAILED_PRECONDITION");
    assert_string_equal(api_status_name(API_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    for (int code = API_STATUS_OK; code <= API_STATUS_UNAUTHENTICATED; code++) {
        assert_string_not_equal(api_status_name((enum api_status)code), "UNKNOWN_STATUS");
    }
    assert_string_equal(api_status_name((enum api_status)17), "UNKNOWN_STATUS");
    assert_string_equal(api_status_name((enum api_status) - 1), "UNKNOWN_STATUS");
}

static void sets_and_cuts_the_message(void **state)
{
    (void)state;
    struct api_error error;
    assert_int_equal(api_error_set(&error, API_STATUS_NOT_FOUND, "name: %s not found", "vms/x"), API_STATUS_NOT_FOUND);
    assert_int_equal(error.code, API_STATUS_NOT_FOUND);
    assert_string_equal(error.message, "name: vms/x not found");
    char long_text[400];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    api_error_set(&error, API_STATUS_INTERNAL, "%s", long_text);
    assert_int_equal(strlen(error.message), API_ERROR_MESSAGE_BYTES - 1);
    api_error_clear(&error);
    assert_int_equal(error.code, API_STATUS_OK);
    assert_string_equal(error.message, "");
}

static void quotes_printable_text_and_escapes_the_rest(void **state)
{
    (void)state;
    char quoted[API_QUOTE_BYTES];
    assert_string_equal(api_quote(quoted, "tenant-a"), "\"tenant-a\"");
    assert_string_equal(api_quote(quoted, ""), "\"\"");
    assert_string_equal(api_quote(quoted, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_string_equal(api_quote(quoted, "\x01\n\x7f\xff"), "\"\\x01\\x0a\\x7f\\xff\"");
}

static void cuts_long_values(void **state)
{
    (void)state;
    char quoted[API_QUOTE_BYTES];
    char value[100];
    memset(value, 'v', 40);
    value[40] = '\0';
    api_quote(quoted, value);
    assert_int_equal(strlen(quoted), 42);
    value[40] = 'v';
    value[41] = '\0';
    api_quote(quoted, value);
    assert_int_equal(strlen(quoted), 45);
    assert_string_equal(quoted + 41, "\"...");
    /* Escaped bytes take four characters: fewer of them fit. */
    memset(value, '\x01', 20);
    value[20] = '\0';
    api_quote(quoted, value);
    assert_int_equal(strlen(quoted), 1 + 12 * 4 + 4);
    assert_string_equal(quoted + 49, "\"...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_every_code),
        cmocka_unit_test(sets_and_cuts_the_message),
        cmocka_unit_test(quotes_printable_text_and_escapes_the_rest),
        cmocka_unit_test(cuts_long_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
