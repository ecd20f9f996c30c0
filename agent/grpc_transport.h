/*
 * The agent's gRPC endpoint on lwIP's raw TCP API: it accepts connections on one port and runs each through a
 * lib/grpc connection. lwIP takes at most tcp_sndbuf() bytes at a time, so output is pulled from the connection as
 * room appears (lwIP's sent callback, and every loop round for what services sent meanwhile, e.g. console output).
 * A connection that breaks HTTP/2 is closed; the others are not touched.
 */
#ifndef AGENT_GRPC_TRANSPORT_H
#define AGENT_GRPC_TRANSPORT_H

#include <kapsel/grpc_server.h>
#include <lwip/tcp.h>
#include <stdbool.h>
#include <stdint.h>

#define GRPC_TRANSPORT_MAX_CONNECTIONS 20 /* the API serves at least 16 clients at once */

struct grpc_transport;

struct grpc_transport_connection {
    struct grpc_transport *transport;
    struct tcp_pcb *pcb;          /* NULL: a free entry */
    struct grpc_connection *grpc; /* lib/grpc's side */
    bool lost_output;             /* lwIP refused bytes lib/grpc had handed over: the stream is broken, close it */
};

struct grpc_transport {
    struct grpc_server *server;
    struct grpc_transport_connection connections[GRPC_TRANSPORT_MAX_CONNECTIONS];
    uint64_t accepted;
    uint64_t refused; /* every entry in use, or out of memory */
    uint64_t broken;  /* closed because the peer broke HTTP/2 */
};

/* Listens on port (every interface) and serves each connection with server; false if lwIP refuses the port. */
bool grpc_transport_start(struct grpc_transport *transport, struct grpc_server *server, uint16_t port);

/* Moves what services queued into lwIP, ends expired calls and closes finished connections; once per loop round. */
void grpc_transport_poll(struct grpc_transport *transport, uint64_t now_ms);

/* The earliest call deadline of any connection (GRPC_NO_DEADLINE: none): the loop's wait must not pass it. */
uint64_t grpc_transport_next_deadline_ms(const struct grpc_transport *transport);

#endif
