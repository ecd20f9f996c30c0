/* kapsel_attestation_verify against answers signed here with OpenSSL, as a host signs them: a good one, then one
 * broken check at a time (a flipped evidence or signature byte, another nonce, VM or version, another key, a key
 * that is no P-256 point, a pinned key that differs, signed bytes that are no VmEvidence). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kapsel/client.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define VM_NAME "vms/web-1"
#define SIGNATURE_MAX 80 /* a DER ECDSA P-256 signature is at most 72 bytes */
#define EVIDENCE_MAX 512

static const uint8_t NONCE[KAPSEL_ATTESTATION_NONCE_MIN] = {0x6e, 0x6f, 0x6e, 0x63, 0x65, 1, 2,  3,
                                                            4,    5,    6,    7,    8,    9, 10, 11};

/* A host's answer, its buffers inline. */
struct signed_answer {
    uint8_t evidence[EVIDENCE_MAX];
    uint8_t signature[SIGNATURE_MAX];
    uint8_t public_key[KAPSEL_ATTESTATION_KEY_BYTES];
    Kapsel__V1__AttestVmResponse response;
};

struct keys {
    EVP_PKEY *host;
    EVP_PKEY *other;
};

static int make_keys(void **state)
{
    struct keys *keys = calloc(1, sizeof(*keys));
    keys->host = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys->other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    *state = keys;
    return keys->host && keys->other ? 0 : -1;
}

static int free_keys(void **state)
{
    struct keys *keys = *state;
    EVP_PKEY_free(keys->host);
    EVP_PKEY_free(keys->other);
    free(keys);
    return 0;
}

static void public_point(EVP_PKEY *key, uint8_t point[KAPSEL_ATTESTATION_KEY_BYTES])
{
    size_t length = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, KAPSEL_ATTESTATION_KEY_BYTES, &length), 1);
    assert_int_equal(length, KAPSEL_ATTESTATION_KEY_BYTES);
}

/* The evidence a host would make about VM_NAME with NONCE. */
static Kapsel__V1__VmEvidence good_evidence(void)
{
    Kapsel__V1__VmEvidence evidence = KAPSEL__V1__VM_EVIDENCE__INIT;
    evidence.version = KAPSEL_ATTESTATION_VERSION;
    evidence.host_name = "alpha";
    evidence.vm_name = VM_NAME;
    evidence.tenant = "acme";
    evidence.state = "RUNNING";
    evidence.nonce = (ProtobufCBinaryData){.len = sizeof(NONCE), .data = (uint8_t *)NONCE};
    evidence.time_unix_ms = 1700000000123;
    evidence.kernel_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    evidence.memory_mib = 256;
    evidence.vcpus = 1;
    evidence.root_of_trust = "software";
    return evidence;
}

/* Signs length bytes of content with signer into answer, which carries the public key of presented. */
static void sign_bytes(struct signed_answer *answer, const uint8_t *content, size_t length, EVP_PKEY *signer,
                       EVP_PKEY *presented)
{
    assert_true(length <= EVIDENCE_MAX);
    memcpy(answer->evidence, content, length);
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    size_t signature_length = SIGNATURE_MAX;
    assert_int_equal(EVP_DigestSignInit_ex(context, NULL, "SHA256", NULL, NULL, signer, NULL), 1);
    assert_int_equal(EVP_DigestSign(context, answer->signature, &signature_length, answer->evidence, length), 1);
    EVP_MD_CTX_free(context);
    public_point(presented, answer->public_key);
    Kapsel__V1__AttestVmResponse response = KAPSEL__V1__ATTEST_VM_RESPONSE__INIT;
    response.evidence = (ProtobufCBinaryData){.len = length, .data = answer->evidence};
    response.signature = (ProtobufCBinaryData){.len = signature_length, .data = answer->signature};
    response.public_key = (ProtobufCBinaryData){.len = KAPSEL_ATTESTATION_KEY_BYTES, .data = answer->public_key};
    answer->response = response;
}

static void sign_evidence(struct signed_answer *answer, const Kapsel__V1__VmEvidence *evidence, EVP_PKEY *signer,
                          EVP_PKEY *presented)
{
    uint8_t packed[EVIDENCE_MAX];
    size_t length = kapsel__v1__vm_evidence__get_packed_size(evidence);
    assert_true(length <= sizeof(packed));
    kapsel__v1__vm_evidence__pack(evidence, packed);
    sign_bytes(answer, packed, length, signer, presented);
}

/* Verifies answer as an answer about VM_NAME with NONCE; asserts that the check named by failed_check failed
 * ("signature:"), or, for NULL, that everything verified. */
static void expect_verdict(const struct signed_answer *answer, const uint8_t *pinned, const char *failed_check)
{
    struct kapsel_status status;
    Kapsel__V1__VmEvidence *evidence = (Kapsel__V1__VmEvidence *)1;
    int code = kapsel_attestation_verify(&answer->response, VM_NAME, NONCE, sizeof(NONCE), pinned, &evidence, &status);
    if (failed_check == NULL) {
        assert_int_equal(code, KAPSEL_OK);
        assert_non_null(evidence);
        kapsel__v1__vm_evidence__free_unpacked(evidence, NULL);
        return;
    }
    assert_int_equal(code, KAPSEL_ATTESTATION_INVALID);
    assert_int_equal(status.code, KAPSEL_ATTESTATION_INVALID);
    assert_null(evidence);
    /* Nothing left on OpenSSL's error queue for the caller's next OpenSSL call to trip over. */
    assert_int_equal(ERR_peek_error(), 0);
    if (strncmp(status.message, failed_check, strlen(failed_check)) != 0) {
        fail_msg("\"%s\" expected to begin with \"%s\"", status.message, failed_check);
    }
}

static void test_good_evidence_verifies_and_parses(void **state)
{
    struct keys *keys = *state;
    Kapsel__V1__VmEvidence made = good_evidence();
    struct signed_answer answer;
    sign_evidence(&answer, &made, keys->host, keys->host);
    struct kapsel_status status;
    Kapsel__V1__VmEvidence *evidence;
    assert_int_equal(
        kapsel_attestation_verify(&answer.response, VM_NAME, NONCE, sizeof(NONCE), NULL, &evidence, &status),
        KAPSEL_OK);
    assert_string_equal(evidence->host_name, "alpha");
    assert_string_equal(evidence->tenant, "acme");
    assert_string_equal(evidence->kernel_sha256, made.kernel_sha256);
    assert_int_equal(evidence->memory_mib, 256);
    assert_int_equal(evidence->time_unix_ms, 1700000000123);
    assert_memory_equal(evidence->nonce.data, NONCE, sizeof(NONCE));
    kapsel__v1__vm_evidence__free_unpacked(evidence, NULL);
    /* Pinned to the key that signed: verifies too. */
    expect_verdict(&answer, answer.public_key, NULL);
}

static void test_a_flipped_byte_breaks_the_signature(void **state)
{
    struct keys *keys = *state;
    Kapsel__V1__VmEvidence made = good_evidence();
    struct signed_answer answer;
    sign_evidence(&answer, &made, keys->host, keys->host);
    /* Every byte of the evidence, one at a time: most would still parse, none may pass. */
    for (size_t i = 0; i < answer.response.evidence.len; i++) {
        answer.evidence[i] ^= 0x01;
        expect_verdict(&answer, NULL, "signature:");
        answer.evidence[i] ^= 0x01;
    }
    answer.signature[answer.response.signature.len - 1] ^= 0x01;
    expect_verdict(&answer, NULL, "signature:");
    answer.signature[answer.response.signature.len - 1] ^= 0x01;
    expect_verdict(&answer, NULL, NULL);
    answer.response.signature.len = 0;
    expect_verdict(&answer, NULL, "signature:");
}

static void test_another_nonce_vm_or_version_is_refused(void **state)
{
    struct keys *keys = *state;
    struct signed_answer answer;
    Kapsel__V1__VmEvidence made = good_evidence();
    uint8_t other_nonce[KAPSEL_ATTESTATION_NONCE_MIN];
    memcpy(other_nonce, NONCE, sizeof(other_nonce));
    other_nonce[sizeof(other_nonce) - 1] ^= 0x01;
    made.nonce.data = other_nonce;
    sign_evidence(&answer, &made, keys->host, keys->host);
    expect_verdict(&answer, NULL, "nonce:");
    made.nonce.len = sizeof(NONCE) - 1; /* a prefix of the nonce sent */
    made.nonce.data = (uint8_t *)NONCE;
    sign_evidence(&answer, &made, keys->host, keys->host);
    expect_verdict(&answer, NULL, "nonce:");

    made = good_evidence();
    made.vm_name = "vms/web-2";
    sign_evidence(&answer, &made, keys->host, keys->host);
    expect_verdict(&answer, NULL, "vm_name:");

    made = good_evidence();
    made.version = 2;
    sign_evidence(&answer, &made, keys->host, keys->host);
    expect_verdict(&answer, NULL, "version:");
}

static void test_another_key_is_refused(void **state)
{
    struct keys *keys = *state;
    Kapsel__V1__VmEvidence made = good_evidence();
    struct signed_answer answer;
    /* Signed by one key, presented with another. */
    sign_evidence(&answer, &made, keys->other, keys->host);
    expect_verdict(&answer, NULL, "signature:");
    /* Signed and presented consistently by another host than the pinned one. */
    uint8_t pinned[KAPSEL_ATTESTATION_KEY_BYTES];
    public_point(keys->host, pinned);
    sign_evidence(&answer, &made, keys->other, keys->other);
    expect_verdict(&answer, NULL, NULL);
    expect_verdict(&answer, pinned, "public_key:");
}

static void test_a_key_that_is_no_p256_point_is_refused(void **state)
{
    struct keys *keys = *state;
    Kapsel__V1__VmEvidence made = good_evidence();
    struct signed_answer answer;
    sign_evidence(&answer, &made, keys->host, keys->host);
    answer.public_key[0] = 0x02; /* the tag of a compressed point */
    expect_verdict(&answer, NULL, "public_key:");
    answer.public_key[0] = 0x04;
    answer.response.public_key.len = KAPSEL_ATTESTATION_KEY_BYTES - 1;
    expect_verdict(&answer, NULL, "public_key:");
    answer.response.public_key.len = KAPSEL_ATTESTATION_KEY_BYTES;
    answer.public_key[KAPSEL_ATTESTATION_KEY_BYTES - 1] ^= 0x01; /* Y no longer fits X: off the curve */
    expect_verdict(&answer, NULL, "public_key: not a point");
}

static void test_signed_bytes_that_are_no_evidence_are_refused(void **state)
{
    struct keys *keys = *state;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff};
    struct signed_answer answer;
    sign_bytes(&answer, garbage, sizeof(garbage), keys->host, keys->host);
    expect_verdict(&answer, NULL, "evidence:");
}

static void test_arguments_are_checked(void **state)
{
    (void)state;
    Kapsel__V1__AttestVmResponse response = KAPSEL__V1__ATTEST_VM_RESPONSE__INIT;
    Kapsel__V1__VmEvidence *evidence;
    struct kapsel_status status;
    assert_int_equal(kapsel_attestation_verify(NULL, VM_NAME, NONCE, sizeof(NONCE), NULL, &evidence, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_null(evidence);
    assert_int_equal(kapsel_attestation_verify(&response, NULL, NONCE, sizeof(NONCE), NULL, &evidence, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_attestation_verify(&response, VM_NAME, NULL, sizeof(NONCE), NULL, &evidence, &status),
                     KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(kapsel_attestation_verify(&response, VM_NAME, NONCE, sizeof(NONCE), NULL, NULL, &status),
                     KAPSEL_INVALID_ARGUMENT);
    /* An empty answer: no key. */
    assert_int_equal(kapsel_attestation_verify(&response, VM_NAME, NONCE, sizeof(NONCE), NULL, &evidence, NULL),
                     KAPSEL_ATTESTATION_INVALID);
    struct kapsel_attestation attestation = {0};
    kapsel_attestation_free(&attestation);
    kapsel_attestation_free(NULL);
    assert_string_equal(kapsel_code_name(KAPSEL_ATTESTATION_INVALID), "ATTESTATION_INVALID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_evidence_verifies_and_parses),
        cmocka_unit_test(test_a_flipped_byte_breaks_the_signature),
        cmocka_unit_test(test_another_nonce_vm_or_version_is_refused),
        cmocka_unit_test(test_another_key_is_refused),
        cmocka_unit_test(test_a_key_that_is_no_p256_point_is_refused),
        cmocka_unit_test(test_signed_bytes_that_are_no_evidence_are_refused),
        cmocka_unit_test(test_arguments_are_checked),
    };
    return cmocka_run_group_tests(tests, make_keys, free_keys);
}
