/* See tenant_networks.h. */
#include "tenant_networks.h"

#include <string.h>

void tenant_networks_init(struct tenant_networks *networks, const uint32_t *reserved, size_t reserved_count)
{
    memset(networks, 0, sizeof(*networks));
    for (size_t i = 0; i < reserved_count && networks->reserved_count < TENANT_NETWORKS_RESERVED_MAX; i++) {
        if (reserved[i] != 0) {
            networks->reserved[networks->reserved_count++] = reserved[i];
        }
    }
}

static struct tenant_network *find_switch_network(struct tenant_networks *networks, uint32_t switch_network)
{
    for (size_t i = 0; i < TENANT_NETWORKS_MAX; i++) {
        if (networks->networks[i].switch_network == switch_network) {
            return &networks->networks[i];
        }
    }
    return NULL;
}

static bool is_reserved(const struct tenant_networks *networks, uint32_t switch_network)
{
    for (size_t i = 0; i < networks->reserved_count; i++) {
        if (networks->reserved[i] == switch_network) {
            return true;
        }
    }
    return false;
}

bool tenant_networks_acquire(struct tenant_networks *networks, const char *tenant, uint32_t network_id,
                             uint32_t *switch_network)
{
    struct tenant_network *free_entry = NULL;
    for (size_t i = 0; i < TENANT_NETWORKS_MAX; i++) {
        struct tenant_network *entry = &networks->networks[i];
        if (entry->switch_network == 0) {
            free_entry = free_entry ? free_entry : entry;
        } else if (entry->network_id == network_id && strcmp(entry->tenant, tenant) == 0) {
            entry->ports++;
            *switch_network = entry->switch_network;
            return true;
        }
    }
    if (!free_entry || strlen(tenant) > VM_TENANT_MAX_LENGTH) {
        return false;
    }
    for (uint32_t candidate = 1; candidate <= TENANT_NETWORKS_SWITCH_MAX; candidate++) {
        if (!is_reserved(networks, candidate) && !find_switch_network(networks, candidate)) {
            memcpy(free_entry->tenant, tenant, strlen(tenant) + 1);
            free_entry->network_id = network_id;
            free_entry->switch_network = candidate;
            free_entry->ports = 1;
            *switch_network = candidate;
            return true;
        }
    }
    return false;
}

void tenant_networks_release(struct tenant_networks *networks, uint32_t switch_network)
{
    struct tenant_network *entry = switch_network ? find_switch_network(networks, switch_network) : NULL;
    if (entry && --entry->ports == 0) {
        memset(entry, 0, sizeof(*entry));
    }
}
