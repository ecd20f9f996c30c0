/* See attestation_key.h. */
#include "attestation_key.h"

#include <mbedtls/sha256.h>
#include <string.h>

#define SHA256_BYTES 32

/* mbedTLS's random callback over the key's source. */
static int mbedtls_random(void *context, unsigned char *bytes, size_t length)
{
    const struct attestation_key *key = context;
    return key->random(key->random_context, bytes, length) ? 0 : -1;
}

enum api_status attestation_key_generate(struct attestation_key *key, attestation_random random, void *random_context,
                                         struct api_error *error)
{
    memset(key, 0, sizeof(*key));
    mbedtls_ecdsa_init(&key->ecdsa);
    key->random = random;
    key->random_context = random_context;
    size_t length = 0;
    if (mbedtls_ecdsa_genkey(&key->ecdsa, MBEDTLS_ECP_DP_SECP256R1, mbedtls_random, key) != 0 ||
        mbedtls_ecp_point_write_binary(&key->ecdsa.grp, &key->ecdsa.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &length,
                                       key->public_key, sizeof(key->public_key)) != 0 ||
        length != ATTESTATION_PUBLIC_KEY_BYTES) {
        attestation_key_destroy(key);
        return api_error_set(error, API_STATUS_INTERNAL, "the attestation key could not be made");
    }
    return API_STATUS_OK;
}

enum api_status attestation_key_sign(struct attestation_key *key, const uint8_t *data, size_t length,
                                     uint8_t signature[ATTESTATION_SIGNATURE_MAX_BYTES], size_t *signature_length,
                                     struct api_error *error)
{
    uint8_t hash[SHA256_BYTES];
    if (mbedtls_sha256_ret(data, length, hash, 0) != 0 ||
        mbedtls_ecdsa_write_signature(&key->ecdsa, MBEDTLS_MD_SHA256, hash, sizeof(hash), signature, signature_length,
                                      mbedtls_random, key) != 0) {
        return api_error_set(error, API_STATUS_INTERNAL, "signing the evidence failed");
    }
    return API_STATUS_OK;
}

void attestation_key_destroy(struct attestation_key *key)
{
    mbedtls_ecdsa_free(&key->ecdsa);
    memset(key, 0, sizeof(*key));
}
