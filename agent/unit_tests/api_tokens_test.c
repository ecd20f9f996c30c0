/* The API's token table (agent/api_tokens.c): the file's form, and the Bearer check a call's header goes through. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/api_tokens.h"

#include <stdio.h>
#include <string.h>

/* SHA-256 of "operator-token", "acme-token" and "globex-token". */
#define OPERATOR_HASH "0850123315d21ab90f4f7236408a52ef6dbd6a02a6550e5c10dc73f4d993680e"
#define ACME_HASH "28daa606f54b368209e11244fd3d5612b41212e822258df22e55afe06a7bdae1"
#define GLOBEX_HASH "8f3b2db40c6028415aa52b8152bf9b16e8c59f782647d03c0bc920a8e1d6299d"

static const char token_file[] = "# the test host's tokens\n"
                                 "\n" OPERATOR_HASH " *\n"
                                 "  " ACME_HASH "\tacme  \r\n" GLOBEX_HASH " globex";

static struct api_tokens tokens;

static void parse_ok(const char *text)
{
    struct api_error error;
    assert_int_equal(api_tokens_parse(&tokens, text, strlen(text), &error), API_STATUS_OK);
}

static void parse_refused(const char *text, const char *message)
{
    struct api_error error;
    assert_int_equal(api_tokens_parse(&tokens, text, strlen(text), &error), API_STATUS_INVALID_ARGUMENT);
    assert_string_equal(error.message, message);
}

static const struct api_principal *authenticate(const char *authorization, const char **refusal)
{
    *refusal = NULL;
    return api_tokens_authenticate(&tokens, authorization, refusal);
}

static void test_reads_operators_and_tenants(void **state)
{
    (void)state;
    parse_ok(token_file);
    assert_int_equal(tokens.count, 3);
    assert_string_equal(tokens.tokens[0].principal.tenant, "");
    assert_string_equal(tokens.tokens[1].principal.tenant, "acme");
    assert_string_equal(tokens.tokens[2].principal.tenant, "globex");
    assert_int_equal(tokens.tokens[1].sha256[0], 0x28);
    assert_int_equal(tokens.tokens[1].sha256[31], 0xe1);
}

static void test_refuses_malformed_lines(void **state)
{
    (void)state;
    parse_refused("# nothing but comments\n\n", "no tokens: an API nobody may use");
    parse_refused(OPERATOR_HASH " *\nabc acme\n", "line 2: the token's SHA-256 is not 64 lowercase hex digits");
    parse_refused("0850123315D21AB90F4F7236408A52EF6DBD6A02A6550E5C10DC73F4D993680E acme\n",
                  "line 1: the token's SHA-256 is not 64 lowercase hex digits");
    parse_refused(ACME_HASH "\n", "line 1: a tenant (1 to 63 bytes) or * must follow the hash");
    parse_refused(ACME_HASH " Acme\n", "line 1: the tenant is not [a-z0-9-] starting with a letter");
    parse_refused(ACME_HASH " acme corp\n", "line 1: the tenant is not [a-z0-9-] starting with a letter");
    parse_refused(ACME_HASH " acme\n" ACME_HASH " globex\n", "line 2: the same token is given twice");
}

static void test_refuses_too_many_tokens(void **state)
{
    (void)state;
    static char text[(API_TOKENS_MAX + 1) * 80];
    size_t used = 0;
    for (unsigned i = 0; i <= API_TOKENS_MAX; i++) {
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%064x t%u\n", i, i);
    }
    char message[64];
    snprintf(message, sizeof(message), "line %d: more than %d tokens", API_TOKENS_MAX + 1, API_TOKENS_MAX);
    parse_refused(text, message);
}

static void test_bearer_tokens_name_their_principal(void **state)
{
    (void)state;
    parse_ok(token_file);
    const char *refusal;
    const struct api_principal *operator_principal = authenticate("Bearer operator-token", &refusal);
    assert_ptr_equal(operator_principal, &tokens.tokens[0].principal);
    assert_ptr_equal(authenticate("Bearer acme-token", &refusal), &tokens.tokens[1].principal);
    /* The scheme's name is case-insensitive; the token is not. */
    assert_ptr_equal(authenticate("bearer globex-token", &refusal), &tokens.tokens[2].principal);
    assert_null(authenticate("Bearer Globex-token", &refusal));
    assert_string_equal(refusal, "authorization: the token is not one of this host's");
}

static void test_refuses_missing_and_malformed_headers(void **state)
{
    (void)state;
    parse_ok(token_file);
    const char *refusal;
    assert_null(authenticate(NULL, &refusal));
    assert_string_equal(refusal, "authorization: this host's API needs a token (authorization: Bearer <token>)");
    const char *malformed[] = {"",
                               "Bearer",
                               "Bearer ",
                               "Basic YWNtZTp0b2tlbg==",
                               "Bearer acme-token extra",
                               "Bearer  acme-token",
                               "acme-token",
                               "Bearer acme-token\x7f"};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        assert_null(authenticate(malformed[i], &refusal));
        assert_string_equal(refusal,
                            "authorization: not \"Bearer <token>\" with a token of 1 to 512 visible ASCII bytes");
    }
}

static void test_token_length_limit(void **state)
{
    (void)state;
    parse_ok(token_file);
    static char header[8 + API_TOKEN_MAX_BYTES + 2];
    strcpy(header, "Bearer ");
    memset(header + 7, 'x', API_TOKEN_MAX_BYTES);
    header[7 + API_TOKEN_MAX_BYTES] = '\0';
    const char *refusal;
    assert_null(authenticate(header, &refusal));
    assert_string_equal(refusal, "authorization: the token is not one of this host's");
    header[7 + API_TOKEN_MAX_BYTES] = 'x';
    header[8 + API_TOKEN_MAX_BYTES] = '\0';
    assert_null(authenticate(header, &refusal));
    assert_string_equal(refusal, "authorization: not \"Bearer <token>\" with a token of 1 to 512 visible ASCII bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_operators_and_tenants),
        cmocka_unit_test(test_refuses_malformed_lines),
        cmocka_unit_test(test_refuses_too_many_tokens),
        cmocka_unit_test(test_bearer_tokens_name_their_principal),
        cmocka_unit_test(test_refuses_missing_and_malformed_headers),
        cmocka_unit_test(test_token_length_limit),
    };
    return cmocka_run_group_tests_name("api_tokens_test", tests, NULL, NULL);
}
