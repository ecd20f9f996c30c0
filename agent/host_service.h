/*
 * HostService (api/kapsel/v1/host_service.proto) over lib/grpc: GetHostInfo from the agent's own figures (struct
 * host_facts, filled by a callback at each call), the VM registry's usage and the image store's limit; Health, which
 * answers SERVING whenever the agent answers at all.
 */
#ifndef AGENT_HOST_SERVICE_H
#define AGENT_HOST_SERVICE_H

#include <kapsel/grpc_server.h>
#include <stdint.h>

#define HOST_SERVICE_METHOD_COUNT 2

/* HostInfo's figures that only the agent knows. Strings (NULL: empty) must stay valid until the call returns. */
struct host_facts {
    const char *name;         /* the agent's --host-name */
    const char *version;      /* Kapsel's version */
    const char *architecture; /* "x86_64" or "aarch64" */
    uint32_t cpus;
    uint64_t memory_total_bytes;
    uint64_t memory_free_bytes;
    uint64_t uptime_seconds;
};

struct agent_api;

/* Writes HostService's methods ("/kapsel.v1.HostService/GetHostInfo", ...), each with context api. */
void host_service_methods(struct agent_api *api, struct grpc_method methods[HOST_SERVICE_METHOD_COUNT]);

#endif
