#include "cmos_clock.h"

enum {
    REGISTER_SECONDS = 0x00,
    REGISTER_MINUTES = 0x02,
    REGISTER_HOURS = 0x04,
    REGISTER_WEEKDAY = 0x06,
    REGISTER_DAY = 0x07,
    REGISTER_MONTH = 0x08,
    REGISTER_YEAR = 0x09,
    REGISTER_A = 0x0a,
    REGISTER_B = 0x0b,
    REGISTER_C = 0x0c,
    REGISTER_D = 0x0d,
    REGISTER_CENTURY = 0x32,
};

#define A_DEFAULT 0x26u /* 32.768 kHz time base, 1024 Hz rate; UIP (bit 7) never set */
#define B_DEFAULT 0x02u /* 24-hour, BCD, no interrupts */
#define B_SET 0x80u     /* the guest is setting the time: the registers hold what it writes */
#define B_BINARY 0x04u
#define B_24_HOUR 0x02u
#define D_VALID 0x80u /* the clock's battery is good */
#define HOUR_PM 0x80u
#define INDEX_MASK 0x7fu /* bit 7 of the index port masks NMIs on a PC */
#define SECONDS_PER_DAY 86400

struct civil_time {
    int64_t year;
    unsigned month, day, hour, minute, second, weekday; /* weekday 1 = Sunday, as the RTC counts */
};

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t days, struct civil_time *time)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned day_of_era = (unsigned)(days - era * 146097);
    unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    unsigned shifted_month = (5 * day_of_year + 2) / 153;
    time->day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    time->month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    time->year = (int64_t)year_of_era + era * 400 + (time->month <= 2);
}

static int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    unsigned year_of_era = (unsigned)(year - era * 400);
    unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (int64_t)day_of_era - 719468;
}

static void civil_time_at(int64_t seconds, struct civil_time *time)
{
    int64_t days = seconds / SECONDS_PER_DAY;
    int64_t rest = seconds % SECONDS_PER_DAY;
    if (rest < 0) {
        rest += SECONDS_PER_DAY;
        days--;
    }
    civil_from_days(days, time);
    time->hour = (unsigned)(rest / 3600);
    time->minute = (unsigned)(rest / 60 % 60);
    time->second = (unsigned)(rest % 60);
    time->weekday = (unsigned)(((days % 7) + 7 + 4) % 7) + 1; /* 1970-01-01 was a Thursday */
}

static uint8_t encode(const struct cmos_clock *clock, unsigned value)
{
    return clock->bytes[REGISTER_B] & B_BINARY ? (uint8_t)value : (uint8_t)((value / 10) << 4 | value % 10);
}

static unsigned decode(const struct cmos_clock *clock, uint8_t value)
{
    return clock->bytes[REGISTER_B] & B_BINARY ? value : (unsigned)(value >> 4) * 10 + (value & 0xfu);
}

static int64_t now(const struct cmos_clock *clock)
{
    return (int64_t)clock->unix_time(clock->clock_context) + clock->guest_offset;
}

static uint8_t encode_hour(const struct cmos_clock *clock, unsigned hour)
{
    if (clock->bytes[REGISTER_B] & B_24_HOUR) {
        return encode(clock, hour);
    }
    unsigned twelve = hour % 12 == 0 ? 12 : hour % 12;
    return (uint8_t)(encode(clock, twelve) | (hour >= 12 ? HOUR_PM : 0));
}

static unsigned decode_hour(const struct cmos_clock *clock, uint8_t value)
{
    if (clock->bytes[REGISTER_B] & B_24_HOUR) {
        return decode(clock, value);
    }
    unsigned twelve = decode(clock, value & (uint8_t)~HOUR_PM) % 12;
    return twelve + (value & HOUR_PM ? 12 : 0);
}

static uint8_t time_register(const struct cmos_clock *clock, uint8_t index)
{
    struct civil_time time;
    civil_time_at(now(clock), &time);
    switch (index) {
    case REGISTER_SECONDS:
        return encode(clock, time.second);
    case REGISTER_MINUTES:
        return encode(clock, time.minute);
    case REGISTER_HOURS:
        return encode_hour(clock, time.hour);
    case REGISTER_WEEKDAY:
        return encode(clock, time.weekday);
    case REGISTER_DAY:
        return encode(clock, time.day);
    case REGISTER_MONTH:
        return encode(clock, time.month);
    case REGISTER_YEAR:
        return encode(clock, (unsigned)(time.year % 100));
    default:
        return encode(clock, (unsigned)(time.year / 100));
    }
}

static bool is_time_register(uint8_t index)
{
    return index <= REGISTER_YEAR || index == REGISTER_CENTURY;
}

/* Copies the time as it reads now into the registers, for the guest to change some of them. */
static void snapshot_time(struct cmos_clock *clock)
{
    for (uint8_t index = 0; index <= REGISTER_CENTURY; index++) {
        if (is_time_register(index)) {
            clock->bytes[index] = time_register(clock, index);
        }
    }
}

/* The guest finished setting the time (SET cleared): its registers become its offset from the host's clock. */
static void adopt_guest_time(struct cmos_clock *clock)
{
    const uint8_t *bytes = clock->bytes;
    unsigned month = decode(clock, bytes[REGISTER_MONTH]), day = decode(clock, bytes[REGISTER_DAY]);
    unsigned hour = decode_hour(clock, bytes[REGISTER_HOURS]), minute = decode(clock, bytes[REGISTER_MINUTES]);
    unsigned second = decode(clock, bytes[REGISTER_SECONDS]);
    int64_t year = (int64_t)decode(clock, bytes[REGISTER_CENTURY]) * 100 + decode(clock, bytes[REGISTER_YEAR]);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
        return; /* nonsense is not adopted: the clock keeps running as it was */
    }
    int64_t seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    clock->guest_offset = seconds - (int64_t)clock->unix_time(clock->clock_context);
}

static const char *clock_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    struct cmos_clock *clock = context;
    (void)size;
    if (offset == 0) {
        *value = clock->index;
    } else if (is_time_register(clock->index) && !(clock->bytes[REGISTER_B] & B_SET)) {
        *value = time_register(clock, clock->index);
    } else if (clock->index == REGISTER_C) {
        *value = 0; /* no interrupt flags: the clock raises none */
    } else {
        *value = clock->bytes[clock->index];
    }
    return NULL;
}

static const char *clock_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct cmos_clock *clock = context;
    (void)size;
    if (offset == 0) {
        clock->index = (uint8_t)(value & INDEX_MASK);
        return NULL;
    }
    uint8_t byte = (uint8_t)value;
    switch (clock->index) {
    case REGISTER_A:
        clock->bytes[REGISTER_A] = byte & 0x7fu; /* UIP is read-only */
        break;
    case REGISTER_B:
        if ((byte & B_SET) && !(clock->bytes[REGISTER_B] & B_SET)) {
            snapshot_time(clock); /* registers the guest does not write keep the current time */
        }
        bool was_setting = clock->bytes[REGISTER_B] & B_SET;
        clock->bytes[REGISTER_B] = byte;
        if (was_setting && !(byte & B_SET)) {
            adopt_guest_time(clock);
        }
        break;
    case REGISTER_C:
    case REGISTER_D:
        break; /* read-only */
    default:
        if (!is_time_register(clock->index) || (clock->bytes[REGISTER_B] & B_SET)) {
            clock->bytes[clock->index] = byte;
        } else {
            /* One time register written while the clock runs: the others keep the current time. */
            snapshot_time(clock);
            clock->bytes[clock->index] = byte;
            adopt_guest_time(clock);
        }
        break;
    }
    return NULL;
}

enum error cmos_clock_register(struct cmos_clock *clock, struct device_registry *registry,
                               uint64_t (*unix_time)(void *context), void *clock_context)
{
    *clock = (struct cmos_clock){.unix_time = unix_time, .clock_context = clock_context};
    clock->bytes[REGISTER_A] = A_DEFAULT;
    clock->bytes[REGISTER_B] = B_DEFAULT;
    clock->bytes[REGISTER_D] = D_VALID;
    const struct device ports = {
        .name = "CMOS clock",
        .space = DEVICE_SPACE_PORT,
        .base = CMOS_CLOCK_PORT,
        .size = 2,
        .access_sizes = 1,
        .read = clock_read,
        .write = clock_write,
        .context = clock,
    };
    return device_registry_add(registry, &ports);
}
