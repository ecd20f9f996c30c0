#include "console_lines.h"

#include <stdio.h>

static void print_line(struct console_lines *lines)
{
    printf("%s: %.*s\n", lines->source, (int)lines->length, lines->line);
    if (lines->observer) {
        lines->line[lines->length] = '\0';
        lines->observer(lines->observer_context, lines->line);
    }
    lines->length = 0;
}

static char printable(uint8_t byte)
{
    return (byte < 0x20 && byte != '\t') || byte == 0x7f ? '?' : (char)byte;
}

void console_lines_init(struct console_lines *lines, const char *source)
{
    lines->source = source;
    lines->length = 0;
    lines->observer = NULL;
    lines->observer_context = NULL;
}

void console_lines_observe(struct console_lines *lines, void (*observer)(void *context, const char *line),
                           void *context)
{
    lines->observer = observer;
    lines->observer_context = context;
}

void console_lines_put(struct console_lines *lines, uint8_t byte)
{
    if (byte == '\n') {
        print_line(lines);
        return;
    }
    if (byte == '\r') {
        return;
    }
    if (lines->length == CONSOLE_LINE_MAX) {
        print_line(lines);
    }
    lines->line[lines->length++] = printable(byte);
}

void console_lines_flush(struct console_lines *lines)
{
    if (lines->length > 0) {
        print_line(lines);
    }
}
