/* Sizes, ages and times as people read them in tables. */
#ifndef KAPSELCTL_HUMAN_FORMAT_H
#define KAPSELCTL_HUMAN_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define HUMAN_TEXT_BYTES 32

/* Binary units as kubectl writes them: "512B", "64Ki", "1.5Gi" (one decimal unless exact). */
void format_bytes(uint64_t bytes, char text[HUMAN_TEXT_BYTES]);

/* How long ago then_ms was at now_ms (Unix milliseconds): "45s", "12m", "3h", "5d"; "-" for 0 (never). */
void format_age(uint64_t then_ms, uint64_t now_ms, char text[HUMAN_TEXT_BYTES]);

/* "2024-05-01T10:00:00Z"; "-" for 0. */
void format_time_utc(uint64_t unix_ms, char text[HUMAN_TEXT_BYTES]);

/* Unix milliseconds now. */
uint64_t now_unix_ms(void);

#endif
