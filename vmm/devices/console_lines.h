/*
 * A guest console's output as log lines: bytes gather until a line end and
 * print as "<source>: <line>" (the log service prefixes the VM's name).
 * Control bytes show as '?', so a guest cannot steer the host's console.
 */
#ifndef VMM_DEVICES_CONSOLE_LINES_H
#define VMM_DEVICES_CONSOLE_LINES_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LINE_MAX 160 /* longer lines are split */

struct console_lines {
    const char *source; /* "guest" for the serial port, "console" for virtio-console */
    size_t length;
    char line[CONSOLE_LINE_MAX + 1]; /* and a NUL for the observer */
    void (*observer)(void *context, const char *line);
    void *observer_context;
};

void console_lines_init(struct console_lines *lines, const char *source);

/* Calls observer(context, line) with each line as printed (NUL-terminated), after printing it. */
void console_lines_observe(struct console_lines *lines, void (*observer)(void *context, const char *line),
                           void *context);

/* One byte of output; LF ends a line, CR is dropped (CR LF prints like LF). */
void console_lines_put(struct console_lines *lines, uint8_t byte);

/* Prints what came after the last line end, if anything (when the VM ends). */
void console_lines_flush(struct console_lines *lines);

#endif
