/*
 * The agent's plain TCP health check (issue 6): whoever connects to its port
 * gets one line, "kapsel <host name> up <seconds> s\n", and the connection is
 * closed by the agent. It runs on lwIP's raw API, so it needs nothing but a
 * net_interface that is up (lib/net).
 */
#ifndef AGENT_HEALTH_SERVICE_H
#define AGENT_HEALTH_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEALTH_SERVICE_PORT 8080
#define HEALTH_LINE_SIZE 96

struct health_service {
    const char *host_name;
    uint64_t (*uptime_seconds)(void *context);
    void *context;
    uint64_t answered; /* connections that got their line */
};

/* The line for a connection now, NUL-terminated in line (HEALTH_LINE_SIZE bytes); its length. */
size_t health_service_line(const struct health_service *service, char *line);

struct netif;

/* Listens on port of netif (NULL: of every interface); false if lwIP cannot (port taken, no memory). */
bool health_service_start(struct health_service *service, uint16_t port, const struct netif *netif);

#endif
