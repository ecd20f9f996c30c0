/*
 * The PC's CMOS real-time clock (ports 0x70 index, 0x71 data), as Linux reads
 * it for the wall-clock time at boot: the time registers in BCD or binary and
 * 12- or 24-hour form as register B says, never an update in progress, valid
 * (register D). The time is the host's wall clock plus whatever the guest set
 * (its own offset: a guest cannot change the host's time). The other CMOS
 * bytes are plain storage. No periodic, alarm or update interrupts.
 */
#ifndef VMM_X86_CMOS_CLOCK_H
#define VMM_X86_CMOS_CLOCK_H

#include "../../device_registry.h"

#include <stdint.h>

#define CMOS_CLOCK_PORT 0x70u
#define CMOS_BYTES 128u

struct cmos_clock {
    uint8_t index;
    uint8_t bytes[CMOS_BYTES]; /* storage; the time registers are computed on each read */
    int64_t guest_offset;      /* seconds the guest set its clock away from the host's */
    uint64_t (*unix_time)(void *context);
    void *clock_context;
};

/* Adds the clock at ports 0x70-0x71, its time read from unix_time (seconds since 1970, UTC). */
enum error cmos_clock_register(struct cmos_clock *clock, struct device_registry *registry,
                               uint64_t (*unix_time)(void *context), void *clock_context);

#endif
