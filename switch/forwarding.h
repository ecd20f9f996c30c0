/*
 * The virtual switch's forwarding decision, pure and host-tested: ports
 * belong to tenant networks; the switch learns which port each source MAC
 * address is behind, per network, and sends a frame to the port that has its
 * destination, or floods it (broadcast, multicast, unknown destination) to
 * every other port of the source's network. A frame never leaves its network,
 * whatever its addresses say: isolation is by the port's network, not by
 * anything in the frame.
 */
#ifndef SWITCH_FORWARDING_H
#define SWITCH_FORWARDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWITCH_MAX_PORTS 16
#define SWITCH_MAC_ENTRIES 256 /* learned addresses; when full, the oldest learned is replaced */
#define ETHERNET_HEADER_SIZE 14

struct switch_port_config {
    bool in_use;
    uint32_t network; /* the tenant network the port belongs to */
};

struct mac_entry {
    uint8_t mac[6];
    uint32_t network;
    uint8_t port;
    bool valid;
};

struct forwarding {
    struct switch_port_config ports[SWITCH_MAX_PORTS];
    struct mac_entry entries[SWITCH_MAC_ENTRIES];
    unsigned next_victim; /* replacement cursor: learned entries are overwritten in order */
};

void forwarding_init(struct forwarding *forwarding);

/* Puts port (below SWITCH_MAX_PORTS) on network: false if the port number is out of range or already in use. */
bool forwarding_add_port(struct forwarding *forwarding, unsigned port, uint32_t network);

/*
 * The ports (bit n: port n) a frame of length bytes arriving on source_port goes to, after learning its source
 * address there. 0 for a frame shorter than an Ethernet header, from a port not in use, or with a multicast
 * source address (never learned: no host sends from one).
 */
uint32_t forwarding_decide(struct forwarding *forwarding, unsigned source_port, const uint8_t *frame, size_t length);

#endif
