/* ARP between the two interfaces of a net_pair (pair_arp.h). */
#include "pair_arp.h"

#include "lwip/etharp.h"

struct arp_query {
    struct net_interface *from;
    const ip4_addr_t *address;
    struct eth_addr *mac;
};

bool net_pair_arp_known(struct net_interface *from, const ip4_addr_t *address, struct eth_addr *mac)
{
    struct eth_addr *entry_mac;
    const ip4_addr_t *entry_address;
    if (etharp_find_addr(&from->netif, address, &entry_mac, &entry_address) < 0) {
        return false;
    }
    if (mac != NULL) {
        *mac = *entry_mac;
    }
    return true;
}

static bool answered(void *context)
{
    struct arp_query *query = context;
    return net_pair_arp_known(query->from, query->address, query->mac);
}

bool net_pair_arp(struct net_pair *pair, struct net_interface *from, const ip4_addr_t *address, struct eth_addr *mac,
                  uint32_t timeout_ms)
{
    if (etharp_request(&from->netif, address) != ERR_OK) {
        return false;
    }
    struct arp_query query = {.from = from, .address = address, .mac = mac};
    return net_pair_run_until(pair, answered, &query, timeout_ms);
}
