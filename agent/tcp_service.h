/* What the agent's plain TCP services share on lwIP's raw API: listening on a port, and the one-line answer. */
#ifndef AGENT_TCP_SERVICE_H
#define AGENT_TCP_SERVICE_H

#include <lwip/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Listens on port of netif (NULL: of every interface), accept getting argument; false if lwIP cannot. */
bool tcp_service_listen(uint16_t port, const struct netif *netif, tcp_accept_fn accept, void *argument);

/* Sends line and closes the connection: ERR_OK, or ERR_ABRT once it had to abort it (lwIP's callbacks return it). */
err_t tcp_service_answer_and_close(struct tcp_pcb *connection, const char *line, size_t length);

#endif
