/*
 * The log service: Micro-Apps with a "log" capability send LABEL_LOG_WRITE
 * messages ([0] byte count <= LOG_MAX_BYTES, [1..] the bytes), and the root
 * task prints them on the console as "[<app>] <text>", one line at a time
 * (the bytes are buffered per app until a newline), so that lines of
 * different apps never interleave mid-line.
 */
#ifndef ROOTTASK_LOG_SERVICE_H
#define ROOTTASK_LOG_SERVICE_H

#include <kapsel/error.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_LINE_SIZE 256 /* a longer line is printed in pieces of this size */

struct log_line {
    size_t length;
    char text[LOG_LINE_SIZE];
};

/*
 * Takes one log message (tag and message registers as received) from the app
 * called name. ERROR_INVALID_ARGUMENT for a malformed one (byte count beyond
 * LOG_MAX_BYTES or beyond the words sent), which prints nothing.
 */
enum error log_service_write(const char *name, struct log_line *line, uint64_t tag, const uint64_t *message);

/* Prints an unfinished last line (when the app ends). */
void log_service_flush(const char *name, struct log_line *line);

#endif
