/* The switch's forwarding: learning, flooding, unicast, isolation between tenant networks, a shared uplink, and ports
 * that come and go. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "switch/forwarding.h"

#include <string.h>

static struct forwarding forwarding;
static uint8_t frame[64];

static const uint8_t host_a[6] = {0x52, 0x54, 0, 0, 0, 0x0a};
static const uint8_t host_b[6] = {0x52, 0x54, 0, 0, 0, 0x0b};
static const uint8_t host_c[6] = {0x52, 0x54, 0, 0, 0, 0x0c};
static const uint8_t host_u[6] = {0x52, 0x54, 0, 0, 0, 0x99}; /* behind the uplink */
static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Ports 0 and 1 on network 1, port 2 on network 2, port 3 on network 1. */
static int set_up(void **state)
{
    (void)state;
    forwarding_init(&forwarding);
    assert_true(forwarding_add_port(&forwarding, 0, 1));
    assert_true(forwarding_add_port(&forwarding, 1, 1));
    assert_true(forwarding_add_port(&forwarding, 2, 2));
    assert_true(forwarding_add_port(&forwarding, 3, 1));
    return 0;
}

static uint32_t send(unsigned port, const uint8_t *destination, const uint8_t *source)
{
    memset(frame, 0, sizeof(frame));
    memcpy(frame, destination, 6);
    memcpy(frame + 6, source, 6);
    return forwarding_decide(&forwarding, port, frame, sizeof(frame));
}

static void test_ports(void **state)
{
    (void)state;
    assert_false(forwarding_add_port(&forwarding, 1, 1)); /* taken */
    assert_false(forwarding_add_port(&forwarding, SWITCH_MAX_PORTS, 1));
    assert_int_equal(forwarding_decide(&forwarding, 9, frame, sizeof(frame)), 0); /* not in use */
}

static void test_broadcast_floods_only_its_network(void **state)
{
    (void)state;
    assert_int_equal(send(0, broadcast, host_a), 1u << 1 | 1u << 3);
    assert_int_equal(send(2, broadcast, host_c), 0); /* port 2 is alone on network 2 */
}

static void test_learned_unicast_goes_to_one_port(void **state)
{
    (void)state;
    assert_int_equal(send(0, host_b, host_a), 1u << 1 | 1u << 3); /* b unknown yet: flooded */
    assert_int_equal(send(1, host_a, host_b), 1u << 0);           /* a learned on port 0 */
    assert_int_equal(send(0, host_b, host_a), 1u << 1);           /* b learned on port 1 */
    assert_int_equal(send(0, host_a, host_b), 0);                 /* to its own port: nowhere */
}

static void test_networks_are_isolated_even_with_known_addresses(void **state)
{
    (void)state;
    send(0, broadcast, host_a); /* a is on port 0, network 1 */
    /* Port 2 (network 2) addresses a directly: flooded within network 2 only, which has no other port. */
    assert_int_equal(send(2, host_a, host_c), 0);
    /* Network 1 never learns c, and network 2's view of a is its own. */
    assert_int_equal(send(0, host_c, host_a), 1u << 1 | 1u << 3);
    /* The same address on both networks: each network keeps its own entry. */
    assert_int_equal(send(2, broadcast, host_a), 0);
    assert_int_equal(send(1, host_a, host_b), 1u << 0);
}

static void test_host_moving_to_another_port(void **state)
{
    (void)state;
    send(0, broadcast, host_a);
    send(3, broadcast, host_a); /* a moved to port 3 */
    assert_int_equal(send(1, host_a, host_b), 1u << 3);
}

static void test_bad_frames_go_nowhere(void **state)
{
    (void)state;
    uint8_t group_source[6] = {0x01, 0, 0x5e, 0, 0, 1};
    assert_int_equal(send(0, host_b, group_source), 0);
    assert_int_equal(forwarding_decide(&forwarding, 0, frame, ETHERNET_HEADER_SIZE - 1), 0);
}

static void test_full_table_replaces_the_oldest(void **state)
{
    (void)state;
    uint8_t mac[6] = {0x02, 0x99, 0, 0, 0, 0}; /* none of them is host_a, b or c */
    for (unsigned i = 0; i < SWITCH_MAC_ENTRIES; i++) {
        mac[4] = (uint8_t)(i >> 8);
        mac[5] = (uint8_t)i;
        send(0, broadcast, mac);
    }
    mac[4] = 0;
    mac[5] = 1;
    assert_int_equal(send(1, mac, host_b), 1u << 0); /* still known; learning b replaced the oldest (mac 0) */
    mac[5] = 0;
    assert_int_equal(send(1, mac, host_b), 1u << 0 | 1u << 3); /* forgotten: flooded */
}

/* Ports 0..3 as set_up, port 4 an uplink shared by networks 1 and 2, port 5 alone on network 3. */
static int set_up_with_uplink(void **state)
{
    set_up(state);
    static const uint32_t shared[] = {1, 2};
    assert_true(forwarding_add_port(&forwarding, 4, 1));
    assert_true(forwarding_set_networks(&forwarding, 4, shared, 2));
    assert_true(forwarding_add_port(&forwarding, 5, 3));
    return 0;
}

static void test_set_networks_refusals(void **state)
{
    (void)state;
    uint32_t networks[SWITCH_PORT_MAX_NETWORKS + 1] = {1};
    assert_false(forwarding_set_networks(&forwarding, 9, networks, 1)); /* not in use */
    assert_false(forwarding_set_networks(&forwarding, SWITCH_MAX_PORTS, networks, 1));
    assert_false(forwarding_set_networks(&forwarding, 0, networks, SWITCH_PORT_MAX_NETWORKS + 1));
    assert_true(forwarding_set_networks(&forwarding, 0, networks, SWITCH_PORT_MAX_NETWORKS));
}

static void test_shared_uplink_reaches_only_its_networks(void **state)
{
    (void)state;
    assert_int_equal(send(0, broadcast, host_a), 1u << 1 | 1u << 3 | 1u << 4); /* network 1 and the uplink */
    assert_int_equal(send(2, broadcast, host_c), 1u << 4);                     /* network 2: only the uplink */
    assert_int_equal(send(5, broadcast, host_b), 0);                           /* network 3 may not use it */
    assert_int_equal(send(4, broadcast, host_u), 1u << 0 | 1u << 1 | 1u << 2 | 1u << 3); /* not port 5 */
}

static void test_uplink_unicast_goes_to_the_network_that_knows_it(void **state)
{
    (void)state;
    send(0, broadcast, host_a);                         /* a on port 0, network 1 */
    assert_int_equal(send(4, host_a, host_u), 1u << 0); /* u learned on the uplink in networks 1 and 2 */
    assert_int_equal(send(2, host_u, host_c), 1u << 4);
    assert_int_equal(send(1, host_u, host_b), 1u << 4);
    /* Network 3 never learns u: its frame to u is flooded within network 3 only. */
    assert_int_equal(send(5, host_u, host_b), 0);
    assert_int_equal(send(4, host_u, host_u), 0); /* to its own port: nowhere */
}

static void test_uplink_cut_off(void **state)
{
    (void)state;
    assert_true(forwarding_set_networks(&forwarding, 4, NULL, 0));
    assert_int_equal(send(4, broadcast, host_u), 0);
    assert_int_equal(send(0, broadcast, host_a), 1u << 1 | 1u << 3);
}

static void test_leaving_a_network_forgets_what_was_learned_there(void **state)
{
    (void)state;
    send(4, broadcast, host_u); /* u behind the uplink, in networks 1 and 2 */
    static const uint32_t network_2[] = {2};
    assert_true(forwarding_set_networks(&forwarding, 4, network_2, 1));
    assert_int_equal(send(0, host_u, host_a), 1u << 1 | 1u << 3); /* flooded in network 1, which lost the uplink */
    assert_int_equal(send(2, host_u, host_c), 1u << 4);           /* still known in network 2 */
}

static void test_removed_port_is_forgotten_and_its_number_reused(void **state)
{
    (void)state;
    send(1, broadcast, host_b); /* b on port 1, network 1 */
    forwarding_remove_port(&forwarding, 1);
    forwarding_remove_port(&forwarding, 1); /* not in use: nothing happens */
    assert_int_equal(send(0, host_b, host_a), 1u << 3);
    assert_int_equal(forwarding_decide(&forwarding, 1, frame, sizeof(frame)), 0);
    /* Port 1 again, on network 2: what network 1 learned about its predecessor does not lead there. */
    assert_true(forwarding_add_port(&forwarding, 1, 2));
    assert_int_equal(send(0, host_b, host_a), 1u << 3);
    assert_int_equal(send(2, broadcast, host_c), 1u << 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ports, set_up),
        cmocka_unit_test_setup(test_broadcast_floods_only_its_network, set_up),
        cmocka_unit_test_setup(test_learned_unicast_goes_to_one_port, set_up),
        cmocka_unit_test_setup(test_networks_are_isolated_even_with_known_addresses, set_up),
        cmocka_unit_test_setup(test_host_moving_to_another_port, set_up),
        cmocka_unit_test_setup(test_bad_frames_go_nowhere, set_up),
        cmocka_unit_test_setup(test_full_table_replaces_the_oldest, set_up),
        cmocka_unit_test_setup(test_set_networks_refusals, set_up),
        cmocka_unit_test_setup(test_shared_uplink_reaches_only_its_networks, set_up_with_uplink),
        cmocka_unit_test_setup(test_uplink_unicast_goes_to_the_network_that_knows_it, set_up_with_uplink),
        cmocka_unit_test_setup(test_uplink_cut_off, set_up_with_uplink),
        cmocka_unit_test_setup(test_leaving_a_network_forgets_what_was_learned_there, set_up_with_uplink),
        cmocka_unit_test_setup(test_removed_port_is_forgotten_and_its_number_reused, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
