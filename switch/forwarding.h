/*
 * The virtual switch's forwarding decision, pure and host-tested: ports
 * belong to tenant networks; the switch learns which port each source MAC
 * address is behind, per network, and sends a frame to the port that has its
 * destination, or floods it (broadcast, multicast, unknown destination) to
 * every other port of the source's network. A frame never leaves its network,
 * whatever its addresses say: isolation is by the port's network, not by
 * anything in the frame.
 *
 * A port normally belongs to one network. An uplink may be shared by several
 * (forwarding_set_networks, the agent's uplink policy): it is then a member of
 * each, so frames of those networks reach it and its frames reach those
 * networks only. Its frames are learned in every one of its networks; a
 * unicast goes to the port that has the destination in the first of them that
 * knows it, and is flooded to all of them otherwise. Ports come and go while
 * the switch runs (forwarding_remove_port): what was learned on a port that
 * leaves a network is forgotten there, so a reused port number never receives
 * frames meant for its predecessor.
 */
#ifndef SWITCH_FORWARDING_H
#define SWITCH_FORWARDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWITCH_MAX_PORTS 16
#define SWITCH_MAC_ENTRIES 256      /* learned addresses; when full, the oldest learned is replaced */
#define SWITCH_PORT_MAX_NETWORKS 16 /* networks one (uplink) port can be shared by */
#define ETHERNET_HEADER_SIZE 14

struct switch_port_config {
    bool in_use;
    unsigned network_count;                      /* 1 for a normal port; 0..max for an uplink */
    uint32_t networks[SWITCH_PORT_MAX_NETWORKS]; /* the tenant networks the port belongs to */
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
 * Makes port (in use) a member of exactly the count networks listed (count <= SWITCH_PORT_MAX_NETWORKS; 0: of
 * none, so that it sends and receives nothing), forgetting what it learned in the networks it leaves. False if the
 * port is not in use or count is too large.
 */
bool forwarding_set_networks(struct forwarding *forwarding, unsigned port, const uint32_t *networks, unsigned count);

/* Frees port and forgets every address learned on it (a no-op for a port not in use). */
void forwarding_remove_port(struct forwarding *forwarding, unsigned port);

/*
 * The ports (bit n: port n) a frame of length bytes arriving on source_port goes to, after learning its source
 * address there. 0 for a frame shorter than an Ethernet header, from a port not in use or in no network, or with a
 * multicast source address (never learned: no host sends from one).
 */
uint32_t forwarding_decide(struct forwarding *forwarding, unsigned source_port, const uint8_t *frame, size_t length);

#endif
