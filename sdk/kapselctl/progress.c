/* Progress bars and lines for uploads. */
#include "progress.h"

#include "human_format.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#define BAR_WIDTH 24
#define REDRAW_MS 100

static uint64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

void upload_progress_init(struct upload_progress *progress, FILE *out, bool tty, const char *label)
{
    *progress = (struct upload_progress){.out = out, .tty = tty, .label = label, .start_ms = monotonic_ms()};
}

static unsigned percent_of(uint64_t sent_bytes, uint64_t total_bytes)
{
    return total_bytes ? (unsigned)(sent_bytes * 100 / total_bytes) : 100;
}

void progress_line(char text[PROGRESS_LINE_BYTES], const char *label, uint64_t sent_bytes, uint64_t total_bytes,
                   uint64_t elapsed_ms, bool bar)
{
    unsigned percent = percent_of(sent_bytes, total_bytes);
    char rate[HUMAN_TEXT_BYTES + 2] = "-";
    if (elapsed_ms > 0) {
        char per_second[HUMAN_TEXT_BYTES];
        format_bytes(sent_bytes * 1000 / elapsed_ms, per_second);
        snprintf(rate, sizeof(rate), "%s/s", per_second);
    }
    if (!bar) {
        snprintf(text, PROGRESS_LINE_BYTES, "%s: %" PRIu64 " of %" PRIu64 " bytes (%u%%), %s", label, sent_bytes,
                 total_bytes, percent, rate);
        return;
    }
    char filled[BAR_WIDTH + 1];
    size_t full = percent * BAR_WIDTH / 100;
    memset(filled, '#', full);
    memset(filled + full, '-', BAR_WIDTH - full);
    filled[BAR_WIDTH] = '\0';
    char sent[HUMAN_TEXT_BYTES];
    char total[HUMAN_TEXT_BYTES];
    format_bytes(sent_bytes, sent);
    format_bytes(total_bytes, total);
    snprintf(text, PROGRESS_LINE_BYTES, "%s  [%s] %3u%%  %s / %s  %s", label, filled, percent, sent, total, rate);
}

bool upload_progress_update(void *context, uint64_t sent_bytes, uint64_t total_bytes)
{
    struct upload_progress *progress = context;
    uint64_t now = monotonic_ms();
    char line[PROGRESS_LINE_BYTES];
    if (progress->tty) {
        bool done = sent_bytes == total_bytes;
        if (progress->drawn && !done && now - progress->last_draw_ms < REDRAW_MS) {
            return true;
        }
        progress_line(line, progress->label, sent_bytes, total_bytes, now - progress->start_ms, true);
        fprintf(progress->out, "\r%s\033[K", line);
        progress->drawn = true;
        progress->last_draw_ms = now;
    } else {
        unsigned quarter = percent_of(sent_bytes, total_bytes) / 25;
        if (quarter == progress->last_quarter) {
            return true;
        }
        progress->last_quarter = quarter;
        progress_line(line, progress->label, sent_bytes, total_bytes, now - progress->start_ms, false);
        fprintf(progress->out, "%s\n", line);
    }
    fflush(progress->out);
    return true;
}

void upload_progress_finish(struct upload_progress *progress)
{
    if (progress->tty && progress->drawn) {
        fputc('\n', progress->out);
    }
}
