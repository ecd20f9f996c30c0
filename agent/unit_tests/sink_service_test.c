/* The sink over real TCP (lwIP, two interfaces on an in-memory cable): every byte counted, the line, the close. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/sink_service.h"
#include "testing/pair.h"

#include <fake_clock.h>
#include <lwip/tcp.h>
#include <stdio.h>
#include <string.h>

#define SINK_PORT 9000

static struct net_pair pair;
static uint8_t payload[1460];

struct client {
    size_t to_send; /* bytes the client sends before it closes its side */
    size_t sent;
    bool shut;
    char received[SINK_LINE_SIZE * 2];
    size_t length;
    bool closed;
    bool failed;
};

static void wait_fake(uint32_t milliseconds)
{
    lwip_fake_clock_advance(milliseconds);
}

/* Queues as much of the rest as the send buffer takes; once everything is queued, closes the sending side. */
static void send_more(struct client *client, struct tcp_pcb *connection)
{
    while (client->sent < client->to_send) {
        size_t chunk = client->to_send - client->sent;
        chunk = chunk < sizeof(payload) ? chunk : sizeof(payload);
        chunk = chunk < tcp_sndbuf(connection) ? chunk : tcp_sndbuf(connection);
        if (chunk == 0 || tcp_write(connection, payload, (u16_t)chunk, TCP_WRITE_FLAG_COPY) != ERR_OK) {
            break;
        }
        client->sent += chunk;
    }
    if (client->sent == client->to_send && !client->shut) {
        client->shut = tcp_shutdown(connection, 0, 1) == ERR_OK;
    }
    tcp_output(connection);
}

static err_t client_sent(void *argument, struct tcp_pcb *connection, u16_t length)
{
    (void)length;
    send_more(argument, connection);
    return ERR_OK;
}

static err_t client_received(void *argument, struct tcp_pcb *connection, struct pbuf *buffer, err_t error)
{
    struct client *client = argument;
    (void)error;
    if (!buffer) {
        client->closed = true;
        tcp_arg(connection, NULL);
        tcp_sent(connection, NULL);
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
    if (argument) {
        ((struct client *)argument)->failed = true;
    }
}

static err_t client_connected(void *argument, struct tcp_pcb *connection, err_t error)
{
    if (error == ERR_OK) {
        send_more(argument, connection);
    }
    return error;
}

static bool client_done(void *context)
{
    const struct client *client = context;
    return client->closed || client->failed;
}

static void send_and_read(struct client *client, size_t bytes)
{
    memset(client, 0, sizeof(*client));
    client->to_send = bytes;
    struct tcp_pcb *connection = tcp_new();
    assert_non_null(connection);
    tcp_bind_netif(connection, &pair.b.netif);
    tcp_arg(connection, client);
    tcp_recv(connection, client_received);
    tcp_sent(connection, client_sent);
    tcp_err(connection, client_error);
    assert_int_equal(tcp_connect(connection, &pair.address_a, SINK_PORT, client_connected), ERR_OK);
    assert_true(net_pair_run_until(&pair, client_done, client, 60000));
}

static void test_line_counts_bytes(void **state)
{
    (void)state;
    char line[SINK_LINE_SIZE];
    assert_int_equal(sink_service_line(0, line), strlen("0 bytes\n"));
    assert_string_equal(line, "0 bytes\n");
    assert_int_equal(sink_service_line(8388608, line), strlen("8388608 bytes\n"));
    assert_string_equal(line, "8388608 bytes\n");
}

static void test_counts_what_arrives_and_answers_after_the_close(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)i;
    }
    assert_true(net_pair_add(&pair, wait_fake));
    static struct sink_service service;
    assert_true(sink_service_start(&service, SINK_PORT, &pair.a.netif));
    assert_false(sink_service_start(&service, SINK_PORT, &pair.a.netif)); /* the port is taken */
    /* Nothing, less than a segment, and many windows' worth: the listener stays for the next client. */
    const size_t sizes[] = {0, 100, 300000};
    for (size_t round = 0; round < sizeof(sizes) / sizeof(sizes[0]); round++) {
        struct client client;
        send_and_read(&client, sizes[round]);
        assert_false(client.failed);
        assert_true(client.closed);
        assert_int_equal(client.sent, sizes[round]);
        char expected[SINK_LINE_SIZE];
        snprintf(expected, sizeof(expected), "%zu bytes\n", sizes[round]);
        assert_int_equal(client.length, strlen(expected));
        assert_memory_equal(client.received, expected, client.length);
        assert_int_equal(service.answered, round + 1);
        assert_int_equal(service.last_bytes, sizes[round]);
    }
    for (size_t i = 0; i < SINK_MAX_CONNECTIONS; i++) { /* every slot is free again */
        assert_null(service.connections[i].pcb);
    }
    net_pair_remove(&pair);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_counts_bytes),
        cmocka_unit_test(test_counts_what_arrives_and_answers_after_the_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
