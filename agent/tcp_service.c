#include "tcp_service.h"

bool tcp_service_listen(uint16_t port, const struct netif *netif, tcp_accept_fn accept, void *argument)
{
    struct tcp_pcb *listener = tcp_new();
    if (!listener) {
        return false;
    }
    if (netif) {
        tcp_bind_netif(listener, netif);
    }
    if (tcp_bind(listener, IP_ANY_TYPE, port) != ERR_OK) {
        tcp_close(listener);
        return false;
    }
    struct tcp_pcb *listening = tcp_listen(listener);
    if (!listening) {
        tcp_close(listener);
        return false;
    }
    tcp_arg(listening, argument);
    tcp_accept(listening, accept);
    return true;
}

err_t tcp_service_answer_and_close(struct tcp_pcb *connection, const char *line, size_t length)
{
    if (tcp_write(connection, line, (u16_t)length, TCP_WRITE_FLAG_COPY) != ERR_OK) {
        tcp_abort(connection);
        return ERR_ABRT;
    }
    tcp_output(connection);
    if (tcp_close(connection) != ERR_OK) {
        tcp_abort(connection);
        return ERR_ABRT;
    }
    return ERR_OK;
}
