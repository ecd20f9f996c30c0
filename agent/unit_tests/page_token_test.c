/* Page sizes and page tokens (page_token.h): round trips, and every way a token is refused. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/page_token.h"

#include <string.h>

static void assert_message_starts(const struct api_error *error, const char *prefix)
{
    if (strncmp(error->message, prefix, strlen(prefix)) != 0) {
        fail_msg("message \"%s\" does not start with \"%s\"", error->message, prefix);
    }
}

static void page_size_default_and_limits(void **state)
{
    (void)state;
    struct api_error error;
    size_t size = 0;
    assert_int_equal(page_size_resolve(0, &size, &error), API_STATUS_OK);
    assert_int_equal(size, PAGE_SIZE_DEFAULT);
    assert_int_equal(page_size_resolve(1, &size, &error), API_STATUS_OK);
    assert_int_equal(size, 1);
    assert_int_equal(page_size_resolve(PAGE_SIZE_MAX, &size, &error), API_STATUS_OK);
    assert_int_equal(size, PAGE_SIZE_MAX);
    assert_int_equal(page_size_resolve(PAGE_SIZE_MAX + 1, &size, &error), API_STATUS_INVALID_ARGUMENT);
    assert_string_equal(error.message, "page_size: 501 is above the maximum 500");
}

static void token_round_trip(void **state)
{
    (void)state;
    struct api_error error;
    uint64_t hash = page_filter_hash_add(page_filter_hash_begin("vms"), "tenant-a");
    char token[PAGE_TOKEN_BYTES];
    page_token_encode(token, 0x123456789abcdef0ull, hash);
    assert_int_equal(strlen(token), PAGE_TOKEN_BYTES - 1);
    uint64_t position = 0;
    assert_int_equal(page_token_decode(token, hash, &position, &error), API_STATUS_OK);
    assert_int_equal(position, 0x123456789abcdef0ull);
}

static void empty_token_is_the_first_page(void **state)
{
    (void)state;
    struct api_error error;
    uint64_t position = 99;
    assert_int_equal(page_token_decode("", 1, &position, &error), API_STATUS_OK);
    assert_int_equal(position, 0);
}

static void refuses_mangled_tokens(void **state)
{
    (void)state;
    struct api_error error;
    uint64_t hash = page_filter_hash_begin("images");
    char token[PAGE_TOKEN_BYTES];
    page_token_encode(token, 7, hash);
    uint64_t position;

    char changed[PAGE_TOKEN_BYTES];
    /* Every single digit changed (the position, the hash or the check) is noticed. */
    for (size_t i = 0; i < PAGE_TOKEN_BYTES - 1; i++) {
        memcpy(changed, token, sizeof(changed));
        changed[i] = changed[i] == '0' ? '1' : '0';
        assert_int_equal(page_token_decode(changed, hash, &position, &error), API_STATUS_INVALID_ARGUMENT);
        assert_message_starts(&error, "page_token: ");
    }
    const char *forged[] = {"x", "0000000000000007", "not a token at all, but forty bytes long",
                            "0000000000000007AAAAAAAAAAAAAAAA00000000"};
    for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        assert_int_equal(page_token_decode(forged[i], hash, &position, &error), API_STATUS_INVALID_ARGUMENT);
        assert_string_equal(error.message, "page_token: not a next_page_token this list returned");
    }
    /* Upper case is another token. */
    memcpy(changed, token, sizeof(changed));
    for (size_t i = 0; i < PAGE_TOKEN_BYTES - 1; i++) {
        if (changed[i] >= 'a' && changed[i] <= 'f') {
            changed[i] = (char)(changed[i] - 'a' + 'A');
        }
    }
    if (strcmp(changed, token) != 0) {
        assert_int_equal(page_token_decode(changed, hash, &position, &error), API_STATUS_INVALID_ARGUMENT);
    }
    memcpy(changed, token, sizeof(changed));
    changed[PAGE_TOKEN_BYTES - 2] = '\0';
    assert_int_equal(page_token_decode(changed, hash, &position, &error), API_STATUS_INVALID_ARGUMENT);
}

static void refuses_tokens_of_other_filters_or_lists(void **state)
{
    (void)state;
    struct api_error error;
    uint64_t position;
    char token[PAGE_TOKEN_BYTES];
    uint64_t tenant_a = page_filter_hash_add(page_filter_hash_begin("vms"), "tenant-a");
    uint64_t tenant_b = page_filter_hash_add(page_filter_hash_begin("vms"), "tenant-b");
    page_token_encode(token, 3, tenant_a);
    assert_int_equal(page_token_decode(token, tenant_b, &position, &error), API_STATUS_INVALID_ARGUMENT);
    assert_message_starts(&error, "page_token: was returned for ");
    assert_int_equal(page_token_decode(token, page_filter_hash_begin("images"), &position, &error),
                     API_STATUS_INVALID_ARGUMENT);
    /* Field boundaries count: ("ab", "c") is not ("a", "bc"). */
    uint64_t ab_c = page_filter_hash_add(page_filter_hash_add(page_filter_hash_begin("vms"), "ab"), "c");
    uint64_t a_bc = page_filter_hash_add(page_filter_hash_add(page_filter_hash_begin("vms"), "a"), "bc");
    assert_true(ab_c != a_bc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_size_default_and_limits),
        cmocka_unit_test(token_round_trip),
        cmocka_unit_test(empty_token_is_the_first_page),
        cmocka_unit_test(refuses_mangled_tokens),
        cmocka_unit_test(refuses_tokens_of_other_filters_or_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
