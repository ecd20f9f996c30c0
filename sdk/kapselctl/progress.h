/* An upload's progress: on a terminal a bar redrawn in place (at most every 100 ms) with bytes and rate; otherwise
 * plain lines at 25 %, 50 %, 75 % and 100 %. */
#ifndef KAPSELCTL_PROGRESS_H
#define KAPSELCTL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_LINE_BYTES 160

struct upload_progress {
    FILE *out;
    bool tty;
    const char *label;
    uint64_t start_ms;
    uint64_t last_draw_ms;
    unsigned last_quarter;
    bool drawn;
};

void upload_progress_init(struct upload_progress *progress, FILE *out, bool tty, const char *label);

/* A kapsel_upload_progress_fn with a struct upload_progress as its context; never cancels. */
bool upload_progress_update(void *context, uint64_t sent_bytes, uint64_t total_bytes);

/* Ends the bar's line on a terminal. */
void upload_progress_finish(struct upload_progress *progress);

/* One line: with bar, "label  [#####-----]  50%  1Mi / 2Mi  1Mi/s"; without, "label: 1048576 of 2097152 bytes (50%),
 * 1Mi/s". The rate is "-" until some time passed. */
void progress_line(char text[PROGRESS_LINE_BYTES], const char *label, uint64_t sent_bytes, uint64_t total_bytes,
                   uint64_t elapsed_ms, bool bar);

#endif
