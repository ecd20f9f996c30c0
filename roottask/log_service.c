#include "log_service.h"

#include <kapsel/abi.h>
#include <kapsel/environment.h>
#include <stdio.h>

_Static_assert(LOG_MAX_BYTES <= (MESSAGE_REGISTERS - 1) * sizeof(uint64_t), "a log message fits the registers");

static void print_line(const char *name, struct log_line *line)
{
    printf("[%s] %.*s\n", name, (int)line->length, line->text);
    fflush(stdout);
    line->length = 0;
}

/* Control bytes would garble the console (or fool whoever reads it): shown as '?'. Tabs stay. */
static char printable(char c)
{
    unsigned char byte = (unsigned char)c;
    return (byte < 0x20 && byte != '\t') || byte == 0x7f ? '?' : c;
}

enum error log_service_write(const char *name, struct log_line *line, uint64_t tag, const uint64_t *message)
{
    unsigned words = MESSAGE_TAG_WORDS(tag);
    if (words < 1 || words > MESSAGE_REGISTERS || MESSAGE_TAG_ITEMS(tag) != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t count = message[0];
    if (count > LOG_MAX_BYTES || count > (uint64_t)(words - 1) * sizeof(uint64_t)) {
        return ERROR_INVALID_ARGUMENT;
    }
    const char *bytes = (const char *)&message[1];
    for (uint64_t i = 0; i < count; i++) {
        if (bytes[i] == '\n') {
            print_line(name, line);
            continue;
        }
        if (line->length == sizeof(line->text)) {
            print_line(name, line);
        }
        line->text[line->length++] = printable(bytes[i]);
    }
    return ERROR_NONE;
}

void log_service_flush(const char *name, struct log_line *line)
{
    if (line->length > 0) {
        print_line(name, line);
    }
}
