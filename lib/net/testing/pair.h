/*
 * Two net_interfaces in one program joined by a cable (cable.h), with static addresses on one subnet, and the
 * loop that moves their frames and runs lwIP's timers. Both interfaces share one lwIP, so whatever a test opens
 * over one of them is bound to it (tcp_bind_netif, raw_bind_netif): lwIP would otherwise route to either.
 */
#ifndef KAPSEL_NET_TESTING_PAIR_H
#define KAPSEL_NET_TESTING_PAIR_H

#include "cable.h"

#include <kapsel/net_interface.h>

#include <stdbool.h>
#include <stdint.h>

/* Waits for milliseconds of lwIP's clock to pass (a host test moves its fake clock). */
typedef void (*net_pair_wait_function)(uint32_t milliseconds);

struct net_pair {
    struct cable cable;
    struct net_interface a; /* 10.0.0.1/24, 02:00:00:00:00:01, on cable end 0 */
    struct net_interface b; /* 10.0.0.2/24, 02:00:00:00:00:02, on cable end 1 */
    ip4_addr_t address_a;
    ip4_addr_t address_b;
    net_pair_wait_function wait; /* called when nothing moves; NULL: loop at once (a real clock moves itself) */
};

/* Adds both interfaces to lwIP with their static addresses; false if lwIP refused one. */
bool net_pair_add(struct net_pair *pair, net_pair_wait_function wait);

/* Removes both interfaces from lwIP. */
void net_pair_remove(struct net_pair *pair);

/*
 * Moves frames and runs lwIP's timers until done(context) is true (checked after every step) or timeout_ms of
 * lwIP's clock have passed. When no frame moved, waits until lwIP's next timer (at most 100 ms). True if done.
 */
bool net_pair_run_until(struct net_pair *pair, bool (*done)(void *context), void *context, uint32_t timeout_ms);

#endif
