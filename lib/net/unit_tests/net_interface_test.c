/*
 * Unit tests for lib/net's net_interface on lwIP (//build/bazel/lwip:lwip_host): two interfaces in this process
 * joined by an in-memory cable (testing/cable.h), driven by a loop that advances lwIP's fake clock whenever no
 * frame moves (no threads, no sleeps). ARP, ping, a 256 KiB TCP transfer and its close, the same over a cable
 * that loses frames, DHCP without a server, frames that are not Ethernet, and a link that refuses to send.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_clock.h"
#include "testing/pair.h"
#include "testing/pair_arp.h"
#include "testing/pair_ping.h"
#include "testing/pair_tcp_transfer.h"

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/prot/dhcp.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/iana.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/udp.h"
#include "lwip/sys.h"

#include <kapsel/net_interface.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SECOND 1000u
#define MINUTE (60 * SECOND)
#define TRANSFER_BYTES (256 * 1024)

static struct net_pair pair;

static int add_pair(void **state)
{
    (void)state;
    return net_pair_add(&pair, lwip_fake_clock_advance) ? 0 : -1;
}

static int remove_pair(void **state)
{
    (void)state;
    net_pair_remove(&pair);
    return 0;
}

static void test_arp_resolves_both_ways(void **state)
{
    (void)state;
    assert_false(net_pair_arp_known(&pair.a, &pair.address_b, NULL));
    struct eth_addr mac;
    assert_true(net_pair_arp(&pair, &pair.a, &pair.address_b, &mac, 5 * SECOND));
    assert_memory_equal(mac.addr, pair.b.netif.hwaddr, ETH_HWADDR_LEN);
    /* b answered a request for its own address, so it learned a's address too. */
    assert_true(net_pair_arp_known(&pair.b, &pair.address_a, &mac));
    assert_memory_equal(mac.addr, pair.a.netif.hwaddr, ETH_HWADDR_LEN);
}

static void test_ping_is_answered(void **state)
{
    (void)state;
    assert_true(net_pair_ping(&pair, &pair.a, &pair.address_b, 1, 5 * SECOND)); /* ARP first, then the echo */
    assert_true(net_pair_ping(&pair, &pair.a, &pair.address_b, 2, 5 * SECOND));
    assert_true(net_pair_ping(&pair, &pair.b, &pair.address_a, 3, 5 * SECOND));
    assert_int_equal(pair.a.counters.transmit_failures, 0);
    assert_int_equal(pair.b.counters.input_drops, 0);
}

static void test_ping_to_nobody_times_out(void **state)
{
    (void)state;
    ip4_addr_t nobody;
    IP4_ADDR(&nobody, 10, 0, 0, 3);
    uint32_t before = sys_now();
    assert_false(net_pair_ping(&pair, &pair.a, &nobody, 1, 3 * SECOND));
    assert_true(sys_now() - before >= 3 * SECOND);
}

static void check_transfer(const struct tcp_transfer_result *result, size_t bytes)
{
    assert_true(result->connected);
    assert_int_equal(result->error, ERR_OK);
    assert_int_equal(result->bytes_sent, bytes);
    assert_int_equal(result->bytes_acknowledged, bytes);
    assert_int_equal(result->bytes_received, bytes);
    assert_int_equal(result->checksum_received, result->checksum_sent);
    assert_true(result->server_saw_end);
    assert_true(result->client_saw_end);
    assert_true(result->closed);
}

static void test_tcp_transfer_of_256_kib_arrives_intact_and_closes(void **state)
{
    (void)state;
    struct tcp_transfer_result result;
    bool ok = net_pair_tcp_transfer(&pair, 7000, TRANSFER_BYTES, 2 * MINUTE, &result);
    print_message("256 KiB in %u ms of lwIP's clock, checksum %08x\n", (unsigned)result.elapsed_ms,
                  (unsigned)result.checksum_received);
    check_transfer(&result, TRANSFER_BYTES);
    assert_true(ok);
    assert_int_equal(pair.cable.ends[0].frames_dropped + pair.cable.ends[1].frames_dropped, 0);
}

static void test_tcp_transfer_survives_a_lossy_cable(void **state)
{
    (void)state;
    pair.cable.drop_every = 7; /* data, acknowledgements, SYN or FIN: whichever comes (about 50 frames) */
    struct tcp_transfer_result result;
    bool ok = net_pair_tcp_transfer(&pair, 7001, TRANSFER_BYTES, 30 * MINUTE, &result);
    uint64_t dropped = pair.cable.ends[0].frames_dropped + pair.cable.ends[1].frames_dropped;
    print_message("256 KiB with %u frames lost: %u ms of lwIP's clock\n", (unsigned)dropped,
                  (unsigned)result.elapsed_ms);
    check_transfer(&result, TRANSFER_BYTES);
    assert_true(ok);
    assert_true(dropped > 10);
    assert_true(result.elapsed_ms > 0); /* some losses were recovered by retransmission timers */
}

static void test_two_transfers_one_after_the_other(void **state)
{
    (void)state;
    struct tcp_transfer_result result;
    assert_true(net_pair_tcp_transfer(&pair, 7002, 1, MINUTE, &result));
    check_transfer(&result, 1);
    assert_true(net_pair_tcp_transfer(&pair, 7002, 0, MINUTE, &result)); /* the same port again; no data */
    check_transfer(&result, 0);
}

/* A transmit callback for an interface on no cable: counts the DHCP requests it sends, and when. */
struct dhcp_watch {
    unsigned discovers;
    uint32_t first_ms;
    uint32_t last_ms;
    unsigned others;
};

static bool watch_dhcp(void *context, const uint8_t *frame, size_t length)
{
    struct dhcp_watch *watch = context;
    const size_t udp_offset = SIZEOF_ETH_HDR + IP_HLEN;
    const size_t options_offset = udp_offset + UDP_HLEN + DHCP_OPTIONS_OFS;
    const struct eth_hdr *ethernet = (const struct eth_hdr *)frame;
    const struct ip_hdr *ip = (const struct ip_hdr *)(frame + SIZEOF_ETH_HDR);
    const struct udp_hdr *udp = (const struct udp_hdr *)(frame + udp_offset);
    /* lwIP puts the message type first among the options: 53, length 1, type. */
    if (length >= options_offset + 3 && ethernet->type == PP_HTONS(ETHTYPE_IP) && IPH_PROTO(ip) == IP_PROTO_UDP &&
        udp->dest == PP_HTONS(LWIP_IANA_PORT_DHCP_SERVER) && frame[options_offset] == DHCP_OPTION_MESSAGE_TYPE &&
        frame[options_offset + 2] == DHCP_DISCOVER) {
        if (watch->discovers++ == 0) {
            watch->first_ms = sys_now();
        }
        watch->last_ms = sys_now();
    } else {
        watch->others++;
    }
    return true;
}

static void test_dhcp_without_a_server_keeps_asking(void **state)
{
    (void)state;
    static struct net_interface iface;
    struct dhcp_watch watch = {0};
    struct net_interface_config config = {
        .mac = {0x02, 0, 0, 0, 0, 0x10},
        .dhcp = true,
        .transmit = watch_dhcp,
        .context = &watch,
    };
    assert_true(net_interface_add(&iface, &config));
    uint32_t start = sys_now();
    while (sys_now() - start < 10 * MINUTE) {
        uint32_t next_timer = net_interface_poll(&iface);
        lwip_fake_clock_advance(next_timer == 0 ? 1 : next_timer < SECOND ? next_timer : SECOND);
        assert_false(net_interface_address(&iface, NULL));
    }
    print_message("%u DHCP discovers in 10 minutes, the last %u s before the end\n", watch.discovers,
                  (unsigned)((sys_now() - watch.last_ms) / SECOND));
    /* lwIP backs off 1, 2, 4... 32 s, then asks every 60 s: about 15 times in 10 minutes, to the end. */
    assert_true(watch.discovers >= 10);
    assert_true(sys_now() - watch.last_ms <= 61 * SECOND);
    assert_int_equal(watch.others, 0);
    assert_true(ip4_addr_isany(netif_ip4_addr(&iface.netif)));
    assert_false(dhcp_supplied_address(&iface.netif));
    net_interface_remove(&iface);
}

static bool count_frames(void *context, const uint8_t *frame, size_t length)
{
    (void)frame;
    (void)length;
    (*(unsigned *)context)++;
    return true;
}

static void test_frames_that_are_not_ethernet_are_dropped(void **state)
{
    (void)state;
    static struct net_interface iface;
    unsigned sent = 0;
    struct net_interface_config config = {
        .mac = {0x02, 0, 0, 0, 0, 0x20},
        .transmit = count_frames,
        .context = &sent,
    };
    IP4_ADDR(&config.address, 192, 168, 1, 2);
    IP4_ADDR(&config.netmask, 255, 255, 255, 0);
    assert_true(net_interface_add(&iface, &config));
    ip4_addr_t address;
    assert_true(net_interface_address(&iface, &address));
    assert_true(ip4_addr_cmp(&address, &config.address));

    static uint8_t frame[NET_FRAME_MAX + 1];
    assert_false(net_interface_input(&iface, frame, 0));
    assert_false(net_interface_input(&iface, frame, SIZEOF_ETH_HDR - 1));
    assert_false(net_interface_input(&iface, frame, sizeof(frame)));
    assert_int_equal(iface.counters.input_drops, 3);
    /* Random frames of every length up to the largest, as IPv4 or ARP for this interface: lwIP takes them (and
     * drops what makes no sense) without a fault, an assertion or a sanitizer report. */
    uint32_t seed = 1;
    for (size_t length = SIZEOF_ETH_HDR; length <= NET_FRAME_MAX; length++) {
        for (size_t i = 0; i < length; i++) {
            seed = seed * 1103515245u + 12345u;
            frame[i] = (uint8_t)(seed >> 16);
        }
        uint16_t type = length % 2 ? PP_HTONS(ETHTYPE_IP) : PP_HTONS(ETHTYPE_ARP);
        memcpy(frame, iface.netif.hwaddr, ETH_HWADDR_LEN);
        memcpy(frame + 2 * ETH_HWADDR_LEN, &type, sizeof(type));
        assert_true(net_interface_input(&iface, frame, length));
    }
    net_interface_poll(&iface);
    assert_int_equal(iface.counters.input_drops, 3);
    assert_int_equal(iface.counters.frames_received, NET_FRAME_MAX - SIZEOF_ETH_HDR + 1);
    print_message("%u frames sent in reply to garbage (gratuitous ARP included)\n", sent);
    net_interface_remove(&iface);
}

static bool refuse_frames(void *context, const uint8_t *frame, size_t length)
{
    (void)frame;
    (void)length;
    (*(unsigned *)context)++;
    return false;
}

static void test_a_link_that_refuses_frames_is_counted(void **state)
{
    (void)state;
    static struct net_interface iface;
    unsigned refused = 0;
    struct net_interface_config config = {
        .mac = {0x02, 0, 0, 0, 0, 0x30},
        .transmit = refuse_frames,
        .context = &refused,
    };
    IP4_ADDR(&config.address, 192, 168, 2, 2);
    IP4_ADDR(&config.netmask, 255, 255, 255, 0);
    assert_true(net_interface_add(&iface, &config)); /* its gratuitous ARP is refused */
    ip4_addr_t peer;
    IP4_ADDR(&peer, 192, 168, 2, 1);
    etharp_request(&iface.netif, &peer); /* lwIP does not pass ARP's transmit errors on (ERR_OK) */
    assert_int_equal(refused, 2);
    assert_int_equal(iface.counters.transmit_failures, 2);
    assert_int_equal(iface.counters.frames_sent, 0);
    net_interface_remove(&iface);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arp_resolves_both_ways, add_pair, remove_pair),
        cmocka_unit_test_setup_teardown(test_ping_is_answered, add_pair, remove_pair),
        cmocka_unit_test_setup_teardown(test_ping_to_nobody_times_out, add_pair, remove_pair),
        cmocka_unit_test_setup_teardown(test_tcp_transfer_of_256_kib_arrives_intact_and_closes, add_pair, remove_pair),
        cmocka_unit_test_setup_teardown(test_tcp_transfer_survives_a_lossy_cable, add_pair, remove_pair),
        cmocka_unit_test_setup_teardown(test_two_transfers_one_after_the_other, add_pair, remove_pair),
        cmocka_unit_test(test_dhcp_without_a_server_keeps_asking),
        cmocka_unit_test(test_frames_that_are_not_ethernet_are_dropped),
        cmocka_unit_test(test_a_link_that_refuses_frames_is_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
