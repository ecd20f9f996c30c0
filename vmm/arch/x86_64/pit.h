/* The 8254 interval timer (ports 0x40-0x43) and the port-0x61 gate/output bits of its channel 2. */
#ifndef VMM_X86_PIT_H
#define VMM_X86_PIT_H

#include "../../device_registry.h"

#include <stdbool.h>
#include <stdint.h>

#define PIT_FREQUENCY_HZ 1193182ull

struct pit_channel {
    uint8_t mode;
    uint8_t access;  /* 1: low byte, 2: high byte, 3: low then high */
    bool write_high; /* the next write of a low/high pair is the high byte */
    bool read_high;
    bool latched;
    uint16_t latch;
    uint32_t reload;   /* 1..65536 */
    uint64_t start_ns; /* when counting (re)started */
    bool armed;        /* a count was written since the last mode command */
};

struct pit {
    struct pit_channel channels[3];
    uint8_t port61;             /* gate (bit 0) and speaker (bit 1) of channel 2 */
    uint64_t (*now_ns)(void *); /* the VMM's clock */
    void *clock;
    uint64_t next_fire_ns; /* channel 0's next interrupt; 0: none */
};

enum error pit_register(struct pit *pit, struct device_registry *registry, uint64_t (*now_ns)(void *), void *clock);

/* True (once per period) when channel 0's output rises by now: the caller raises IRQ 0. */
bool pit_channel0_due(struct pit *pit, uint64_t now_ns);

#endif
