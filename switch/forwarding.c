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
    forwarding->ports[port] = (struct switch_port_config){.in_use = true, .network_count = 1, .networks = {network}};
    return true;
}

static bool is_member(const struct switch_port_config *port, uint32_t network)
{
    for (unsigned i = 0; i < port->network_count; i++) {
        if (port->networks[i] == network) {
            return true;
        }
    }
    return false;
}

/* Forgets what port learned, in every network it no longer belongs to (in all of them once it is not in use). */
static void forget_outside_its_networks(struct forwarding *forwarding, unsigned port)
{
    const struct switch_port_config *config = &forwarding->ports[port];
    for (unsigned i = 0; i < SWITCH_MAC_ENTRIES; i++) {
        struct mac_entry *entry = &forwarding->entries[i];
        if (entry->valid && entry->port == port && (!config->in_use || !is_member(config, entry->network))) {
            entry->valid = false;
        }
    }
}

bool forwarding_set_networks(struct forwarding *forwarding, unsigned port, const uint32_t *networks, unsigned count)
{
    if (port >= SWITCH_MAX_PORTS || !forwarding->ports[port].in_use || count > SWITCH_PORT_MAX_NETWORKS) {
        return false;
    }
    struct switch_port_config *config = &forwarding->ports[port];
    config->network_count = count;
    for (unsigned i = 0; i < count; i++) { /* networks may be NULL when count is 0 */
        config->networks[i] = networks[i];
    }
    forget_outside_its_networks(forwarding, port);
    return true;
}

void forwarding_remove_port(struct forwarding *forwarding, unsigned port)
{
    if (port >= SWITCH_MAX_PORTS || !forwarding->ports[port].in_use) {
        return;
    }
    forwarding->ports[port] = (struct switch_port_config){.in_use = false};
    forget_outside_its_networks(forwarding, port);
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

/* Every port that shares a network with source, except source. */
static uint32_t flood(const struct forwarding *forwarding, unsigned source)
{
    const struct switch_port_config *from = &forwarding->ports[source];
    uint32_t ports = 0;
    for (unsigned port = 0; port < SWITCH_MAX_PORTS; port++) {
        const struct switch_port_config *to = &forwarding->ports[port];
        if (port == source || !to->in_use) {
            continue;
        }
        for (unsigned i = 0; i < from->network_count; i++) {
            if (is_member(to, from->networks[i])) {
                ports |= 1u << port;
                break;
            }
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
    const struct switch_port_config *source = &forwarding->ports[source_port];
    for (unsigned i = 0; i < source->network_count; i++) {
        learn(forwarding, frame + SOURCE_OFFSET, source->networks[i], source_port);
    }
    const uint8_t *destination = frame + DESTINATION_OFFSET;
    if (is_multicast(destination)) {
        return flood(forwarding, source_port);
    }
    for (unsigned i = 0; i < source->network_count; i++) {
        const struct mac_entry *entry = find(forwarding, destination, source->networks[i]);
        if (entry) {
            /* Learned in a network the source shares, on a port still in it; a frame back to its own port goes
             * nowhere. */
            return entry->port == source_port ? 0 : 1u << entry->port;
        }
    }
    return flood(forwarding, source_port);
}
