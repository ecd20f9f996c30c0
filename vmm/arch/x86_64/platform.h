/* The PC platform a Linux guest expects around its CPU: 8259 PICs, the 8254 PIT, a clock for them, power control. */
#ifndef VMM_X86_PLATFORM_H
#define VMM_X86_PLATFORM_H

#include "pic.h"
#include "pit.h"
#include "power_control.h"

#include <stdint.h>

struct arch_platform {
    struct pic pic;
    struct pit pit;
    struct power_control power;
    uint64_t tsc_hz; /* measured against the kernel's tick */
    uint64_t tsc_start;
    uint64_t sleep_gate; /* a gate of this VMM's own, to sleep on with a timeout */
};

#endif
