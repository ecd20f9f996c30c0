/* A TCP transfer between the two interfaces of a net_pair, through lwIP's raw API (pair_tcp_transfer.h). */
#include "pair_tcp_transfer.h"

#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"

#include <string.h>

#define FNV_OFFSET_BASIS 2166136261u
#define FNV_PRIME 16777619u
#define CLIENT_POLL_INTERVAL 2 /* lwIP's coarse timer periods (500 ms each) between retries after ERR_MEM */

struct transfer {
    struct net_pair *pair;
    size_t length;
    uint16_t port;
    struct tcp_pcb *listener;
    struct tcp_pcb *server; /* NULL once closed or gone */
    struct tcp_pcb *client; /* NULL once closed or gone */
    uint16_t client_port;
    bool shut_down; /* the client sent its FIN */
    bool server_closed;
    bool client_closed;
    uint8_t chunk[TCP_MSS];
    struct tcp_transfer_result *result;
};

static uint32_t fnv1a(uint32_t hash, const uint8_t *bytes, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        hash = (hash ^ bytes[i]) * FNV_PRIME;
    }
    return hash;
}

/* The stream's byte at offset: a pattern that does not repeat within a window, so reordering changes the sum. */
static uint8_t pattern(size_t offset)
{
    return (uint8_t)(((uint32_t)offset * 2654435761u) >> 24);
}

static void fail(struct transfer *transfer, err_t error)
{
    if (transfer->result->error == ERR_OK) {
        transfer->result->error = error;
    }
}

/* Forgets a connection's callbacks, then closes it (lwIP frees it when the closing handshake is over). */
static void close_connection(struct transfer *transfer, struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    err_t error = tcp_close(pcb);
    if (error != ERR_OK) {
        fail(transfer, error);
        tcp_abort(pcb);
    }
}

/* Client: writes as much of the stream as lwIP takes, then its FIN once all of it is written. */
static void client_send(struct transfer *transfer)
{
    struct tcp_pcb *pcb = transfer->client;
    struct tcp_transfer_result *result = transfer->result;
    while (result->bytes_sent < transfer->length) {
        size_t chunk = transfer->length - result->bytes_sent;
        if (chunk > tcp_sndbuf(pcb)) {
            chunk = tcp_sndbuf(pcb);
        }
        if (chunk > sizeof(transfer->chunk)) {
            chunk = sizeof(transfer->chunk);
        }
        if (chunk == 0) {
            break;
        }
        for (size_t i = 0; i < chunk; i++) {
            transfer->chunk[i] = pattern(result->bytes_sent + i);
        }
        err_t error = tcp_write(pcb, transfer->chunk, (u16_t)chunk, TCP_WRITE_FLAG_COPY);
        if (error == ERR_MEM) {
            break; /* the send queue is full: again when data is acknowledged, or on the next poll */
        }
        if (error != ERR_OK) {
            fail(transfer, error);
            return;
        }
        result->checksum_sent = fnv1a(result->checksum_sent, transfer->chunk, chunk);
        result->bytes_sent += chunk;
    }
    if (result->bytes_sent == transfer->length && !transfer->shut_down) {
        err_t error = tcp_shutdown(pcb, 0, 1); /* FIN after the data; the client still receives */
        if (error != ERR_OK) {
            fail(transfer, error);
            return;
        }
        transfer->shut_down = true;
    }
    tcp_output(pcb);
}

static err_t client_sent(void *arg, struct tcp_pcb *pcb, u16_t length)
{
    (void)pcb;
    struct transfer *transfer = arg;
    transfer->result->bytes_acknowledged += length;
    client_send(transfer);
    return ERR_OK;
}

static err_t client_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)pcb;
    client_send(arg);
    return ERR_OK;
}

static err_t client_receive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t error)
{
    struct transfer *transfer = arg;
    if (p == NULL) { /* the server's FIN */
        transfer->result->client_saw_end = true;
        transfer->client = NULL;
        transfer->client_closed = true;
        close_connection(transfer, pcb);
        return ERR_OK;
    }
    if (error != ERR_OK) {
        fail(transfer, error);
    }
    tcp_recved(pcb, p->tot_len); /* the server sends nothing; accept and ignore it if it did */
    pbuf_free(p);
    return ERR_OK;
}

static void client_error(void *arg, err_t error)
{
    struct transfer *transfer = arg;
    transfer->client = NULL; /* lwIP has freed it */
    fail(transfer, error);
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t error)
{
    (void)pcb;
    struct transfer *transfer = arg;
    if (error != ERR_OK) {
        fail(transfer, error);
        return ERR_OK;
    }
    client_send(transfer);
    return ERR_OK;
}

static err_t server_receive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t error)
{
    struct transfer *transfer = arg;
    struct tcp_transfer_result *result = transfer->result;
    if (p == NULL) { /* the client's FIN: close too */
        result->server_saw_end = true;
        transfer->server = NULL;
        transfer->server_closed = true;
        close_connection(transfer, pcb);
        return ERR_OK;
    }
    if (error != ERR_OK) {
        fail(transfer, error);
    }
    for (struct pbuf *q = p; q != NULL; q = q->next) {
        result->checksum_received = fnv1a(result->checksum_received, q->payload, q->len);
    }
    result->bytes_received += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static void server_error(void *arg, err_t error)
{
    struct transfer *transfer = arg;
    transfer->server = NULL;
    fail(transfer, error);
}

static err_t server_accept(void *arg, struct tcp_pcb *pcb, err_t error)
{
    struct transfer *transfer = arg;
    if (error != ERR_OK || pcb == NULL) {
        fail(transfer, error != ERR_OK ? error : ERR_VAL);
        return ERR_VAL;
    }
    if (transfer->server != NULL || transfer->result->connected) {
        tcp_abort(pcb); /* one connection only */
        return ERR_ABRT;
    }
    transfer->server = pcb;
    transfer->result->connected = true;
    tcp_arg(pcb, transfer);
    tcp_recv(pcb, server_receive);
    tcp_err(pcb, server_error);
    return ERR_OK;
}

static bool finished(void *context)
{
    struct transfer *transfer = context;
    return (transfer->server_closed && transfer->client_closed) || transfer->result->error != ERR_OK;
}

/* Whether pcb is one end of the transfer's connection. */
static bool is_transfer_connection(const struct transfer *transfer, const struct tcp_pcb *pcb)
{
    return (pcb->local_port == transfer->port && pcb->remote_port == transfer->client_port) ||
           (pcb->local_port == transfer->client_port && pcb->remote_port == transfer->port);
}

/* The clean end of a close: the server's side is gone (its last ACK came), the client's waits in TIME-WAIT. */
static bool closed_cleanly(void *context)
{
    const struct transfer *transfer = context;
    for (const struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (is_transfer_connection(transfer, pcb)) {
            return false;
        }
    }
    for (const struct tcp_pcb *pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->local_port == transfer->client_port && pcb->remote_port == transfer->port) {
            return true;
        }
    }
    return false;
}

/* Sets up the server on b and connects the client on a; false (with result->error) if lwIP refused. */
static bool start(struct transfer *transfer)
{
    struct net_pair *pair = transfer->pair;
    struct tcp_pcb *listener = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (listener == NULL) {
        fail(transfer, ERR_MEM);
        return false;
    }
    ip_addr_t address;
    ip_addr_copy_from_ip4(address, pair->address_b);
    err_t error = tcp_bind(listener, &address, transfer->port);
    if (error != ERR_OK) {
        tcp_close(listener);
        fail(transfer, error);
        return false;
    }
    tcp_bind_netif(listener, &pair->b.netif);
    transfer->listener = tcp_listen_with_backlog(listener, 1);
    if (transfer->listener == NULL) {
        tcp_close(listener);
        fail(transfer, ERR_MEM);
        return false;
    }
    tcp_arg(transfer->listener, transfer);
    tcp_accept(transfer->listener, server_accept);

    transfer->client = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (transfer->client == NULL) {
        fail(transfer, ERR_MEM);
        return false;
    }
    ip_addr_copy_from_ip4(address, pair->address_a);
    error = tcp_bind(transfer->client, &address, 0);
    if (error != ERR_OK) {
        fail(transfer, error);
        return false;
    }
    tcp_bind_netif(transfer->client, &pair->a.netif);
    transfer->client_port = transfer->client->local_port;
    tcp_arg(transfer->client, transfer);
    tcp_recv(transfer->client, client_receive);
    tcp_sent(transfer->client, client_sent);
    tcp_err(transfer->client, client_error);
    tcp_poll(transfer->client, client_poll, CLIENT_POLL_INTERVAL);
    ip_addr_copy_from_ip4(address, pair->address_b);
    error = tcp_connect(transfer->client, &address, transfer->port, client_connected);
    if (error != ERR_OK) {
        fail(transfer, error);
        return false;
    }
    return true;
}

/* Ends what is left: the listener, and connections a failure left open. */
static void stop(struct transfer *transfer)
{
    if (transfer->listener != NULL) {
        tcp_close(transfer->listener); /* a listener closes at once */
    }
    struct tcp_pcb *leftovers[] = {transfer->client, transfer->server};
    for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
        if (leftovers[i] != NULL) {
            tcp_arg(leftovers[i], NULL);
            tcp_err(leftovers[i], NULL);
            tcp_abort(leftovers[i]);
        }
    }
}

bool net_pair_tcp_transfer(struct net_pair *pair, uint16_t port, size_t length, uint32_t timeout_ms,
                           struct tcp_transfer_result *result)
{
    memset(result, 0, sizeof(*result));
    result->checksum_sent = FNV_OFFSET_BASIS;
    result->checksum_received = FNV_OFFSET_BASIS;
    result->error = ERR_OK;
    /* On the stack: whatever lwIP still holds when this returns no longer points at it (stop, close_connection). */
    struct transfer transfer = {.pair = pair, .length = length, .port = port, .result = result};
    uint32_t started = sys_now();
    if (start(&transfer) && net_pair_run_until(pair, finished, &transfer, timeout_ms) && result->error == ERR_OK) {
        uint32_t used = sys_now() - started;
        result->closed = used < timeout_ms && net_pair_run_until(pair, closed_cleanly, &transfer, timeout_ms - used);
    }
    result->elapsed_ms = sys_now() - started;
    stop(&transfer);
    return result->connected && result->error == ERR_OK && result->bytes_sent == length &&
           result->bytes_acknowledged == length && result->bytes_received == length &&
           result->checksum_received == result->checksum_sent && result->server_saw_end && result->client_saw_end &&
           result->closed;
}
