#include "forwarding.h"

#include <string.h>

#define MAC_SIZE 6
#define DESTINATION_OFFSET 0
#define SOURCE_OFFSET 6

static bool is_multicast(const uint8_t *mac)
{
    return mac[0] & 1u; /* the group bit; broadcast is a multicast address too */
}

void forwarding_init(struct forwarding *forwarding)
{
    memset(forwarding, 0, sizeof(*forwarding));
}

bool forwarding_add_port(struct forwarding *forwarding, unsigned port, uint32_t network)
{
    if (port >= SWITCH_MAX_PORTS || forwarding->ports[port].in_use) {
        return false;
    }
    forwarding->ports[port] = (struct switch_port_config){.in_use = true, .network = network};
    return true;
}

static struct mac_entry *find(struct forwarding *forwarding, const uint8_t *mac, uint32_t network)
{
    for (unsigned i = 0; i < SWITCH_MAC_ENTRIES; i++) {
        struct mac_entry *entry = &forwarding->entries[i];
        if (entry->valid && entry->network == network && memcmp(entry->mac, mac, MAC_SIZE) == 0) {
            return entry;
        }
    }
    return NULL;
}

static void learn(struct forwarding *forwarding, const uint8_t *mac, uint32_t network, unsigned port)
{
    struct mac_entry *entry = find(forwarding, mac, network);
    if (!entry) {
        entry = &forwarding->entries[forwarding->next_victim];
        forwarding->next_victim = (forwarding->next_victim + 1) % SWITCH_MAC_ENTRIES;
        memcpy(entry->mac, mac, MAC_SIZE);
        entry->network = network;
        entry->valid = true;
    }
    entry->port = (uint8_t)port; /* a host that moved to another port is found there from now on */
}

/* Every port of network except source. */
static uint32_t flood(const struct forwarding *forwarding, unsigned source, uint32_t network)
{
    uint32_t ports = 0;
    for (unsigned port = 0; port < SWITCH_MAX_PORTS; port++) {
        if (port != source && forwarding->ports[port].in_use && forwarding->ports[port].network == network) {
            ports |= 1u << port;
        }
    }
    return ports;
}

uint32_t forwarding_decide(struct forwarding *forwarding, unsigned source_port, const uint8_t *frame, size_t length)
{
    if (source_port >= SWITCH_MAX_PORTS || !forwarding->ports[source_port].in_use || length < ETHERNET_HEADER_SIZE ||
        is_multicast(frame + SOURCE_OFFSET)) {
        return 0;
    }
    uint32_t network = forwarding->ports[source_port].network;
    learn(forwarding, frame + SOURCE_OFFSET, network, source_port);
    const uint8_t *destination = frame + DESTINATION_OFFSET;
    if (is_multicast(destination)) {
        return flood(forwarding, source_port, network);
    }
    const struct mac_entry *entry = find(forwarding, destination, network);
    if (!entry) {
        return flood(forwarding, source_port, network);
    }
    /* The learned port is in the same network by construction; a frame back to its own port goes nowhere. */
    return entry->port == source_port ? 0 : 1u << entry->port;
}
