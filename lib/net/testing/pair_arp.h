/* ARP between the two interfaces of a net_pair (pair.h). */
#ifndef KAPSEL_NET_TESTING_PAIR_ARP_H
#define KAPSEL_NET_TESTING_PAIR_ARP_H

#include "pair.h"

#include "lwip/prot/ethernet.h"

#include <stdbool.h>
#include <stdint.h>

/* Sends an ARP request for address over from; true with *mac once from's ARP table has the answer, false if it
 * has none within timeout_ms of lwIP's clock. */
bool net_pair_arp(struct net_pair *pair, struct net_interface *from, const ip4_addr_t *address, struct eth_addr *mac,
                  uint32_t timeout_ms);

/* True with *mac if from's ARP table has a complete entry for address. */
bool net_pair_arp_known(struct net_interface *from, const ip4_addr_t *address, struct eth_addr *mac);

#endif
