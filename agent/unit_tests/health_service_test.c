/* The health check over real TCP (lwIP, two interfaces on an in-memory cable): the line arrives, then the close. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/health_service.h"
#include "testing/pair.h"

#include <fake_clock.h>
#include <lwip/tcp.h>
#include <string.h>

static struct net_pair pair;

struct client {
    char received[HEALTH_LINE_SIZE * 2];
    size_t length;
    bool closed;
    bool failed;
};

static uint64_t fixed_uptime(void *context)
{
    (void)context;
    return 4242;
}

static void wait_fake(uint32_t milliseconds)
{
    lwip_fake_clock_advance(milliseconds);
}

static err_t client_received(void *argument, struct tcp_pcb *connection, struct pbuf *buffer, err_t error)
{
    struct client *client = argument;
    (void)error;
    if (!buffer) {
        client->closed = true;
        tcp_close(connection);
        return ERR_OK;
    }
    size_t room = sizeof(client->received) - client->length;
    size_t taken = buffer->tot_len < room ? buffer->tot_len : room;
    pbuf_copy_partial(buffer, client->received + client->length, (u16_t)taken, 0);
    client->length += taken;
    tcp_recved(connection, buffer->tot_len);
    pbuf_free(buffer);
    return ERR_OK;
}

static void client_error(void *argument, err_t error)
{
    (void)error;
    ((struct client *)argument)->failed = true;
}

static err_t client_connected(void *argument, struct tcp_pcb *connection, err_t error)
{
    (void)argument;
    (void)connection;
    return error;
}

static bool client_done(void *context)
{
    const struct client *client = context;
    return client->closed || client->failed;
}

static void connect_and_read(struct client *client)
{
    memset(client, 0, sizeof(*client));
    struct tcp_pcb *connection = tcp_new();
    assert_non_null(connection);
    tcp_bind_netif(connection, &pair.b.netif);
    tcp_arg(connection, client);
    tcp_recv(connection, client_received);
    tcp_err(connection, client_error);
    assert_int_equal(tcp_connect(connection, &pair.address_a, HEALTH_SERVICE_PORT, client_connected), ERR_OK);
    assert_true(net_pair_run_until(&pair, client_done, client, 10000));
}

static void test_line_names_host_and_uptime(void **state)
{
    (void)state;
    struct health_service service = {.host_name = "kapsel-test", .uptime_seconds = fixed_uptime};
    char line[HEALTH_LINE_SIZE];
    assert_int_equal(health_service_line(&service, line), strlen("kapsel kapsel-test up 4242 s\n"));
    assert_string_equal(line, "kapsel kapsel-test up 4242 s\n");
}

static void test_answers_over_tcp_and_closes(void **state)
{
    (void)state;
    assert_true(net_pair_add(&pair, wait_fake));
    static struct health_service service = {.host_name = "kapsel-test", .uptime_seconds = fixed_uptime};
    assert_true(health_service_start(&service, HEALTH_SERVICE_PORT, &pair.a.netif));
    assert_false(health_service_start(&service, HEALTH_SERVICE_PORT, &pair.a.netif)); /* the port is taken */
    struct client client;
    for (int round = 1; round <= 2; round++) { /* the listener stays for the next client */
        connect_and_read(&client);
        assert_false(client.failed);
        assert_true(client.closed);
        assert_int_equal(client.length, strlen("kapsel kapsel-test up 4242 s\n"));
        assert_memory_equal(client.received, "kapsel kapsel-test up 4242 s\n", client.length);
        assert_int_equal(service.answered, round);
    }
    net_pair_remove(&pair);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_names_host_and_uptime),
        cmocka_unit_test(test_answers_over_tcp_and_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
