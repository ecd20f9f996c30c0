#include "ports.h"

#include "port_round.h"
#include "receive_window.h"
#include "vmm/net/frame_link.h"

#include <kapsel/runtime.h>
#include <kapsel/switch_control.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(PORT_NAME_SIZE == SWITCH_PORT_NAME_SIZE, "a port's name is the switch protocol's");

static struct port ports[SWITCH_MAX_PORTS];
static unsigned static_count;
static struct forwarding forwarding;
static uint8_t frame[FRAME_RING_MAX_FRAME];
/* The last uplink policy, for uplinks attached after it. */
static bool uplink_policy_set;
static unsigned uplink_policy_count;
static uint32_t uplink_policy_networks[SWITCH_PORT_MAX_NETWORKS];

void ports_init(void)
{
    forwarding_init(&forwarding);
}

bool ports_add_static(char *text, bool uplink)
{
    char *first = strchr(text, ':');
    char *second = first ? strchr(first + 1, ':') : NULL;
    if (!first || !second || first == text || second[1] == '\0' || (size_t)(first - text) >= SWITCH_PORT_NAME_SIZE ||
        static_count == SWITCH_MAX_PORTS) {
        fprintf(stderr,
                "switch: --port %s: not <shared region>:<network>:<peer app> (at most %d ports, names of at most %u "
                "bytes)\n",
                text, SWITCH_MAX_PORTS, SWITCH_PORT_NAME_SIZE - 1);
        return false;
    }
    *first = *second = '\0';
    char *end;
    unsigned long network = strtoul(first + 1, &end, 10);
    if (end == first + 1 || *end != '\0' || network < SWITCH_NETWORK_MIN || network > SWITCH_NETWORK_MAX) {
        fprintf(stderr, "switch: port %s: network %s is not a number in %u..%u\n", text, first + 1, SWITCH_NETWORK_MIN,
                SWITCH_NETWORK_MAX);
        return false;
    }
    struct port *port = &ports[static_count];
    strcpy(port->name, text);
    port->peer = second + 1;
    port->uplink = uplink;
    const char *problem = frame_link_open(&port->link, port->name, 0, port->peer);
    if (problem || !forwarding_add_port(&forwarding, static_count, (uint32_t)network)) {
        fprintf(stderr, "switch: port %s: %s\n", port->name, problem ? problem : "cannot add it");
        return false;
    }
    port->in_use = true;
    static_count++;
    return true;
}

unsigned ports_static_count(void)
{
    return static_count;
}

unsigned ports_free_number(void)
{
    unsigned number = 0;
    while (number < SWITCH_MAX_PORTS && ports[number].in_use) {
        number++;
    }
    return number;
}

const char *ports_attach(unsigned number, uint32_t network, const char *name, uint64_t size, bool uplink)
{
    struct port *port = &ports[number];
    *port = (struct port){.in_use = true, .uplink = uplink};
    strcpy(port->name, name);
    port->link.peer_gate = receive_window_gate(number);
    const char *problem = frame_ring_attach_link(&port->link.out, &port->link.in,
                                                 (void *)(uintptr_t)receive_window_region(number), size, 0);
    if (problem || !forwarding_add_port(&forwarding, number, network)) {
        port->in_use = false;
        return problem ? problem : "the port is in use";
    }
    if (uplink && uplink_policy_set &&
        !forwarding_set_networks(&forwarding, number, uplink_policy_networks, uplink_policy_count)) {
        forwarding_remove_port(&forwarding, number);
        port->in_use = false;
        return "the uplink policy's networks cannot be set on it";
    }
    return NULL;
}

bool ports_is_runtime(unsigned number)
{
    return number < SWITCH_MAX_PORTS && ports[number].in_use && !ports[number].peer;
}

bool ports_info(unsigned number, struct port_info *info)
{
    if (number >= SWITCH_MAX_PORTS || !ports[number].in_use) {
        return false;
    }
    const struct port *port = &ports[number];
    const struct switch_port_config *config = &forwarding.ports[number];
    *info = (struct port_info){
        .frames_in = port->frames_in,
        .frames_out = port->frames_out,
        .dropped_destination_full = port->dropped_destination_full,
        .flags = (port->peer ? 0 : SWITCH_PORT_FLAG_RUNTIME) | (port->uplink ? SWITCH_PORT_FLAG_UPLINK : 0) |
                 (port->closed ? SWITCH_PORT_FLAG_CLOSED : 0) | (port->broken ? SWITCH_PORT_FLAG_BROKEN : 0),
        .network_count = config->network_count,
    };
    memcpy(info->networks, config->networks, sizeof(info->networks));
    return true;
}

/* "port <name> (network 1, <peer app>): ..." with every network of the port ("networks 1,2"; "no network"). */
static void print_counts(unsigned number)
{
    const struct port *port = &ports[number];
    const struct switch_port_config *config = &forwarding.ports[number];
    char networks[16 * SWITCH_PORT_MAX_NETWORKS];
    size_t used = (size_t)snprintf(networks, sizeof(networks), "%s",
                                   config->network_count == 0   ? "no network"
                                   : config->network_count == 1 ? "network "
                                                                : "networks ");
    for (unsigned i = 0; i < config->network_count && used < sizeof(networks); i++) {
        used += (size_t)snprintf(networks + used, sizeof(networks) - used, "%s%u", i == 0 ? "" : ",",
                                 (unsigned)config->networks[i]);
    }
    printf("port %s (%s, %s): %llu frames in, %llu out, %llu dropped at full destinations\n", port->name, networks,
           port->peer ? port->peer : "runtime", (unsigned long long)port->frames_in,
           (unsigned long long)port->frames_out, (unsigned long long)port->dropped_destination_full);
}

void ports_detach(unsigned number)
{
    print_counts(number);
    forwarding_remove_port(&forwarding, number);
    receive_window_clear(number);
    ports[number] = (struct port){.in_use = false};
}

unsigned ports_set_uplink_networks(const uint32_t *networks, unsigned count)
{
    unsigned uplinks = 0;
    uplink_policy_set = true;
    uplink_policy_count = count;
    memcpy(uplink_policy_networks, networks, count * sizeof(networks[0]));
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
        if (ports[i].in_use && ports[i].uplink && forwarding_set_networks(&forwarding, i, networks, count)) {
            uplinks++;
        }
    }
    return uplinks;
}

/*
 * Whether a runtime port's region is still mapped: the control app supplied it, and when that app ends the kernel
 * revokes it (all pages at once), so a look at the first page before each round keeps the switch from touching it.
 */
static bool region_present(unsigned number)
{
    bool mapped = false;
    unsigned rights = 0;
    return task_memory_info(APP_TASK, receive_window_region(number), &mapped, &rights) == ERROR_NONE && mapped;
}

bool ports_serve_round(void)
{
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
        if (ports_is_runtime(i) && !region_present(i)) {
            printf("port %s: its region was revoked (the app that supplied it ended): detaching it\n", ports[i].name);
            ports_detach(i);
        }
    }
    bool moved = port_round_serve(ports, &forwarding, frame);
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
        if (ports[i].needs_wake) {
            ports[i].needs_wake = false;
            frame_link_wake(&ports[i].link);
        }
    }
    return moved;
}

bool ports_keep_running(void)
{
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
        if (ports_is_runtime(i) || (ports[i].in_use && !ports[i].uplink && !ports[i].closed)) {
            return true;
        }
    }
    return false;
}

void ports_close_uplinks(void)
{
    for (unsigned i = 0; i < static_count; i++) {
        if (ports[i].uplink && !ports[i].closed_here) {
            ports[i].closed_here = true;
            frame_link_close(&ports[i].link);
        }
    }
}

bool ports_all_closed(void)
{
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
        if (ports[i].in_use && !ports[i].closed) {
            return false;
        }
    }
    return true;
}

void ports_print_counts(void)
{
    for (unsigned i = 0; i < static_count; i++) {
        print_counts(i);
    }
}
