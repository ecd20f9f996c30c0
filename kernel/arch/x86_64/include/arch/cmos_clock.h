/*
 * The PC's CMOS real-time clock (an MC146818 or compatible behind ports
 * 0x70/0x71): its time registers as read, and their decoding to a calendar
 * time. The registers hold BCD or binary and a 12- or 24-hour clock, as
 * status register B says.
 */
#ifndef ARCH_CMOS_CLOCK_H
#define ARCH_CMOS_CLOCK_H

#include <kapsel/calendar.h>
#include <kapsel/error.h>
#include <stdint.h>

#define CMOS_STATUS_B_24_HOUR 0x02
#define CMOS_STATUS_B_BINARY 0x04
#define CMOS_HOUR_PM 0x80 /* in the hour register, 12-hour mode */

struct cmos_clock_registers {
    uint8_t second;
    uint8_t minute;
    uint8_t hour;
    uint8_t day;
    uint8_t month;
    uint8_t year;    /* within the century */
    uint8_t century; /* register 0x32; clocks without one have other data there */
    uint8_t status_b;
};

/*
 * Decodes the registers to a calendar time (not yet range-checked: see
 * calendar_to_unix_seconds). A century register that does not read 19..21 is
 * taken as absent, and the year as 1970..2069. ERROR_MALFORMED with *reason
 * for digits that are not BCD or an hour the 12-hour clock cannot show.
 */
enum error cmos_clock_decode(const struct cmos_clock_registers *registers, struct calendar_time *time,
                             const char **reason);

#endif
