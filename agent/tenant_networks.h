/*
 * Tenant networks as the switch sees them. A tenant names its networks 1..4095 in a namespace of its own
 * (VmSpec.network_id); the agent gives each (tenant, network) pair in use a switch network of its own, so that
 * acme's network 1 and globex's network 1 never meet. A pair holds its switch network while a port of one of its
 * VMs is attached; the switch networks the host keeps for itself (the management network, those that share the
 * uplink) are never handed out. Pure C, host-tested.
 */
#ifndef AGENT_TENANT_NETWORKS_H
#define AGENT_TENANT_NETWORKS_H

#include "vm_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TENANT_NETWORKS_MAX VM_REGISTRY_MAX_VMS /* pairs in use at once: each holds at least one VM's port */
#define TENANT_NETWORKS_RESERVED_MAX 17         /* the management network and up to 16 uplink networks */
#define TENANT_NETWORKS_SWITCH_MAX                                                                                     \
    4095u /* switch networks are 1..4095 (SWITCH_NETWORK_MAX, kapsel/switch_control.h)                                 \
           */

struct tenant_network {
    char tenant[VM_TENANT_MAX_LENGTH + 1];
    uint32_t network_id;     /* the tenant's name for it */
    uint32_t switch_network; /* 0: a free entry */
    unsigned ports;          /* VMs' ports attached to it */
};

struct tenant_networks {
    struct tenant_network networks[TENANT_NETWORKS_MAX];
    uint32_t reserved[TENANT_NETWORKS_RESERVED_MAX];
    size_t reserved_count;
};

/* No pair in use; reserved (up to TENANT_NETWORKS_RESERVED_MAX, 0s ignored) are never handed out. */
void tenant_networks_init(struct tenant_networks *networks, const uint32_t *reserved, size_t reserved_count);

/*
 * The switch network of tenant's network_id for one more port: the pair's own if it is in use, else the lowest free
 * one. false when no switch network or entry is free.
 */
bool tenant_networks_acquire(struct tenant_networks *networks, const char *tenant, uint32_t network_id,
                             uint32_t *switch_network);

/* One port fewer on switch_network; the pair lets it go with its last port. Unknown networks are ignored. */
void tenant_networks_release(struct tenant_networks *networks, uint32_t switch_network);

#endif
