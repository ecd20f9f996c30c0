/* Verifying AttestVm's answer: the ECDSA P-256 signature over the evidence bytes (OpenSSL 3's EVP, the key imported
 * from its raw point), then what the parsed evidence says against what was asked. */
#include "client_status.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

/* The SEC1 tag of an uncompressed point. */
#define UNCOMPRESSED_POINT 0x04

/* The host's key as an EVP_PKEY; NULL when the bytes are not a point of P-256 (OpenSSL checks it is on the curve).
 * OpenSSL's errors stay off its queue: a bad key is this library's finding, reported in its status. */
static EVP_PKEY *public_key_from_point(const ProtobufCBinaryData *point)
{
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point->data, point->len),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *key = NULL;
    if (context == NULL || EVP_PKEY_fromdata_init(context) != 1 ||
        EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        key = NULL;
        ERR_clear_error();
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

/* Whether signature (DER) is a valid ECDSA signature with SHA-256 of message under key; OpenSSL's errors stay off
 * its queue. */
static bool signature_verifies(EVP_PKEY *key, const ProtobufCBinaryData *signature, const ProtobufCBinaryData *message)
{
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    bool verified = context != NULL && EVP_DigestVerifyInit_ex(context, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
                    EVP_DigestVerify(context, signature->data, signature->len, message->data, message->len) == 1;
    EVP_MD_CTX_free(context);
    if (!verified) {
        ERR_clear_error();
    }
    return verified;
}

/* The checks on the host's key and signature, before the evidence is parsed. */
static int verify_signature(const Kapsel__V1__AttestVmResponse *response, struct kapsel_status *status)
{
    const ProtobufCBinaryData *point = &response->public_key;
    if (point->len != KAPSEL_ATTESTATION_KEY_BYTES || point->data[0] != UNCOMPRESSED_POINT) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID,
                          "public_key: %zu bytes, not an uncompressed P-256 point (65 bytes, 0x04 first)", point->len);
    }
    EVP_PKEY *key = public_key_from_point(point);
    if (key == NULL) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID, "public_key: not a point of P-256");
    }
    bool verified = signature_verifies(key, &response->signature, &response->evidence);
    EVP_PKEY_free(key);
    if (!verified) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID,
                          "signature: does not verify over the evidence with the host's public key");
    }
    return status_ok(status);
}

/* The checks of the parsed evidence against the question and the pinned key. */
static int verify_evidence(const Kapsel__V1__VmEvidence *evidence, const Kapsel__V1__AttestVmResponse *response,
                           const char *name, const uint8_t *nonce, size_t nonce_len, const uint8_t *expected_public_key,
                           struct kapsel_status *status)
{
    if (evidence->version != KAPSEL_ATTESTATION_VERSION) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID,
                          "version: %u, not %u (a format this client does not know)", evidence->version,
                          KAPSEL_ATTESTATION_VERSION);
    }
    if (strcmp(evidence->vm_name, name) != 0) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID, "vm_name: the evidence is about \"%.100s\", not %.100s",
                          evidence->vm_name, name);
    }
    if (evidence->nonce.len != nonce_len || (nonce_len > 0 && memcmp(evidence->nonce.data, nonce, nonce_len) != 0)) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID,
                          "nonce: the evidence's is not the one sent (a replay, or an answer to another request)");
    }
    if (expected_public_key &&
        memcmp(response->public_key.data, expected_public_key, KAPSEL_ATTESTATION_KEY_BYTES) != 0) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID,
                          "public_key: the host signed with another key than the expected (pinned) one");
    }
    return status_ok(status);
}

int kapsel_attestation_verify(const Kapsel__V1__AttestVmResponse *response, const char *name, const uint8_t *nonce,
                              size_t nonce_len, const uint8_t *expected_public_key, Kapsel__V1__VmEvidence **evidence,
                              struct kapsel_status *status)
{
    if (evidence) {
        *evidence = NULL;
    }
    if (response == NULL || name == NULL || evidence == NULL || (nonce == NULL && nonce_len > 0)) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_attestation_verify: %s is NULL",
                          response == NULL   ? "the response"
                          : name == NULL     ? "the name"
                          : evidence == NULL ? "evidence"
                                             : "the nonce");
    }
    int result = verify_signature(response, status);
    if (result != KAPSEL_OK) {
        return result;
    }
    Kapsel__V1__VmEvidence *parsed =
        kapsel__v1__vm_evidence__unpack(NULL, response->evidence.len, response->evidence.data);
    if (parsed == NULL) {
        return status_set(status, KAPSEL_ATTESTATION_INVALID, "evidence: signed, but does not parse as a VmEvidence");
    }
    result = verify_evidence(parsed, response, name, nonce, nonce_len, expected_public_key, status);
    if (result != KAPSEL_OK) {
        kapsel__v1__vm_evidence__free_unpacked(parsed, NULL);
        return result;
    }
    *evidence = parsed;
    return KAPSEL_OK;
}

void kapsel_attestation_free(struct kapsel_attestation *attestation)
{
    if (attestation == NULL) {
        return;
    }
    if (attestation->evidence) {
        kapsel__v1__vm_evidence__free_unpacked(attestation->evidence, NULL);
    }
    if (attestation->response) {
        kapsel__v1__attest_vm_response__free_unpacked(attestation->response, NULL);
    }
    *attestation = (struct kapsel_attestation){0};
}
