/*
 * A network interface for lwIP (//build/bazel/lwip) whose link layer is a pair of callbacks, so that it does not
 * depend on how Ethernet frames move: the interface hands each frame to send to its transmit callback, and the
 * program hands each frame received to net_interface_input(). The interface's IPv4 address is static or comes
 * from DHCP. Everything runs on the caller's thread (lwIP's NO_SYS raw API): net_interface_poll() runs lwIP's
 * timers, and the program then uses lwIP's raw API (tcp_new, udp_new, raw_new...) for connections.
 *
 * lwIP's raw API is not reentrant: one thread calls into it, and not from inside it. The transmit callback runs
 * inside lwIP, so it queues or sends its frame and returns; it must not call net_interface_input() (a test that
 * loops frames back queues them and hands them in afterwards, as lib/net/testing/cable.h does).
 *
 * Micro-Apps: microapp(..., libs = ["//build/bazel/lwip:lwip", "//lib/net:net"]).
 * Host tests: host_unit_test(..., deps = ["//lib/net:net_host"]).
 */
#ifndef KAPSEL_NET_INTERFACE_H
#define KAPSEL_NET_INTERFACE_H

#include "lwip/dhcp.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/prot/ethernet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest frame either way: an Ethernet header and an IP MTU of 1500 bytes (no frame check sequence). */
#define NET_FRAME_MAX (SIZEOF_ETH_HDR + 1500)

/* Sends one Ethernet frame (destination MAC first, no check sequence); false if it could not go (dropped). */
typedef bool (*net_transmit_function)(void *context, const uint8_t *frame, size_t length);

struct net_interface_config {
    uint8_t mac[ETH_HWADDR_LEN];
    bool dhcp; /* true: the address comes from DHCP, and the three below are ignored */
    ip4_addr_t address;
    ip4_addr_t netmask;
    ip4_addr_t gateway; /* IP4_ADDR_ANY4's value for none */
    net_transmit_function transmit;
    void *context; /* passed to transmit */
};

/* Frames counted by the interface. */
struct net_interface_counters {
    uint64_t frames_sent;
    uint64_t frames_received;   /* handed to lwIP */
    uint64_t transmit_failures; /* the transmit callback returned false */
    uint64_t input_drops;       /* frames net_interface_input refused: size, no buffer, or lwIP's input failed */
};

/* One interface; the caller provides the memory (static or in a longer-lived struct) and does not move it. */
struct net_interface {
    struct netif netif; /* lwIP's interface: for lwIP's API (e.g. tcp_bind_netif) */
    struct dhcp dhcp;   /* DHCP client state, so that DHCP takes nothing from lwIP's heap */
    net_transmit_function transmit;
    void *context;
    struct net_interface_counters counters;
    uint8_t frame[NET_FRAME_MAX]; /* a frame lwIP gives in pieces, joined for transmit */
};

/*
 * Adds the interface to lwIP (initialising lwIP on the first call), up and with its link up, with the static
 * address or DHCP started. The first interface added becomes lwIP's default route. False if lwIP refused it.
 */
bool net_interface_add(struct net_interface *iface, const struct net_interface_config *config);

/* Removes the interface from lwIP: DHCP releases its lease (if any) and stops; connections over it are ended. If it
 * was the default route, another interface (if any) becomes it. */
void net_interface_remove(struct net_interface *iface);

/*
 * Hands lwIP one received Ethernet frame (copied; the buffer is free again on return). False if it was dropped:
 * shorter than an Ethernet header, longer than NET_FRAME_MAX, lwIP out of receive buffers, or refused by lwIP.
 */
bool net_interface_input(struct net_interface *iface, const uint8_t *frame, size_t length);

/*
 * Runs lwIP's timers that are due (TCP retransmissions and delayed acknowledgements, ARP, DHCP...), for every
 * interface: lwIP's timers are process-wide. Returns the milliseconds until the next one is due, the longest a
 * program may wait for frames before it polls again (SYS_TIMEOUTS_SLEEPTIME_INFINITE: no timer pending).
 */
uint32_t net_interface_poll(struct net_interface *iface);

/* True with *address = the interface's IPv4 address once it has one (static, or bound by DHCP). */
bool net_interface_address(const struct net_interface *iface, ip4_addr_t *address);

#endif
