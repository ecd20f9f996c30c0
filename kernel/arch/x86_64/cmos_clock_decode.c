#include <arch/cmos_clock.h>
#include <stdbool.h>

/* Centuries a century register may plausibly hold; anything else is taken as unrelated CMOS data. */
#define FIRST_CENTURY 19
#define LAST_CENTURY 21
/* Without a century register, two-digit years from this one on are 19xx. */
#define FIRST_YEAR_OF_1900S 70

/* One register to its value: binary as is, or two BCD digits (false if either digit is not 0..9). */
static bool decode_value(uint8_t raw, bool binary, uint8_t *value)
{
    if (binary) {
        *value = raw;
        return true;
    }
    if ((raw >> 4) > 9 || (raw & 0x0f) > 9) {
        return false;
    }
    *value = (uint8_t)((raw >> 4) * 10 + (raw & 0x0f));
    return true;
}

static enum error malformed(const char **reason, const char *text)
{
    *reason = text;
    return ERROR_MALFORMED;
}

enum error cmos_clock_decode(const struct cmos_clock_registers *registers, struct calendar_time *time,
                             const char **reason)
{
    bool binary = registers->status_b & CMOS_STATUS_B_BINARY;
    bool twelve_hour = !(registers->status_b & CMOS_STATUS_B_24_HOUR);
    uint8_t hour_raw = registers->hour;
    bool pm = false;
    if (twelve_hour) {
        pm = hour_raw & CMOS_HOUR_PM;
        hour_raw &= (uint8_t)~CMOS_HOUR_PM;
    }
    uint8_t year;
    if (!decode_value(registers->second, binary, &time->second) ||
        !decode_value(registers->minute, binary, &time->minute) || !decode_value(hour_raw, binary, &time->hour) ||
        !decode_value(registers->day, binary, &time->day) || !decode_value(registers->month, binary, &time->month) ||
        !decode_value(registers->year, binary, &year)) {
        return malformed(reason, "a time register is not valid BCD");
    }
    if (year > 99) {
        return malformed(reason, "the year register is above 99");
    }
    if (twelve_hour) {
        if (time->hour < 1 || time->hour > 12) {
            return malformed(reason, "the hour is not 1..12 in the 12-hour mode");
        }
        time->hour = (uint8_t)(time->hour % 12 + (pm ? 12 : 0)); /* 12 AM is midnight, 12 PM noon */
    }
    uint8_t century;
    if (decode_value(registers->century, binary, &century) && century >= FIRST_CENTURY && century <= LAST_CENTURY) {
        time->year = century * 100u + year;
    } else {
        time->year = (year >= FIRST_YEAR_OF_1900S ? 1900u : 2000u) + year;
    }
    return ERROR_NONE;
}
