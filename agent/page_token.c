/* See page_token.h. */
#include "page_token.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FNV_OFFSET_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* Token layout: 16 hex digits of the creation number, 16 of the filter hash, 8 of the check. */
#define TOKEN_HEX_DIGITS (PAGE_TOKEN_BYTES - 1)

static uint64_t fnv1a(uint64_t hash, const void *bytes, size_t length)
{
    const unsigned char *byte = bytes;
    for (size_t i = 0; i < length; i++) {
        hash = (hash ^ byte[i]) * FNV_PRIME;
    }
    return hash;
}

/* Over the first 32 digits; a different start from the filter hash's, so that neither can stand in for the other. */
static uint32_t token_check(const char *digits)
{
    uint64_t hash = fnv1a(FNV_OFFSET_BASIS, "kapsel page token", 17);
    hash = fnv1a(hash, digits, 32);
    return (uint32_t)(hash ^ (hash >> 32));
}

enum api_status page_size_resolve(uint32_t page_size, size_t *size, struct api_error *error)
{
    if (page_size > PAGE_SIZE_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "page_size: %u is above the maximum %u",
                             (unsigned)page_size, PAGE_SIZE_MAX);
    }
    *size = page_size == 0 ? PAGE_SIZE_DEFAULT : page_size;
    return API_STATUS_OK;
}

uint64_t page_filter_hash_begin(const char *list_name)
{
    return page_filter_hash_add(FNV_OFFSET_BASIS, list_name);
}

uint64_t page_filter_hash_add(uint64_t hash, const char *field)
{
    uint64_t length = strlen(field);
    hash = fnv1a(hash, &length, sizeof(length));
    return fnv1a(hash, field, length);
}

void page_token_encode(char token[PAGE_TOKEN_BYTES], uint64_t last_position, uint64_t filter_hash)
{
    snprintf(token, PAGE_TOKEN_BYTES, "%016llx%016llx", (unsigned long long)last_position,
             (unsigned long long)filter_hash);
    snprintf(token + 32, PAGE_TOKEN_BYTES - 32, "%08x", (unsigned)token_check(token));
}

/* Parses count lowercase hex digits; false at any other character. */
static bool parse_hex(const char *digits, size_t count, uint64_t *value)
{
    *value = 0;
    for (size_t i = 0; i < count; i++) {
        char digit = digits[i];
        unsigned nibble;
        if (digit >= '0' && digit <= '9') {
            nibble = (unsigned)(digit - '0');
        } else if (digit >= 'a' && digit <= 'f') {
            nibble = (unsigned)(digit - 'a' + 10);
        } else {
            return false;
        }
        *value = *value << 4 | nibble;
    }
    return true;
}

enum api_status page_token_decode(const char *token, uint64_t filter_hash, uint64_t *last_position,
                                  struct api_error *error)
{
    *last_position = 0;
    if (token[0] == '\0') {
        return API_STATUS_OK;
    }
    uint64_t position;
    uint64_t token_filter_hash;
    uint64_t check;
    if (strlen(token) != TOKEN_HEX_DIGITS || !parse_hex(token, 16, &position) ||
        !parse_hex(token + 16, 16, &token_filter_hash) || !parse_hex(token + 32, 8, &check) ||
        check != token_check(token)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "page_token: not a next_page_token this list returned");
    }
    if (token_filter_hash != filter_hash) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "page_token: was returned for other filters; the request's other fields must stay "
                             "the same from page to page");
    }
    *last_position = position;
    return API_STATUS_OK;
}
