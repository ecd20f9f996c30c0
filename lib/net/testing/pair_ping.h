/* ICMP echo (ping) between the two interfaces of a net_pair (pair.h), through lwIP's raw API. */
#ifndef KAPSEL_NET_TESTING_PAIR_PING_H
#define KAPSEL_NET_TESTING_PAIR_PING_H

#include "pair.h"

#include <stdbool.h>
#include <stdint.h>

/* Sends one echo request with sequence number sequence over from to address (lwIP on the other interface
 * answers it); true once the matching reply came back, with its payload intact, within timeout_ms. */
bool net_pair_ping(struct net_pair *pair, struct net_interface *from, const ip4_addr_t *address, uint16_t sequence,
                   uint32_t timeout_ms);

#endif
