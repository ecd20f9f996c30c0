/* Parsers for option values and operands. */
#include "value_parsers.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHA256_HEX_LENGTH 64
#define MAX_SECONDS 86400u

bool parse_uint32(const char *text, uint32_t min, uint32_t max, uint32_t *value)
{
    if (text == NULL || !isdigit((unsigned char)text[0])) {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || parsed < min || parsed > max) {
        return false;
    }
    *value = (uint32_t)parsed;
    return true;
}

bool parse_memory_mib(const char *text, uint32_t *mib)
{
    static const struct {
        const char *suffix;
        uint64_t mib;
    } units[] = {{"", 1}, {"M", 1}, {"Mi", 1}, {"MiB", 1}, {"G", 1024}, {"Gi", 1024}, {"GiB", 1024}};
    if (text == NULL || !isdigit((unsigned char)text[0])) {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long number = strtoull(text, &end, 10);
    if (errno != 0) {
        return false;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            uint64_t total = (uint64_t)number * units[i].mib;
            if (number == 0 || number > UINT32_MAX || total > UINT32_MAX) {
                return false;
            }
            *mib = (uint32_t)total;
            return true;
        }
    }
    return false;
}

bool parse_seconds_ms(const char *text, uint32_t *milliseconds)
{
    if (text == NULL || !isdigit((unsigned char)text[0])) {
        return false;
    }
    uint64_t whole = 0;
    const char *c = text;
    for (; isdigit((unsigned char)*c); c++) {
        whole = whole * 10 + (uint64_t)(*c - '0');
        if (whole > MAX_SECONDS) {
            return false;
        }
    }
    uint64_t fraction_ms = 0;
    if (*c == '.') {
        c++;
        uint64_t scale = 100;
        if (!isdigit((unsigned char)*c)) {
            return false;
        }
        for (; isdigit((unsigned char)*c); c++, scale /= 10) {
            if (scale == 0) {
                return false; /* finer than a millisecond */
            }
            fraction_ms += (uint64_t)(*c - '0') * scale;
        }
    }
    uint64_t total = whole * 1000 + fraction_ms;
    if (*c != '\0' || total > (uint64_t)MAX_SECONDS * 1000) {
        return false;
    }
    *milliseconds = (uint32_t)total;
    return true;
}

bool parse_label(const char *text, size_t *key_length, const char **value)
{
    const char *equals = text ? strchr(text, '=') : NULL;
    if (equals == NULL || equals == text) {
        return false;
    }
    *key_length = (size_t)(equals - text);
    *value = equals + 1;
    return true;
}

bool parse_disk(const char *text, size_t *reference_length, bool *read_only)
{
    if (text == NULL || text[0] == '\0') {
        return false;
    }
    size_t length = strlen(text);
    *read_only = false;
    *reference_length = length;
    const char *colon = strrchr(text, ':');
    if (colon && (strcmp(colon, ":ro") == 0 || strcmp(colon, ":rw") == 0)) {
        *read_only = colon[1] == 'r' && colon[2] == 'o';
        *reference_length = (size_t)(colon - text);
    }
    return *reference_length > 0;
}

bool vm_name_from_operand(const char *text, char name[RESOURCE_NAME_BYTES])
{
    const char *id = strncmp(text, "vms/", 4) == 0 ? text + 4 : text;
    if (id[0] == '\0' || strchr(id, '/') != NULL) {
        return false;
    }
    return snprintf(name, RESOURCE_NAME_BYTES, "vms/%s", id) < RESOURCE_NAME_BYTES;
}

bool image_name_from_operand(const char *text, char name[RESOURCE_NAME_BYTES])
{
    const char *sha256 = strncmp(text, "images/", 7) == 0 ? text + 7 : text;
    if (strlen(sha256) != SHA256_HEX_LENGTH) {
        return false;
    }
    for (const char *c = sha256; *c; c++) {
        if (!isdigit((unsigned char)*c) && !(*c >= 'a' && *c <= 'f')) {
            return false;
        }
    }
    snprintf(name, RESOURCE_NAME_BYTES, "images/%s", sha256);
    return true;
}
