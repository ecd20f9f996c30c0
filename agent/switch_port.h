/*
 * The agent's side of the switch's control protocol (kapsel/switch_control.h), over its "peer:switch" gate: a port
 * for each VM it starts on a tenant network, taken away when the VM has ended, the ports' counts, and which networks
 * share the uplink. Plain calls: each returns the switch's answer (ERROR_NONE, or the refusal with the switch's
 * reason copied into reason, reason_size bytes, NUL-terminated, when reason is not NULL), a kernel error of the call
 * itself (ERROR_PEER_GONE: no switch; ERROR_TIMEOUT: no answer within SWITCH_PORT_TIMEOUT_MS, so whether the
 * request took effect is unknown), or a refusal of the request before it is sent (ERROR_INVALID_ARGUMENT, with a
 * reason).
 */
#ifndef AGENT_SWITCH_PORT_H
#define AGENT_SWITCH_PORT_H

#include <kapsel/error.h>
#include <kapsel/switch_control.h>
#include <stddef.h>
#include <stdint.h>

#define SWITCH_PORT_TIMEOUT_MS 5000 /* the switch answers within a round; this bounds a hung one */

/* A port's counts and state, as the switch reports them. */
struct switch_port_counts {
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t dropped_destination_full; /* the port's frames that a full destination ring refused */
    uint64_t flags;                    /* SWITCH_PORT_FLAG_* */
    unsigned network_count;
    uint32_t networks[SWITCH_UPLINK_MAX_NETWORKS];
};

/*
 * Attaches a port on tenant network network_id (SWITCH_NETWORK_MIN..SWITCH_NETWORK_MAX) whose link is the region of
 * size bytes at region: the agent's memory, zeroed, size a power of two in SWITCH_PORT_REGION_MIN_SIZE..
 * SWITCH_PORT_REGION_MAX_SIZE, region aligned to size (e.g. memalign(size, size) and memset), the same pages it
 * maps read-write into the VM's uvmm at its shared slot (which uses end 1: --net-link <region>:1). Every page is
 * touched first, so that none is a hole the kernel would skip. wake_gate_slot holds a gate that wakes the port's
 * owner (the uvmm's control gate: the switch gets a copy with RIGHT_WRITE); name (1..31 printable characters, no
 * blanks) names the port in the switch's counts. *port: the number for switch_port_detach.
 */
enum error switch_port_attach(uint64_t switch_gate, void *region, size_t size, uint32_t network_id,
                              uint64_t wake_gate_slot, const char *name, uint32_t *port, char *reason,
                              size_t reason_size);

/*
 * The same for the switch's uplink (a NIC driver's port, which its supervisor attaches again for each restarted
 * driver): SWITCH_ATTACH_FLAG_UPLINK, so the port is on the uplink policy's networks like a manifest's --uplink.
 */
enum error switch_port_attach_uplink(uint64_t switch_gate, void *region, size_t size, uint32_t network_id,
                                     uint64_t wake_gate_slot, const char *name, uint32_t *port, char *reason,
                                     size_t reason_size);

/*
 * Takes the port away (its VM has ended): the switch prints its counts, unmaps the region and drops its gate copy;
 * then the agent may free or reuse the region (zeroed again). *counts (when not NULL): the port's last counts.
 */
enum error switch_port_detach(uint64_t switch_gate, uint32_t port, struct switch_port_counts *counts, char *reason,
                              size_t reason_size);

/* Any port's counts (the manifest's ones too). */
enum error switch_port_query(uint64_t switch_gate, uint32_t port, struct switch_port_counts *counts, char *reason,
                             size_t reason_size);

/*
 * Lets exactly the count (0..SWITCH_UPLINK_MAX_NETWORKS) tenant networks listed use the switch's uplink: frames of
 * other networks never reach it, its frames reach only these. *uplinks (when not NULL): how many uplink ports the
 * policy applies to.
 */
enum error switch_uplink_policy(uint64_t switch_gate, const uint32_t *networks, size_t count, unsigned *uplinks,
                                char *reason, size_t reason_size);

#endif
