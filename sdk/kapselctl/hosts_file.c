/* Parsing fleet files. */
#include "hosts_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_FILE_MAX_BYTES (1024 * 1024)

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next field of the line at *cursor (up to end); false if none is left. */
static bool next_field(const char **cursor, const char *end, const char **field, size_t *length)
{
    const char *c = *cursor;
    while (c < end && is_blank(*c)) {
        c++;
    }
    if (c == end) {
        return false;
    }
    *field = c;
    while (c < end && !is_blank(*c)) {
        c++;
    }
    *length = (size_t)(c - *field);
    *cursor = c;
    return true;
}

static bool parse_line(const char *line, const char *end, const char *source, unsigned number, struct fleet *fleet,
                       FILE *err)
{
    const char *comment = memchr(line, '#', (size_t)(end - line));
    end = comment ? comment : end;
    const char *name;
    const char *address;
    const char *extra;
    size_t name_length;
    size_t address_length;
    size_t extra_length;
    if (!next_field(&line, end, &name, &name_length)) {
        return true; /* blank or comment */
    }
    if (!next_field(&line, end, &address, &address_length) || next_field(&line, end, &extra, &extra_length)) {
        fprintf(err, "%s:%u: a host is \"name address\", two fields\n", source, number);
        return false;
    }
    if (name_length >= FLEET_NAME_BYTES || address_length >= FLEET_ADDRESS_BYTES) {
        fprintf(err, "%s:%u: the name is at most %d bytes, the address at most %d\n", source, number,
                FLEET_NAME_BYTES - 1, FLEET_ADDRESS_BYTES - 1);
        return false;
    }
    for (size_t i = 0; i < fleet->count; i++) {
        if (strlen(fleet->hosts[i].name) == name_length && memcmp(fleet->hosts[i].name, name, name_length) == 0) {
            fprintf(err, "%s:%u: host %.*s is listed twice\n", source, number, (int)name_length, name);
            return false;
        }
    }
    if (fleet->count == FLEET_MAX_HOSTS) {
        fprintf(err, "%s:%u: more than %d hosts\n", source, number, FLEET_MAX_HOSTS);
        return false;
    }
    struct fleet_host *host = &fleet->hosts[fleet->count++];
    memcpy(host->name, name, name_length);
    host->name[name_length] = '\0';
    memcpy(host->address, address, address_length);
    host->address[address_length] = '\0';
    return true;
}

bool hosts_parse(const char *text, const char *source, struct fleet *fleet, FILE *err)
{
    fleet->count = 0;
    unsigned number = 0;
    for (const char *line = text; *line != '\0';) {
        const char *newline = strchr(line, '\n');
        const char *end = newline ? newline : line + strlen(line);
        if (!parse_line(line, end, source, ++number, fleet, err)) {
            return false;
        }
        line = newline ? newline + 1 : end;
    }
    if (fleet->count == 0) {
        fprintf(err, "%s: no hosts (lines \"name address\")\n", source);
        return false;
    }
    return true;
}

bool hosts_load(const char *path, struct fleet *fleet, FILE *err)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        fprintf(err, "kapselctl: --fleet %s: %s\n", path, strerror(errno));
        return false;
    }
    char *text = malloc(HOSTS_FILE_MAX_BYTES + 1);
    size_t length = text ? fread(text, 1, HOSTS_FILE_MAX_BYTES + 1, file) : 0;
    bool read_error = ferror(file) != 0;
    fclose(file);
    if (text == NULL || read_error || length > HOSTS_FILE_MAX_BYTES) {
        fprintf(err, "kapselctl: --fleet %s: %s\n", path,
                text == NULL ? "out of memory"
                : read_error ? "read error"
                             : "larger than 1 MiB");
        free(text);
        return false;
    }
    text[length] = '\0';
    bool parsed = hosts_parse(text, path, fleet, err);
    free(text);
    return parsed;
}
