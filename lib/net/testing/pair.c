/* Two net_interfaces joined by a cable, and the loop that runs them (pair.h). */
#include "pair.h"

#include "lwip/sys.h"

#include <string.h>

#define LONGEST_WAIT_MS 100

bool net_pair_add(struct net_pair *pair, net_pair_wait_function wait)
{
    memset(pair, 0, sizeof(*pair));
    cable_init(&pair->cable);
    pair->wait = wait;
    IP4_ADDR(&pair->address_a, 10, 0, 0, 1);
    IP4_ADDR(&pair->address_b, 10, 0, 0, 2);
    struct net_interface_config config = {
        .mac = {0x02, 0, 0, 0, 0, 0x01}, /* locally administered */
        .address = pair->address_a,
        .transmit = cable_transmit,
        .context = &pair->cable.ends[0],
    };
    IP4_ADDR(&config.netmask, 255, 255, 255, 0);
    ip4_addr_set_any(&config.gateway);
    if (!net_interface_add(&pair->a, &config)) {
        return false;
    }
    pair->cable.ends[0].iface = &pair->a;
    config.mac[5] = 0x02;
    config.address = pair->address_b;
    config.context = &pair->cable.ends[1];
    if (!net_interface_add(&pair->b, &config)) {
        net_interface_remove(&pair->a);
        return false;
    }
    pair->cable.ends[1].iface = &pair->b;
    return true;
}

void net_pair_remove(struct net_pair *pair)
{
    net_interface_remove(&pair->b);
    net_interface_remove(&pair->a);
}

bool net_pair_run_until(struct net_pair *pair, bool (*done)(void *context), void *context, uint32_t timeout_ms)
{
    uint32_t start = sys_now();
    while (!done(context)) {
        if (sys_now() - start >= timeout_ms) {
            return false;
        }
        size_t moved = cable_deliver(&pair->cable);
        uint32_t next_timer = net_interface_poll(&pair->a);
        if (moved == 0 && cable_queued(&pair->cable) == 0 && pair->wait != NULL) {
            pair->wait(next_timer < LONGEST_WAIT_MS ? (next_timer > 0 ? next_timer : 1) : LONGEST_WAIT_MS);
        }
    }
    return true;
}
