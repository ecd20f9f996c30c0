/*
 * Civil dates and times and Unix time: the proleptic Gregorian calendar, UTC,
 * no time zones and no leap seconds (every day has 86400 seconds, as in POSIX).
 */
#ifndef KAPSEL_CALENDAR_H
#define KAPSEL_CALENDAR_H

#include <kapsel/error.h>
#include <stdint.h>

/* Unix seconds start at 1970; the upper bound keeps four-digit years (and the arithmetic far from overflow). */
#define CALENDAR_FIRST_YEAR 1970
#define CALENDAR_LAST_YEAR 9999

struct calendar_time {
    uint32_t year;  /* CALENDAR_FIRST_YEAR..CALENDAR_LAST_YEAR */
    uint8_t month;  /* 1..12 */
    uint8_t day;    /* 1..days in that month */
    uint8_t hour;   /* 0..23 */
    uint8_t minute; /* 0..59 */
    uint8_t second; /* 0..59 */
};

/*
 * Seconds since 1970-01-01 00:00:00 UTC. Every field is checked first: on
 * ERROR_OUT_OF_RANGE *reason names the field and *seconds is left alone.
 */
enum error calendar_to_unix_seconds(const struct calendar_time *time, uint64_t *seconds, const char **reason);

#endif
