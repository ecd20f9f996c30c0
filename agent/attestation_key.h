/*
 * The host's attestation key: an ECDSA key pair over NIST P-256 that the agent makes when it starts; the private half
 * never leaves it. Signatures are deterministic (RFC 6979), so randomness is needed to make the key and, for
 * blinding against side channels, when signing. Pure C over mbedTLS (the random source is the caller's): host-tested.
 */
#ifndef AGENT_ATTESTATION_KEY_H
#define AGENT_ATTESTATION_KEY_H

#include "api_status.h"

#include <mbedtls/ecdsa.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTESTATION_PUBLIC_KEY_BYTES 65 /* an uncompressed SEC1 point: 0x04, X, Y */
#define ATTESTATION_SIGNATURE_MAX_BYTES MBEDTLS_ECDSA_MAX_LEN

/* Fills bytes with length random bytes; false if it cannot. */
typedef bool (*attestation_random)(void *context, uint8_t *bytes, size_t length);

struct attestation_key {
    mbedtls_ecdsa_context ecdsa;
    uint8_t public_key[ATTESTATION_PUBLIC_KEY_BYTES];
    attestation_random random;
    void *random_context;
};

/* A fresh key pair from random; INTERNAL when the random source or mbedTLS fails (the key is then unusable). */
enum api_status attestation_key_generate(struct attestation_key *key, attestation_random random, void *random_context,
                                         struct api_error *error);

/* The DER signature of SHA-256(data) into signature; *length its bytes. INTERNAL when mbedTLS fails. */
enum api_status attestation_key_sign(struct attestation_key *key, const uint8_t *data, size_t length,
                                     uint8_t signature[ATTESTATION_SIGNATURE_MAX_BYTES], size_t *signature_length,
                                     struct api_error *error);

/* Frees the key's memory, the private half wiped. */
void attestation_key_destroy(struct attestation_key *key);

#endif
