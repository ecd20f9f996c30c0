#include <kapsel/calendar.h>
#include <stdbool.h>

#define SECONDS_PER_DAY 86400u
#define DAYS_PER_400_YEARS 146097u
/* Days from 0000-03-01 (the start of the shifted calendar below) to 1970-01-01. */
#define DAYS_TO_UNIX_EPOCH 719468u

static bool leap_year(uint32_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static uint8_t days_in_month(uint32_t year, uint8_t month)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

/*
 * Days since 1970-01-01 (after H. Hinnant's days_from_civil). The year is
 * taken to start on March 1 so that the leap day is the last day of a year
 * and the month lengths from March on repeat in a 153-day, 5-month pattern.
 */
static uint64_t days_since_epoch(uint32_t year, uint8_t month, uint8_t day)
{
    uint32_t shifted_year = month <= 2 ? year - 1 : year;
    uint32_t era = shifted_year / 400;
    uint32_t year_of_era = shifted_year - era * 400;
    uint32_t shifted_month = month > 2 ? month - 3u : month + 9u; /* March = 0 */
    uint32_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    uint32_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return (uint64_t)era * DAYS_PER_400_YEARS + day_of_era - DAYS_TO_UNIX_EPOCH;
}

enum error calendar_to_unix_seconds(const struct calendar_time *time, uint64_t *seconds, const char **reason)
{
    if (time->year < CALENDAR_FIRST_YEAR || time->year > CALENDAR_LAST_YEAR) {
        *reason = "year out of range (1970..9999)";
        return ERROR_OUT_OF_RANGE;
    }
    if (time->month < 1 || time->month > 12) {
        *reason = "month out of range";
        return ERROR_OUT_OF_RANGE;
    }
    if (time->day < 1 || time->day > days_in_month(time->year, time->month)) {
        *reason = "day out of range for its month";
        return ERROR_OUT_OF_RANGE;
    }
    if (time->hour > 23) {
        *reason = "hour out of range";
        return ERROR_OUT_OF_RANGE;
    }
    if (time->minute > 59) {
        *reason = "minute out of range";
        return ERROR_OUT_OF_RANGE;
    }
    if (time->second > 59) {
        *reason = "second out of range";
        return ERROR_OUT_OF_RANGE;
    }
    *seconds = days_since_epoch(time->year, time->month, time->day) * SECONDS_PER_DAY + time->hour * 3600u +
               time->minute * 60u + time->second;
    return ERROR_NONE;
}
