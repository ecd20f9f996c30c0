/* Reads the CMOS real-time clock for the wall clock; cmos_clock_decode() makes sense of the registers. */
#include <arch/cmos_clock.h>
#include <arch/cpu.h>
#include <kapsel/arch.h>
#include <stdbool.h>
#include <string.h>

#define CMOS_INDEX 0x70 /* bit 7 of an index masks NMIs: left clear */
#define CMOS_DATA 0x71

#define CMOS_SECOND 0x00
#define CMOS_MINUTE 0x02
#define CMOS_HOUR 0x04
#define CMOS_DAY 0x07
#define CMOS_MONTH 0x08
#define CMOS_YEAR 0x09
#define CMOS_STATUS_A 0x0a
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_D 0x0d
#define CMOS_CENTURY 0x32

#define STATUS_A_UPDATE_IN_PROGRESS 0x80
#define STATUS_D_VALID_TIME 0x80 /* clear: the battery went flat, the time is lost */

/*
 * Polls of register A before giving up on the update-in-progress flag:
 * counted, since the 10 ms tick is too coarse and the TSC's rate is unknown.
 * The flag rises 244 us before the once-a-second update, which takes at most
 * 2 ms more. A poll is two ISA port accesses of about 1 us each on hardware,
 * so this waits some 10 ms there; under QEMU's TCG it measured about 1 ms,
 * still four times the 244 us.
 */
#define UPDATE_POLLS 5000
/* Each attempt reads all registers twice; they disagree only when an update fell in between. */
#define READ_ATTEMPTS 5

static uint8_t cmos_read(uint8_t index)
{
    port_write8(CMOS_INDEX, index);
    return port_read8(CMOS_DATA);
}

/* True once no update is in progress: the registers then hold still for at least 244 us. */
static bool wait_while_updating(void)
{
    for (unsigned poll = 0; poll < UPDATE_POLLS; poll++) {
        if (!(cmos_read(CMOS_STATUS_A) & STATUS_A_UPDATE_IN_PROGRESS)) {
            return true;
        }
    }
    return false;
}

static void read_registers(struct cmos_clock_registers *registers)
{
    registers->second = cmos_read(CMOS_SECOND);
    registers->minute = cmos_read(CMOS_MINUTE);
    registers->hour = cmos_read(CMOS_HOUR);
    registers->day = cmos_read(CMOS_DAY);
    registers->month = cmos_read(CMOS_MONTH);
    registers->year = cmos_read(CMOS_YEAR);
    registers->century = cmos_read(CMOS_CENTURY);
    registers->status_b = cmos_read(CMOS_STATUS_B);
}

enum error arch_wall_clock_read(struct calendar_time *time, const char **source, const char **reason)
{
    *source = "the CMOS clock";
    uint8_t status_a = cmos_read(CMOS_STATUS_A);
    uint8_t status_b = cmos_read(CMOS_STATUS_B);
    uint8_t status_d = cmos_read(CMOS_STATUS_D);
    if (status_a == 0xff && status_b == 0xff && status_d == 0xff) {
        *reason = "its registers read 0xff, there is none";
        return ERROR_NOT_FOUND;
    }
    if (!(status_d & STATUS_D_VALID_TIME)) {
        *reason = "it lost the time (register D: battery flat)";
        return ERROR_NOT_FOUND;
    }
    for (unsigned attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        struct cmos_clock_registers first;
        struct cmos_clock_registers second;
        if (!wait_while_updating()) {
            *reason = "its update-in-progress flag does not clear";
            return ERROR_TIMEOUT;
        }
        read_registers(&first);
        if (!wait_while_updating()) {
            *reason = "its update-in-progress flag does not clear";
            return ERROR_TIMEOUT;
        }
        read_registers(&second);
        if (memcmp(&first, &second, sizeof(first)) == 0) {
            return cmos_clock_decode(&first, time, reason);
        }
    }
    *reason = "its registers changed between every two reads";
    return ERROR_BUSY;
}
