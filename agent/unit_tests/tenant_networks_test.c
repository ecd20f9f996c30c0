/* Tenant networks (agent/tenant_networks.c): each (tenant, network) pair in use has a switch network of its own. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/tenant_networks.h"

#include <stdio.h>

#define MANAGEMENT 4095u
#define UPLINK_SHARED 1u

static struct tenant_networks networks;

static int set_up(void **state)
{
    (void)state;
    const uint32_t reserved[] = {MANAGEMENT, UPLINK_SHARED, 0};
    tenant_networks_init(&networks, reserved, 3);
    return 0;
}

static uint32_t acquire(const char *tenant, uint32_t network_id)
{
    uint32_t switch_network = 0;
    assert_true(tenant_networks_acquire(&networks, tenant, network_id, &switch_network));
    return switch_network;
}

static void test_two_tenants_same_id_get_different_switch_networks(void **state)
{
    (void)state;
    uint32_t acme = acquire("acme", 1);
    uint32_t globex = acquire("globex", 1);
    assert_int_not_equal(acme, globex);
    assert_int_equal(acquire("acme", 1), acme); /* a second VM of acme's network 1 joins it */
    assert_int_not_equal(acquire("acme", 2), acme);
}

static void test_reserved_networks_are_never_handed_out(void **state)
{
    (void)state;
    for (unsigned i = 0; i < TENANT_NETWORKS_MAX; i++) {
        char tenant[16];
        snprintf(tenant, sizeof(tenant), "t%u", i);
        uint32_t switch_network = acquire(tenant, MANAGEMENT);
        assert_int_not_equal(switch_network, MANAGEMENT);
        assert_int_not_equal(switch_network, UPLINK_SHARED);
        assert_true(switch_network >= 1 && switch_network <= TENANT_NETWORKS_SWITCH_MAX);
    }
}

static void test_the_last_port_lets_the_network_go(void **state)
{
    (void)state;
    uint32_t first = acquire("acme", 7);
    assert_int_equal(acquire("acme", 7), first);
    tenant_networks_release(&networks, first);
    /* Still acme's: one port remains, so another tenant does not get it. */
    assert_int_not_equal(acquire("globex", 7), first);
    tenant_networks_release(&networks, first);
    /* Free now: the lowest free switch network is handed out again, to whoever asks. */
    assert_int_equal(acquire("initech", 3), first);
    tenant_networks_release(&networks, 999); /* not in use: ignored */
    tenant_networks_release(&networks, 0);
}

static void test_full_table_refuses(void **state)
{
    (void)state;
    for (unsigned i = 0; i < TENANT_NETWORKS_MAX; i++) {
        acquire("acme", i + 1);
    }
    uint32_t switch_network = 0;
    assert_false(tenant_networks_acquire(&networks, "acme", TENANT_NETWORKS_MAX + 1, &switch_network));
    /* A pair in use still takes more ports. */
    assert_true(tenant_networks_acquire(&networks, "acme", 1, &switch_network));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_two_tenants_same_id_get_different_switch_networks, set_up),
        cmocka_unit_test_setup(test_reserved_networks_are_never_handed_out, set_up),
        cmocka_unit_test_setup(test_the_last_port_lets_the_network_go, set_up),
        cmocka_unit_test_setup(test_full_table_refuses, set_up),
    };
    return cmocka_run_group_tests_name("tenant_networks_test", tests, NULL, NULL);
}
