/* Human-readable sizes, ages and times. */
#include "human_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

void format_bytes(uint64_t bytes, char text[HUMAN_TEXT_BYTES])
{
    static const char *const units[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    if (bytes < 1024) {
        snprintf(text, HUMAN_TEXT_BYTES, "%" PRIu64 "B", bytes);
        return;
    }
    size_t unit = 0;
    uint64_t scale = 1024;
    while (unit + 1 < sizeof(units) / sizeof(units[0]) && bytes / scale >= 1024) {
        scale *= 1024;
        unit++;
    }
    if (bytes % scale == 0) {
        snprintf(text, HUMAN_TEXT_BYTES, "%" PRIu64 "%s", bytes / scale, units[unit]);
    } else {
        snprintf(text, HUMAN_TEXT_BYTES, "%.1f%s", (double)bytes / (double)scale, units[unit]);
    }
}

void format_age(uint64_t then_ms, uint64_t now_ms, char text[HUMAN_TEXT_BYTES])
{
    if (then_ms == 0) {
        snprintf(text, HUMAN_TEXT_BYTES, "-");
        return;
    }
    uint64_t seconds = now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;
    if (seconds < 120) {
        snprintf(text, HUMAN_TEXT_BYTES, "%" PRIu64 "s", seconds);
    } else if (seconds < 120 * 60) {
        snprintf(text, HUMAN_TEXT_BYTES, "%" PRIu64 "m", seconds / 60);
    } else if (seconds < 48 * 3600) {
        snprintf(text, HUMAN_TEXT_BYTES, "%" PRIu64 "h", seconds / 3600);
    } else {
        snprintf(text, HUMAN_TEXT_BYTES, "%" PRIu64 "d", seconds / 86400);
    }
}

void format_time_utc(uint64_t unix_ms, char text[HUMAN_TEXT_BYTES])
{
    time_t seconds = (time_t)(unix_ms / 1000);
    struct tm utc;
    if (unix_ms == 0 || gmtime_r(&seconds, &utc) == NULL) {
        snprintf(text, HUMAN_TEXT_BYTES, "-");
        return;
    }
    strftime(text, HUMAN_TEXT_BYTES, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

uint64_t now_unix_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}
