/* Proof that a Micro-App compiles and links mbedTLS's SHA-256 (//build/bazel/mbedtls:sha): prints the digest of
 * "abc" and exits 0 when it is the known answer. */
#include <mbedtls/sha256.h>

#ifndef KAPSEL_MBEDTLS_CONFIG_H
#error "mbedTLS's headers did not take the project's configuration (MBEDTLS_CONFIG_FILE)"
#endif

#include <stdio.h>
#include <string.h>

static const char expected[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

int main(void)
{
    static const unsigned char abc[] = {'a', 'b', 'c'};
    unsigned char digest[32];
    if (mbedtls_sha256_ret(abc, sizeof(abc), digest, 0) != 0) {
        fprintf(stderr, "sha256_selftest: mbedtls_sha256_ret failed\n");
        return 1;
    }
    char hex[2 * sizeof(digest) + 1];
    for (size_t i = 0; i < sizeof(digest); i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    int matches = strcmp(hex, expected) == 0;
    printf("sha256(\"abc\") = %s (%s)\n", hex, matches ? "known answer" : "WRONG");
    return matches ? 0 : 1;
}
