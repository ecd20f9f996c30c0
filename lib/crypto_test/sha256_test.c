/* Known-answer tests of mbedTLS's SHA-2 as configured by build/bazel/mbedtls/kapsel_mbedtls_config.h. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#ifndef KAPSEL_MBEDTLS_CONFIG_H
#error "mbedTLS's headers did not take the project's configuration (MBEDTLS_CONFIG_FILE)"
#endif

#include <stdio.h>
#include <stdlib.h>

/* The expected digests were computed with coreutils' sha256sum (sha224sum, sha384sum, sha512sum). */
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Of the 1 MiB buffer that fill_mebibyte() makes: byte i is (i * 31 + 7) mod 256. */
#define SHA256_MEBIBYTE "06b7bbfb7824aa03382051691630eb26de85102d1b08a81e907ec0744cd8a286"
#define SHA224_ABC "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
#define SHA384_ABC "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
#define SHA512_ABC                                                                                                     \
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                                                 \
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

#define MEBIBYTE (1024 * 1024)

static const unsigned char abc[] = {'a', 'b', 'c'};

/* hex must hold 2 * length + 1 characters. */
static const char *to_hex(const unsigned char *digest, size_t length, char *hex)
{
    for (size_t i = 0; i < length; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    hex[2 * length] = '\0';
    return hex;
}

static unsigned char *fill_mebibyte(void)
{
    unsigned char *buffer = malloc(MEBIBYTE);
    assert_non_null(buffer);
    for (size_t i = 0; i < MEBIBYTE; i++) {
        buffer[i] = (unsigned char)(i * 31 + 7);
    }
    return buffer;
}

static void test_sha256_of_abc(void **state)
{
    (void)state;
    unsigned char digest[32];
    char hex[2 * sizeof(digest) + 1];
    assert_int_equal(mbedtls_sha256_ret(abc, sizeof(abc), digest, 0), 0);
    assert_string_equal(to_hex(digest, sizeof(digest), hex), SHA256_ABC);
}

static void test_sha256_of_empty_input(void **state)
{
    (void)state;
    unsigned char digest[32];
    char hex[2 * sizeof(digest) + 1];
    assert_int_equal(mbedtls_sha256_ret(NULL, 0, digest, 0), 0);
    assert_string_equal(to_hex(digest, sizeof(digest), hex), SHA256_EMPTY);
}

static void test_sha256_of_a_mebibyte_at_once(void **state)
{
    (void)state;
    unsigned char *buffer = fill_mebibyte();
    unsigned char digest[32];
    char hex[2 * sizeof(digest) + 1];
    assert_int_equal(mbedtls_sha256_ret(buffer, MEBIBYTE, digest, 0), 0);
    assert_string_equal(to_hex(digest, sizeof(digest), hex), SHA256_MEBIBYTE);
    free(buffer);
}

/* The streaming interface, fed pieces that straddle the 64-byte block boundaries, gives the same digest. */
static void test_sha256_of_a_mebibyte_in_pieces(void **state)
{
    (void)state;
    unsigned char *buffer = fill_mebibyte();
    static const size_t piece_sizes[] = {1, 63, 64, 65, 1000, 4096, 0, 12345};
    mbedtls_sha256_context context;
    mbedtls_sha256_init(&context);
    assert_int_equal(mbedtls_sha256_starts_ret(&context, 0), 0);
    size_t offset = 0;
    for (size_t i = 0; offset < MEBIBYTE; i++) {
        size_t size = piece_sizes[i % (sizeof(piece_sizes) / sizeof(piece_sizes[0]))];
        if (size > MEBIBYTE - offset) {
            size = MEBIBYTE - offset;
        }
        assert_int_equal(mbedtls_sha256_update_ret(&context, buffer + offset, size), 0);
        offset += size;
    }
    unsigned char digest[32];
    char hex[2 * sizeof(digest) + 1];
    assert_int_equal(mbedtls_sha256_finish_ret(&context, digest), 0);
    mbedtls_sha256_free(&context);
    assert_string_equal(to_hex(digest, sizeof(digest), hex), SHA256_MEBIBYTE);
    free(buffer);
}

static void test_sha224_of_abc(void **state)
{
    (void)state;
    unsigned char digest[32];
    char hex[2 * 28 + 1];
    assert_int_equal(mbedtls_sha256_ret(abc, sizeof(abc), digest, 1), 0);
    assert_string_equal(to_hex(digest, 28, hex), SHA224_ABC);
}

static void test_sha384_and_sha512_of_abc(void **state)
{
    (void)state;
    unsigned char digest[64];
    char hex[2 * sizeof(digest) + 1];
    assert_int_equal(mbedtls_sha512_ret(abc, sizeof(abc), digest, 1), 0);
    assert_string_equal(to_hex(digest, 48, hex), SHA384_ABC);
    assert_int_equal(mbedtls_sha512_ret(abc, sizeof(abc), digest, 0), 0);
    assert_string_equal(to_hex(digest, sizeof(digest), hex), SHA512_ABC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_of_abc),
        cmocka_unit_test(test_sha256_of_empty_input),
        cmocka_unit_test(test_sha256_of_a_mebibyte_at_once),
        cmocka_unit_test(test_sha256_of_a_mebibyte_in_pieces),
        cmocka_unit_test(test_sha224_of_abc),
        cmocka_unit_test(test_sha384_and_sha512_of_abc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
