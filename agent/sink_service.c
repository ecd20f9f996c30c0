#include "sink_service.h"

#include "tcp_service.h"

#include <lwip/tcp.h>
#include <stdio.h>
#include <string.h>

size_t sink_service_line(uint64_t bytes, char *line)
{
    int length = snprintf(line, SINK_LINE_SIZE, "%llu bytes\n", (unsigned long long)bytes);
    return length < 0 ? 0 : length >= SINK_LINE_SIZE ? SINK_LINE_SIZE - 1 : (size_t)length;
}

static void release(struct sink_connection *connection)
{
    connection->pcb = NULL;
    connection->bytes = 0;
}

/* lwIP has freed the connection (reset, or out of memory): the slot is free again. */
static void failed(void *argument, err_t error)
{
    (void)error;
    release(argument);
}

static err_t received(void *argument, struct tcp_pcb *pcb, struct pbuf *buffer, err_t error)
{
    struct sink_connection *connection = argument;
    (void)error;
    if (buffer) {
        connection->bytes += buffer->tot_len;
        tcp_recved(pcb, buffer->tot_len);
        pbuf_free(buffer);
        return ERR_OK;
    }
    /* The client has closed its side: the count is final. */
    struct sink_service *service = connection->service;
    char line[SINK_LINE_SIZE];
    size_t length = sink_service_line(connection->bytes, line);
    uint64_t bytes = connection->bytes;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
    release(connection);
    if (tcp_service_answer_and_close(pcb, line, length) != ERR_OK) {
        return ERR_ABRT;
    }
    service->last_bytes = bytes;
    service->answered++;
    return ERR_OK;
}

static err_t accepted(void *argument, struct tcp_pcb *pcb, err_t error)
{
    struct sink_service *service = argument;
    if (error != ERR_OK || !pcb) {
        return ERR_VAL;
    }
    struct sink_connection *connection = NULL;
    for (size_t i = 0; i < SINK_MAX_CONNECTIONS && !connection; i++) {
        if (!service->connections[i].pcb) {
            connection = &service->connections[i];
        }
    }
    if (!connection) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    connection->service = service;
    connection->pcb = pcb;
    connection->bytes = 0;
    tcp_arg(pcb, connection);
    tcp_recv(pcb, received);
    tcp_err(pcb, failed);
    return ERR_OK;
}

bool sink_service_start(struct sink_service *service, uint16_t port, const struct netif *netif)
{
    return tcp_service_listen(port, netif, accepted, service);
}
