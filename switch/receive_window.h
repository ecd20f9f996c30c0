/*
 * Where the items of a control request land in the switch (kapsel/switch_control.h): one 1 MiB memory slot and one
 * capability slot per port, and a spare pair for a request that finds every port in use (so that it is answered with
 * a reason rather than refused by the kernel). Before each wait the switch opens the pair of the port the next ATTACH
 * will get; an accepted ATTACH's region and gate stay in that port's pair until it is detached, anything else that
 * lands is unmapped.
 */
#ifndef SWITCH_RECEIVE_WINDOW_H
#define SWITCH_RECEIVE_WINDOW_H

#include "forwarding.h"

#include <stddef.h>
#include <stdint.h>

#define RECEIVE_WINDOW_SPARE SWITCH_MAX_PORTS /* the pair used when every port is in use */

/* Where the region of pair (a port number, or RECEIVE_WINDOW_SPARE) lands. */
uint64_t receive_window_region(unsigned pair);

/* The slot the gate of pair lands in. */
uint64_t receive_window_gate(unsigned pair);

/*
 * Sets this thread's receive windows to pair, for the next wait. A capability left in its slot (by a sender whose
 * message the kernel refused after placing part of it) is dropped first, or no gate could land there.
 */
void receive_window_open(unsigned pair);

/*
 * Checks what an ATTACH left in pair: the region's region_size bytes all mapped readable and writable, and a gate
 * with RIGHT_WRITE; unmaps whatever else lies in the region's slot. NULL, or why not.
 */
const char *receive_window_check(unsigned pair, uint64_t region_size);

/* Unmaps everything in pair's memory slot and drops its gate: after a refusal, and when its port is freed. */
void receive_window_clear(unsigned pair);

#endif
