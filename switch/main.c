/*
 * switch: the virtual switch Micro-App (the role of L4Re's virtio-net switch).
 *
 *     switch --port <shared region>:<network>:<peer app> [--port ...] [--uplink <shared region>:<network>:<peer app>]
 *
 * Each port is a link to one VM's uvmm: the manifest shares <shared region> between the two apps (the switch
 * is end 0, the uvmm end 1 with --net-link <region>:1) and gives each a "peer:" gate to wake the other. A port
 * belongs to tenant network <network> (a number): frames move only between ports of the same network
 * (forwarding.h). Each round takes at most PORT_BUDGET frames from each port in turn, so a port that floods
 * fills its own ring and loses its own frames, while the others keep their share; a frame for a port whose
 * ring is full is dropped and counted against the port it came from. The switch ends, with each port's counts,
 * once every VM has closed its end.
 *
 * An uplink (the NIC driver's port, drivers/virtio_net/nic_driver.c) is a port that does not keep the switch
 * running: once every other port has closed, the switch closes its side of each uplink, and ends when they
 * have closed theirs.
 */
#include "forwarding.h"
#include "vmm/net/frame_link.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_BUDGET 32  /* frames taken from one port per round */
#define IDLE_WAIT_MS 10 /* a wakeup sent while the switch was busy is not lost for longer than this */

struct port {
    const char *region;
    const char *peer;
    struct frame_link link; /* end 0; the VM's uvmm (or the agent) holds end 1 */
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t dropped_destination_full; /* this port's frames that a full destination ring refused */
    bool closed;
    bool uplink;      /* closed by the switch once every other port has closed */
    bool closed_here; /* the switch closed its side */
    bool needs_wake;
    bool broken; /* the VM's side corrupted the ring: the port is ignored */
};

static struct port ports[SWITCH_MAX_PORTS];
static unsigned port_count;
static struct forwarding forwarding;
static uint8_t frame[FRAME_RING_MAX_FRAME];

/* "<region>:<network>:<peer app>" into port number port_count; false (with a message) if malformed or unusable. */
static bool add_port(char *text, bool uplink)
{
    char *first = strchr(text, ':');
    char *second = first ? strchr(first + 1, ':') : NULL;
    if (!first || !second || first == text || second[1] == '\0' || port_count == SWITCH_MAX_PORTS) {
        fprintf(stderr, "switch: --port %s: not <shared region>:<network>:<peer app> (at most %d ports)\n", text,
                SWITCH_MAX_PORTS);
        return false;
    }
    *first = *second = '\0';
    char *end;
    unsigned long network = strtoul(first + 1, &end, 10);
    if (end == first + 1 || *end != '\0' || network > UINT32_MAX) {
        fprintf(stderr, "switch: port %s: network %s is not a number\n", text, first + 1);
        return false;
    }
    struct port *port = &ports[port_count];
    port->region = text;
    port->peer = second + 1;
    port->uplink = uplink;
    const char *problem = frame_link_open(&port->link, port->region, 0, port->peer);
    if (problem || !forwarding_add_port(&forwarding, port_count, (uint32_t)network)) {
        fprintf(stderr, "switch: port %s: %s\n", port->region, problem ? problem : "cannot add it");
        return false;
    }
    port_count++;
    return true;
}

/* Hands a frame from port source to the ports forwarding decides on. */
static void forward(unsigned source, size_t length)
{
    uint32_t destinations = forwarding_decide(&forwarding, source, frame, length);
    for (unsigned target = 0; target < port_count; target++) {
        if (!(destinations & (1u << target)) || ports[target].closed || ports[target].closed_here) {
            continue;
        }
        if (frame_ring_push(&ports[target].link.out, frame, length) == FRAME_RING_OK) {
            ports[target].frames_out++;
            ports[target].needs_wake = true;
        } else {
            ports[source].dropped_destination_full++;
        }
    }
}

/* Takes up to PORT_BUDGET frames from port; true if it took any. */
static bool serve_port(unsigned index)
{
    struct port *port = &ports[index];
    unsigned taken = 0;
    while (!port->broken && taken < PORT_BUDGET) {
        size_t length = 0;
        enum frame_ring_result result = frame_ring_peek(&port->link.in, frame, sizeof(frame), &length);
        if (result == FRAME_RING_CORRUPT) {
            port->broken = true;
            printf("port %s: stopped: its VM's side corrupted the ring\n", port->region);
        }
        if (result != FRAME_RING_OK) {
            break;
        }
        frame_ring_consume(&port->link.in);
        port->frames_in++;
        taken++;
        forward(index, length);
    }
    if (!port->closed && frame_ring_closed(&port->link.in) && taken < PORT_BUDGET) {
        port->closed = true; /* everything it pushed before closing has been taken */
    }
    return taken > 0;
}

/* Once every port but the uplinks has closed, closes the switch's side of the uplinks. */
static void close_uplinks(void)
{
    for (unsigned i = 0; i < port_count; i++) {
        if (!ports[i].uplink && !ports[i].closed) {
            return;
        }
    }
    for (unsigned i = 0; i < port_count; i++) {
        if (ports[i].uplink && !ports[i].closed_here) {
            ports[i].closed_here = true;
            frame_link_close(&ports[i].link);
        }
    }
}

static bool all_closed(void)
{
    for (unsigned i = 0; i < port_count; i++) {
        if (!ports[i].closed) {
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    forwarding_init(&forwarding);
    for (int i = 1; i < argc; i++) {
        bool uplink = strcmp(argv[i], "--uplink") == 0;
        if ((!uplink && strcmp(argv[i], "--port") != 0) || i + 1 == argc || !add_port(argv[++i], uplink)) {
            fprintf(stderr, "switch: usage: switch --port <shared region>:<network>:<peer app> [--port ...] "
                            "[--uplink <shared region>:<network>:<peer app>]\n");
            return 1;
        }
    }
    if (port_count == 0) {
        fprintf(stderr, "switch: no ports\n");
        return 1;
    }
    printf("switching %u ports\n", port_count);
    while (!all_closed()) {
        bool moved = false;
        for (unsigned i = 0; i < port_count; i++) {
            moved |= serve_port(i);
        }
        for (unsigned i = 0; i < port_count; i++) {
            if (ports[i].needs_wake) {
                ports[i].needs_wake = false;
                frame_link_wake(&ports[i].link);
            }
        }
        close_uplinks();
        if (!moved) {
            ipc_wait(TIMEOUTS(0, IDLE_WAIT_MS));
        }
    }
    for (unsigned i = 0; i < port_count; i++) {
        const struct port *port = &ports[i];
        printf("port %s (network %u, %s): %llu frames in, %llu out, %llu dropped at full destinations\n", port->region,
               (unsigned)forwarding.ports[i].network, port->peer, (unsigned long long)port->frames_in,
               (unsigned long long)port->frames_out, (unsigned long long)port->dropped_destination_full);
    }
    return 0;
}
