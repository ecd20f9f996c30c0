/* A network interface for lwIP whose link layer is a transmit callback and net_interface_input()
 * (kapsel/net_interface.h). */
#include <kapsel/net_interface.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include <string.h>

/* lwIP's interface name: two letters, then lwIP's own number ("kn0", "kn1"...). */
static const char interface_name[2] = {'k', 'n'};

/* lwIP's global state (pools, timers) is set up once per program, by the first interface added. */
static void initialise_lwip_once(void)
{
    static bool initialised;
    if (!initialised) {
        lwip_init();
        initialised = true;
    }
}

/* lwIP's link output: one frame, in one or more pbufs, to the transmit callback. */
static err_t link_output(struct netif *netif, struct pbuf *frame)
{
    struct net_interface *iface = netif->state;
    const uint8_t *bytes = frame->payload;
    if (frame->len != frame->tot_len) {
        if (frame->tot_len > sizeof(iface->frame)) {
            iface->counters.transmit_failures++;
            return ERR_BUF;
        }
        pbuf_copy_partial(frame, iface->frame, frame->tot_len, 0);
        bytes = iface->frame;
    }
    if (!iface->transmit(iface->context, bytes, frame->tot_len)) {
        iface->counters.transmit_failures++;
        return ERR_IF; /* as a lost frame: TCP sends it again */
    }
    iface->counters.frames_sent++;
    return ERR_OK;
}

/* netif_add's initialisation: an Ethernet interface with ARP. */
static err_t initialise_netif(struct netif *netif)
{
    memcpy(netif->name, interface_name, sizeof(netif->name));
    netif->hwaddr_len = ETH_HWADDR_LEN;
    netif->mtu = NET_FRAME_MAX - SIZEOF_ETH_HDR;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    return ERR_OK;
}

bool net_interface_add(struct net_interface *iface, const struct net_interface_config *config)
{
    initialise_lwip_once();
    memset(iface, 0, sizeof(*iface));
    iface->transmit = config->transmit;
    iface->context = config->context;
    memcpy(iface->netif.hwaddr, config->mac, ETH_HWADDR_LEN);
    const ip4_addr_t *address = config->dhcp ? IP4_ADDR_ANY4 : &config->address;
    const ip4_addr_t *netmask = config->dhcp ? IP4_ADDR_ANY4 : &config->netmask;
    const ip4_addr_t *gateway = config->dhcp ? IP4_ADDR_ANY4 : &config->gateway;
    if (netif_add(&iface->netif, address, netmask, gateway, iface, initialise_netif, ethernet_input) == NULL) {
        return false;
    }
    if (netif_default == NULL) {
        netif_set_default(&iface->netif);
    }
    netif_set_up(&iface->netif);
    netif_set_link_up(&iface->netif);
    if (config->dhcp) {
        dhcp_set_struct(&iface->netif, &iface->dhcp);
        if (dhcp_start(&iface->netif) != ERR_OK) {
            net_interface_remove(iface);
            return false;
        }
    }
    return true;
}

void net_interface_remove(struct net_interface *iface)
{
    if (netif_dhcp_data(&iface->netif) != NULL) {
        dhcp_release_and_stop(&iface->netif);
        dhcp_remove_struct(&iface->netif);
    }
    netif_remove(&iface->netif);
    if (netif_default == NULL && netif_list != NULL) {
        netif_set_default(netif_list); /* the default route passes to another interface */
    }
}

bool net_interface_input(struct net_interface *iface, const uint8_t *frame, size_t length)
{
    if (length < SIZEOF_ETH_HDR || length > NET_FRAME_MAX) {
        iface->counters.input_drops++;
        return false;
    }
    struct pbuf *packet = pbuf_alloc(PBUF_RAW, (u16_t)length, PBUF_POOL);
    if (packet == NULL) {
        iface->counters.input_drops++;
        return false;
    }
    pbuf_take(packet, frame, (u16_t)length);
    if (iface->netif.input(packet, &iface->netif) != ERR_OK) {
        pbuf_free(packet);
        iface->counters.input_drops++;
        return false;
    }
    iface->counters.frames_received++;
    return true;
}

uint32_t net_interface_poll(struct net_interface *iface)
{
    (void)iface; /* lwIP's timers serve every interface */
    sys_check_timeouts();
    return sys_timeouts_sleeptime();
}

bool net_interface_address(const struct net_interface *iface, ip4_addr_t *address)
{
    /* DHCP sets the address only once bound (after its ARP check), and clears it when the lease ends. */
    const ip4_addr_t *current = netif_ip4_addr(&iface->netif);
    if (ip4_addr_isany(current)) {
        return false;
    }
    if (address != NULL) {
        *address = *current;
    }
    return true;
}
