/*
 * Kapsel's mbedTLS 2.28 configuration (MBEDTLS_CONFIG_FILE, replacing mbedtls/config.h): only what the project
 * uses, for Micro-Apps (freestanding, newlib) and host unit tests alike. See build/bazel/mbedtls/BUILD.
 *
 * Today: SHA-256/224 (the uvmm, image digests) and SHA-512/384; deterministic ECDSA over P-256 (RFC 6979), with
 * which the agent signs attestation evidence. Deliberately absent: platform
 * entropy (MBEDTLS_NO_PLATFORM_ENTROPY; a Micro-App has no /dev/urandom or getrandom), the file system
 * (MBEDTLS_FS_IO), sockets (MBEDTLS_NET_C), time (MBEDTLS_HAVE_TIME, MBEDTLS_HAVE_TIME_DATE) and the
 * self tests (MBEDTLS_SELF_TEST, which need printf and calloc). Each module added here must also add its
 * library/ file to the mbedtls source lists in build/bazel/mbedtls.BUILD.
 */
#ifndef KAPSEL_MBEDTLS_CONFIG_H
#define KAPSEL_MBEDTLS_CONFIG_H

/* System support: none of the optional platform features. */
#define MBEDTLS_NO_PLATFORM_ENTROPY

/* Modules. */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_MD_C

/* mbedtls/config.h ends with the same consistency check; a config file replacing it must include it. */
#include "mbedtls/check_config.h"

#endif /* KAPSEL_MBEDTLS_CONFIG_H */
