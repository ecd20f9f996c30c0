/*
 * The switch's ports: the links its arguments name (static ports, for the life of the switch) and the links its
 * control app attaches while it runs (runtime ports, kapsel/switch_control.h), each on tenant networks as forwarding.h
 * decides. Each round gives every port its turn (port_round.h): a port that floods fills its own ring and loses its
 * own frames, while the others keep their share.
 *
 * An uplink (the NIC driver's port) is a port that does not keep the switch running: once nothing else does, the
 * switch closes its side of each uplink and ends when they have closed theirs. A runtime uplink (a driver that a
 * supervisor restarts) keeps it running as every runtime port does, until its control app detaches it.
 */
#ifndef SWITCH_PORTS_H
#define SWITCH_PORTS_H

#include "forwarding.h"

#include <kapsel/error.h>
#include <stdbool.h>
#include <stdint.h>

/* A port's counts and state, as QUERY reports them. */
struct port_info {
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t dropped_destination_full; /* this port's frames that a full destination ring refused */
    uint64_t flags;                    /* SWITCH_PORT_FLAG_* */
    unsigned network_count;
    uint32_t networks[SWITCH_PORT_MAX_NETWORKS];
};

void ports_init(void);

/* A static port from "<shared region>:<network>:<peer app>"; false (with a message) if malformed or unusable. */
bool ports_add_static(char *text, bool uplink);

/* How many ports the arguments named. */
unsigned ports_static_count(void);

/* The lowest free port number, or SWITCH_MAX_PORTS if every one is in use. */
unsigned ports_free_number(void);

/*
 * Makes free port number a runtime port on network, named name: its link's end 0 in the region of size bytes and
 * its owner's gate, both in the port's receive window pair (receive_window.h). An uplink (a restarted NIC driver's
 * port) is then put on the networks of the last uplink policy, if one was set, as the static uplinks were. NULL, or
 * why the region is unusable.
 */
const char *ports_attach(unsigned number, uint32_t network, const char *name, uint64_t size, bool uplink);

/* Whether number is a runtime port. */
bool ports_is_runtime(unsigned number);

/* Prints the runtime port's counts, unmaps its region, drops its gate and frees it. */
void ports_detach(unsigned number);

/* Port number's counts; false if it is not in use. */
bool ports_info(unsigned number, struct port_info *info);

/* Puts every uplink on exactly these networks; how many uplinks there are. */
unsigned ports_set_uplink_networks(const uint32_t *networks, unsigned count);

/*
 * One round: frees runtime ports whose region was revoked (the app that supplied it ended), takes frames from every
 * port and forwards them, wakes the ports that got some. True if any frame moved.
 */
bool ports_serve_round(void);

/* Whether a port keeps the switch running: a static port that is not an uplink and has not closed, or a runtime port.
 */
bool ports_keep_running(void);

/* Closes the switch's side of each uplink (once nothing else keeps the switch running). */
void ports_close_uplinks(void);

/* Whether every port has closed (the switch may end). */
bool ports_all_closed(void);

/* Prints each static port's counts (at the end). */
void ports_print_counts(void);

#endif
