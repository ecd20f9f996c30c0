/* The attestation key (agent/attestation_key.c): its signatures verify with its public key, and only over its data. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/attestation_key.h"

#include <mbedtls/sha256.h>
#include <string.h>

/* A counter stirred into bytes: reproducible keys for the test; a failing source when fail is set. */
struct test_random {
    uint8_t next;
    bool fail;
};

static bool test_random(void *context, uint8_t *bytes, size_t length)
{
    struct test_random *random = context;
    for (size_t i = 0; i < length; i++) {
        random->next = (uint8_t)(random->next * 73 + 41);
        bytes[i] = random->next;
    }
    return !random->fail;
}

/* Verifies signature over data with the public key alone, as a verifier would. */
static bool verifies(const uint8_t public_key[ATTESTATION_PUBLIC_KEY_BYTES], const uint8_t *data, size_t length,
                     const uint8_t *signature, size_t signature_length)
{
    mbedtls_ecdsa_context verifier;
    mbedtls_ecdsa_init(&verifier);
    uint8_t hash[32];
    mbedtls_sha256_ret(data, length, hash, 0);
    bool ok =
        mbedtls_ecp_group_load(&verifier.grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
        mbedtls_ecp_point_read_binary(&verifier.grp, &verifier.Q, public_key, ATTESTATION_PUBLIC_KEY_BYTES) == 0 &&
        mbedtls_ecdsa_read_signature(&verifier, hash, sizeof(hash), signature, signature_length) == 0;
    mbedtls_ecdsa_free(&verifier);
    return ok;
}

static void test_signatures_verify_with_the_public_key(void **state)
{
    (void)state;
    struct test_random random = {.next = 1};
    struct attestation_key key;
    struct api_error error;
    assert_int_equal(attestation_key_generate(&key, test_random, &random, &error), API_STATUS_OK);
    assert_int_equal(key.public_key[0], 0x04); /* uncompressed */
    static const uint8_t evidence[] = "evidence of vms/a1";
    uint8_t signature[ATTESTATION_SIGNATURE_MAX_BYTES];
    size_t length = 0;
    assert_int_equal(attestation_key_sign(&key, evidence, sizeof(evidence), signature, &length, &error), API_STATUS_OK);
    assert_true(length > 8 && length <= ATTESTATION_SIGNATURE_MAX_BYTES);
    assert_int_equal(signature[0], 0x30); /* a DER SEQUENCE */
    assert_true(verifies(key.public_key, evidence, sizeof(evidence), signature, length));
    /* Another message, a changed signature: refused. */
    static const uint8_t other[] = "evidence of vms/a2";
    assert_false(verifies(key.public_key, other, sizeof(other), signature, length));
    signature[length - 1] ^= 1;
    assert_false(verifies(key.public_key, evidence, sizeof(evidence), signature, length));
    attestation_key_destroy(&key);
}

static void test_keys_differ_with_their_randomness(void **state)
{
    (void)state;
    struct test_random first_random = {.next = 1};
    struct test_random second_random = {.next = 2};
    struct attestation_key first;
    struct attestation_key second;
    struct api_error error;
    assert_int_equal(attestation_key_generate(&first, test_random, &first_random, &error), API_STATUS_OK);
    assert_int_equal(attestation_key_generate(&second, test_random, &second_random, &error), API_STATUS_OK);
    assert_memory_not_equal(first.public_key, second.public_key, ATTESTATION_PUBLIC_KEY_BYTES);
    static const uint8_t evidence[] = "evidence";
    uint8_t signature[ATTESTATION_SIGNATURE_MAX_BYTES];
    size_t length = 0;
    assert_int_equal(attestation_key_sign(&first, evidence, sizeof(evidence), signature, &length, &error),
                     API_STATUS_OK);
    assert_false(verifies(second.public_key, evidence, sizeof(evidence), signature, length));
    attestation_key_destroy(&first);
    attestation_key_destroy(&second);
}

static void test_a_failing_random_source_makes_no_key(void **state)
{
    (void)state;
    struct test_random random = {.next = 1, .fail = true};
    struct attestation_key key;
    struct api_error error;
    assert_int_equal(attestation_key_generate(&key, test_random, &random, &error), API_STATUS_INTERNAL);
    assert_string_equal(error.message, "the attestation key could not be made");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signatures_verify_with_the_public_key),
        cmocka_unit_test(test_keys_differ_with_their_randomness),
        cmocka_unit_test(test_a_failing_random_source_makes_no_key),
    };
    return cmocka_run_group_tests_name("attestation_key_test", tests, NULL, NULL);
}
