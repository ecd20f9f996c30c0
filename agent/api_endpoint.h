/*
 * The agent's API side, put together: the image store (images in the agent's heap), the VM registry with the uvmm
 * launcher as its backend, the gRPC services over lib/grpc, and their TCP endpoint on lwIP. One per agent; the main
 * loop starts it, gives it a turn every round and hands it the messages of the launch service.
 */
#ifndef AGENT_API_ENDPOINT_H
#define AGENT_API_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_endpoint_config {
    uint16_t port;
    const char *host_name;
    uint64_t image_bytes;            /* all images together */
    uint64_t vm_memory_bytes;        /* guest RAM of the VMs that are not ended */
    uint64_t start_seconds;          /* the agent's start (Unix time): the host's uptime */
    uint32_t management_network;     /* the agent's and the uplink's switch network, refused to tenants; 0: none */
    const uint32_t *uplink_networks; /* switch networks that share the uplink: never a tenant network's */
    size_t uplink_network_count;
    const char *api_tokens_file; /* one of the agent's files, the API's tokens (api_tokens.h); NULL: an open API */
    const char *measure;         /* "<file>[,<file>...]": the agent's files that evidence names as the host's */
};

/* Starts the endpoint; NULL, or why it cannot (no launcher capability, a bad or missing token file, lwIP refused
 * the port, out of memory). */
const char *api_endpoint_start(const struct api_endpoint_config *config);

/* Moves the API's output into lwIP, ends expired calls and overdue graceful stops; ms until it needs a turn again. */
uint64_t api_endpoint_poll(void);

/* A message the main loop received: true if it was the launch service's (a uvmm's log write or end). */
bool api_endpoint_receive(uint64_t label, uint64_t tag);

#endif
