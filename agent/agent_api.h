/*
 * The agent's gRPC API (the .proto files in api/kapsel/v1): VmService, ImageService and HostService as one method table
 * for lib/grpc, over the model (vm_registry.h, image_store.h). The agent makes the store, the registry and this
 * context, then hands agent_api_methods() to grpc_server_create; nothing else is called per event: the streams
 * (WatchVms, StreamConsole) follow the registry through observers of their own, added and removed with their calls.
 *
 *   struct agent_api api;   // must stay where it is while the server runs: the methods point at it
 *   agent_api_init(&api, &(struct agent_api_config){.registry = &registry, .images = &images,
 *                                                   .host_facts = fill_host_facts}, &error);
 *   size_t count;
 *   const struct grpc_method *methods = agent_api_methods(&api, &count);
 *   grpc_server_create(&(struct grpc_server_config){.methods = methods, .method_count = count, .clock_ms = ...});
 *
 * Single-threaded, like lib/grpc and the model. The context owns no memory: each call in progress owns its own until
 * it ends, and grpc_connection_destroy ends them all (on_cancel), so once every connection is destroyed nothing of
 * the API is left (the counts below are then 0).
 */
#ifndef AGENT_AGENT_API_H
#define AGENT_AGENT_API_H

#include "api_status.h"
#include "attestation_key.h"
#include "attestation_service.h"
#include "host_service.h"
#include "image_service.h"
#include "image_store.h"
#include "vm_registry.h"
#include "vm_service.h"

#include <kapsel/grpc_server.h>
#include <stddef.h>

#define AGENT_API_METHOD_COUNT                                                                                         \
    (VM_SERVICE_METHOD_COUNT + IMAGE_SERVICE_METHOD_COUNT + HOST_SERVICE_METHOD_COUNT +                                \
     ATTESTATION_SERVICE_METHOD_COUNT)

struct agent_api_config {
    struct vm_registry *registry; /* whose image store is images */
    struct image_store *images;
    /* Fills the host's own figures for GetHostInfo, at each call. */
    void (*host_facts)(void *context, struct host_facts *facts);
    void *host_facts_context;
    /* The host's attestation key (HostInfo, AttestVm); NULL: none (no random source), AttestVm is UNAVAILABLE. */
    struct attestation_key *attestation_key;
    /* The uvmm image's SHA-256 (lowercase hex) that evidence names; NULL: the host cannot tell. */
    const char *vmm_sha256;
    /* The host's components the agent measured, for evidence (up to ATTESTATION_HOST_COMPONENTS_MAX). */
    const struct host_component *host_components;
    size_t host_component_count;
};

struct agent_api {
    struct agent_api_config config;
    /* Calls in progress that hold memory of the API's (for tests and the agent's diagnostics). */
    size_t watches;
    size_t console_streams;
    size_t uploads;
    struct grpc_method methods[AGENT_API_METHOD_COUNT];
};

/* Fills the method table, each method's context api. INVALID_ARGUMENT when the configuration lacks the registry,
 * the store or host_facts, or the registry checks images in another store. */
enum api_status agent_api_init(struct agent_api *api, const struct agent_api_config *config, struct api_error *error);

/* The method table of all four services, for grpc_server_config.methods; *count its length. */
const struct grpc_method *agent_api_methods(const struct agent_api *api, size_t *count);

#endif
