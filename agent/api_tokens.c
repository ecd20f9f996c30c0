/* See api_tokens.h. */
#include "api_tokens.h"

#include <mbedtls/sha256.h>
#include <string.h>
#include <strings.h>

#define BEARER_SCHEME "Bearer "
#define LINE_MAX_BYTES 256

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 64 lowercase hex digits into 32 bytes. */
static bool parse_sha256(const char *text, size_t length, uint8_t sha256[API_TOKEN_SHA256_BYTES])
{
    if (length != 2 * API_TOKEN_SHA256_BYTES) {
        return false;
    }
    for (size_t i = 0; i < API_TOKEN_SHA256_BYTES; i++) {
        int high = hex_digit(text[2 * i]);
        int low = hex_digit(text[2 * i + 1]);
        if (high < 0 || low < 0) {
            return false;
        }
        sha256[i] = (uint8_t)(high << 4 | low);
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One line without its newline: nothing, a comment, or a token. */
static enum api_status parse_line(struct api_tokens *tokens, unsigned number, const char *line, size_t length,
                                  struct api_error *error)
{
    size_t start = 0;
    while (start < length && is_blank(line[start])) {
        start++;
    }
    while (length > start && is_blank(line[length - 1])) {
        length--;
    }
    if (start == length || line[start] == '#') {
        return API_STATUS_OK;
    }
    const char *hash = line + start;
    size_t hash_length = 0;
    while (start + hash_length < length && !is_blank(hash[hash_length])) {
        hash_length++;
    }
    size_t tenant_start = start + hash_length;
    while (tenant_start < length && is_blank(line[tenant_start])) {
        tenant_start++;
    }
    const char *tenant = line + tenant_start;
    size_t tenant_length = length - tenant_start;
    struct api_token token;
    memset(&token, 0, sizeof(token));
    if (!parse_sha256(hash, hash_length, token.sha256)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "line %u: the token's SHA-256 is not 64 lowercase hex digits", number);
    }
    bool is_operator = tenant_length == 1 && tenant[0] == '*';
    if (!is_operator) {
        if (tenant_length == 0 || tenant_length > VM_TENANT_MAX_LENGTH) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "line %u: a tenant (1 to %d bytes) or * must follow the hash", number,
                                 VM_TENANT_MAX_LENGTH);
        }
        memcpy(token.principal.tenant, tenant, tenant_length);
        if (!vm_tenant_is_valid(token.principal.tenant)) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "line %u: the tenant is not [a-z0-9-] starting with a letter", number);
        }
    }
    for (size_t i = 0; i < tokens->count; i++) {
        if (memcmp(tokens->tokens[i].sha256, token.sha256, sizeof(token.sha256)) == 0) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "line %u: the same token is given twice", number);
        }
    }
    if (tokens->count == API_TOKENS_MAX) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "line %u: more than %d tokens", number,
                             API_TOKENS_MAX);
    }
    tokens->tokens[tokens->count++] = token;
    return API_STATUS_OK;
}

enum api_status api_tokens_parse(struct api_tokens *tokens, const char *text, size_t length, struct api_error *error)
{
    memset(tokens, 0, sizeof(*tokens));
    size_t end = strnlen(text, length);
    unsigned number = 1;
    for (size_t start = 0; start < end; number++) {
        const char *newline = memchr(text + start, '\n', end - start);
        size_t line_end = newline ? (size_t)(newline - text) : end;
        if (line_end - start > LINE_MAX_BYTES) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "line %u: longer than %d bytes", number,
                                 LINE_MAX_BYTES);
        }
        enum api_status status = parse_line(tokens, number, text + start, line_end - start, error);
        if (status != API_STATUS_OK) {
            return status;
        }
        start = line_end + 1;
    }
    if (tokens->count == 0) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "no tokens: an API nobody may use");
    }
    return API_STATUS_OK;
}

static bool is_token(const char *token, size_t length)
{
    if (length == 0 || length > API_TOKEN_MAX_BYTES) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        if (token[i] < 0x21 || token[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

const void *api_tokens_authenticate(void *context, const char *authorization, const char **refusal)
{
    const struct api_tokens *tokens = context;
    size_t scheme_length = strlen(BEARER_SCHEME);
    if (authorization == NULL) {
        *refusal = "authorization: this host's API needs a token (authorization: Bearer <token>)";
        return NULL;
    }
    const char *token = authorization + scheme_length;
    size_t length = strnlen(authorization, scheme_length + API_TOKEN_MAX_BYTES + 1);
    /* The scheme's name is case-insensitive (RFC 9110, section 11.1). */
    if (length < scheme_length || strncasecmp(authorization, BEARER_SCHEME, scheme_length) != 0 ||
        !is_token(token, length - scheme_length)) {
        *refusal = "authorization: not \"Bearer <token>\" with a token of 1 to 512 visible ASCII bytes";
        return NULL;
    }
    uint8_t sha256[API_TOKEN_SHA256_BYTES];
    mbedtls_sha256_ret((const unsigned char *)token, length - scheme_length, sha256, 0);
    const struct api_principal *found = NULL;
    for (size_t i = 0; i < tokens->count; i++) {
        uint8_t difference = 0;
        for (size_t j = 0; j < API_TOKEN_SHA256_BYTES; j++) {
            difference |= (uint8_t)(tokens->tokens[i].sha256[j] ^ sha256[j]);
        }
        if (difference == 0) {
            found = &tokens->tokens[i].principal;
        }
    }
    if (found == NULL) {
        *refusal = "authorization: the token is not one of this host's";
    }
    return found;
}
