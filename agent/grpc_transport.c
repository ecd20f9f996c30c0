#include "grpc_transport.h"

#include "tcp_service.h"

#include <string.h>

#define OUTPUT_CHUNK 2048 /* bytes pulled from a connection per tcp_write */

static void forget(struct grpc_transport_connection *connection)
{
    if (connection->grpc) {
        grpc_connection_destroy(connection->grpc); /* its calls see on_cancel */
    }
    connection->grpc = NULL;
    connection->pcb = NULL;
}

/* Closes the connection (abort if lwIP cannot close it now); ERR_ABRT when it had to abort. */
static err_t close_connection(struct grpc_transport_connection *connection)
{
    struct tcp_pcb *pcb = connection->pcb;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    forget(connection);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

/* Hands lwIP as much of the connection's output as it takes now. */
static void push_output(struct grpc_transport_connection *connection)
{
    uint8_t chunk[OUTPUT_CHUNK];
    bool wrote = false;
    while (grpc_connection_wants_output(connection->grpc)) {
        size_t room = tcp_sndbuf(connection->pcb);
        if (room == 0 || tcp_sndqueuelen(connection->pcb) >= TCP_SND_QUEUELEN) {
            break;
        }
        size_t length = grpc_connection_output(connection->grpc, chunk, room < sizeof(chunk) ? room : sizeof(chunk));
        if (length == 0) {
            break;
        }
        if (tcp_write(connection->pcb, chunk, (u16_t)length, TCP_WRITE_FLAG_COPY) != ERR_OK) {
            connection->lost_output = true; /* lib/grpc has handed those bytes over: the HTTP/2 stream has a hole */
            break;
        }
        wrote = true;
    }
    if (wrote) {
        tcp_output(connection->pcb);
    }
}

static err_t sent(void *argument, struct tcp_pcb *pcb, u16_t length)
{
    (void)pcb;
    (void)length;
    struct grpc_transport_connection *connection = argument;
    if (connection && connection->grpc) {
        push_output(connection);
    }
    return ERR_OK;
}

static void failed(void *argument, err_t error)
{
    (void)error;
    struct grpc_transport_connection *connection = argument;
    if (connection) {
        forget(connection); /* lwIP has freed the pcb already */
    }
}

static err_t received(void *argument, struct tcp_pcb *pcb, struct pbuf *buffer, err_t error)
{
    struct grpc_transport_connection *connection = argument;
    (void)error;
    if (!connection || !connection->grpc) {
        if (buffer) {
            pbuf_free(buffer);
        }
        return ERR_OK;
    }
    if (!buffer) {
        return close_connection(connection); /* the client closed its side: HTTP/2 has nothing half-open to keep */
    }
    enum grpc_result result = GRPC_RESULT_OK;
    for (const struct pbuf *part = buffer; part && result == GRPC_RESULT_OK; part = part->next) {
        result = grpc_connection_receive(connection->grpc, part->payload, part->len);
    }
    tcp_recved(pcb, buffer->tot_len);
    pbuf_free(buffer);
    push_output(connection); /* nghttp2's GOAWAY on a broken connection goes out before the close */
    if (result != GRPC_RESULT_OK || connection->lost_output) {
        connection->transport->broken++;
        return close_connection(connection);
    }
    return ERR_OK;
}

static err_t accepted(void *argument, struct tcp_pcb *pcb, err_t error)
{
    struct grpc_transport *transport = argument;
    if (error != ERR_OK || !pcb) {
        return ERR_VAL;
    }
    struct grpc_transport_connection *connection = NULL;
    for (size_t i = 0; i < GRPC_TRANSPORT_MAX_CONNECTIONS && !connection; i++) {
        if (!transport->connections[i].pcb) {
            connection = &transport->connections[i];
        }
    }
    struct grpc_connection *grpc = connection ? grpc_connection_create(transport->server, connection) : NULL;
    if (!grpc) {
        transport->refused++;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    *connection = (struct grpc_transport_connection){.transport = transport, .pcb = pcb, .grpc = grpc};
    transport->accepted++;
    tcp_arg(pcb, connection);
    tcp_recv(pcb, received);
    tcp_sent(pcb, sent);
    tcp_err(pcb, failed);
    tcp_nagle_disable(pcb);  /* replies are small and answer requests: send them at once */
    push_output(connection); /* the server's SETTINGS */
    return ERR_OK;
}

bool grpc_transport_start(struct grpc_transport *transport, struct grpc_server *server, uint16_t port)
{
    memset(transport, 0, sizeof(*transport));
    transport->server = server;
    return tcp_service_listen(port, NULL, accepted, transport);
}

void grpc_transport_poll(struct grpc_transport *transport, uint64_t now_ms)
{
    for (size_t i = 0; i < GRPC_TRANSPORT_MAX_CONNECTIONS; i++) {
        struct grpc_transport_connection *connection = &transport->connections[i];
        if (!connection->pcb) {
            continue;
        }
        grpc_connection_tick(connection->grpc, now_ms);
        push_output(connection);
        if (connection->lost_output) {
            transport->broken++;
        }
        if (connection->lost_output || grpc_connection_is_finished(connection->grpc)) {
            close_connection(connection);
        }
    }
}

uint64_t grpc_transport_next_deadline_ms(const struct grpc_transport *transport)
{
    uint64_t next = GRPC_NO_DEADLINE;
    for (size_t i = 0; i < GRPC_TRANSPORT_MAX_CONNECTIONS; i++) {
        const struct grpc_transport_connection *connection = &transport->connections[i];
        if (connection->pcb) {
            uint64_t deadline = grpc_connection_next_deadline_ms(connection->grpc);
            next = deadline < next ? deadline : next;
        }
    }
    return next;
}
