/*
 * The agent's TCP sink (issue 6's throughput figure): whoever connects to its port may send any number of bytes;
 * the sink reads and counts them, and once the client has closed its side it answers one line, "<bytes> bytes\n",
 * and closes. lwIP raw API, like health_service.h.
 */
#ifndef AGENT_SINK_SERVICE_H
#define AGENT_SINK_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SINK_MAX_CONNECTIONS 4 /* at once; a further client is reset */
#define SINK_LINE_SIZE 32

struct tcp_pcb;

struct sink_connection {
    struct sink_service *service;
    struct tcp_pcb *pcb; /* NULL: the slot is free */
    uint64_t bytes;
};

struct sink_service {
    struct sink_connection connections[SINK_MAX_CONNECTIONS];
    uint64_t answered;   /* connections that got their line */
    uint64_t last_bytes; /* what the last of them sent */
};

/* "<bytes> bytes\n", NUL-terminated in line (SINK_LINE_SIZE bytes); its length. */
size_t sink_service_line(uint64_t bytes, char *line);

struct netif;

/* Listens on port of netif (NULL: of every interface); false if lwIP cannot (port taken, no memory). */
bool sink_service_start(struct sink_service *service, uint16_t port, const struct netif *netif);

#endif
