#include "health_service.h"

#include "tcp_service.h"

#include <lwip/tcp.h>
#include <stdio.h>

size_t health_service_line(const struct health_service *service, char *line)
{
    int length = snprintf(line, HEALTH_LINE_SIZE, "kapsel %s up %llu s\n", service->host_name,
                          (unsigned long long)service->uptime_seconds(service->context));
    return length < 0 ? 0 : length >= HEALTH_LINE_SIZE ? HEALTH_LINE_SIZE - 1 : (size_t)length;
}

/* The client's bytes are not read: taking them keeps the window open until the agent closes. */
static err_t received(void *argument, struct tcp_pcb *connection, struct pbuf *buffer, err_t error)
{
    (void)argument;
    (void)error;
    if (buffer) {
        tcp_recved(connection, buffer->tot_len);
        pbuf_free(buffer);
    }
    return ERR_OK;
}

static err_t accepted(void *argument, struct tcp_pcb *connection, err_t error)
{
    struct health_service *service = argument;
    if (error != ERR_OK || !connection) {
        return ERR_VAL;
    }
    tcp_recv(connection, received);
    char line[HEALTH_LINE_SIZE];
    size_t length = health_service_line(service, line);
    if (tcp_service_answer_and_close(connection, line, length) != ERR_OK) {
        return ERR_ABRT;
    }
    service->answered++;
    return ERR_OK;
}

bool health_service_start(struct health_service *service, uint16_t port, const struct netif *netif)
{
    return tcp_service_listen(port, netif, accepted, service);
}
