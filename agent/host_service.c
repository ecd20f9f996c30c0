/* See host_service.h. */
#include "host_service.h"

#include "agent_api.h"
#include "api_call.h"
#include "kapsel/v1/host_service.pb-c.h"

#define METHOD_PREFIX "/kapsel.v1.HostService/"

static struct agent_api *api_of(const struct grpc_call *call)
{
    return grpc_call_method(call)->context;
}

static char *text(const char *value)
{
    /* protobuf-c only reads the strings it packs. */
    return (char *)(value ? value : "");
}

static void get_host_info(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__get_host_info_request__descriptor, bytes, length)) {
        return;
    }
    api_request_free(&request);
    struct agent_api *api = api_of(call);
    struct host_facts facts = {0};
    api->config.host_facts(api->config.host_facts_context, &facts);
    struct vm_registry_usage usage;
    /* A tenant's token counts its own VMs only; the guest RAM figures are the host's, for placing VMs. */
    vm_registry_usage(api->config.registry, api_call_tenant(call), &usage);

    Kapsel__V1__HostInfo info = KAPSEL__V1__HOST_INFO__INIT;
    info.name = text(facts.name);
    info.version = text(facts.version);
    info.architecture = text(facts.architecture);
    info.cpus = facts.cpus;
    info.memory_total_bytes = facts.memory_total_bytes;
    info.memory_free_bytes = facts.memory_free_bytes;
    info.vms_running = usage.vms_running;
    info.vms_total = usage.vms_total;
    info.uptime_seconds = facts.uptime_seconds;
    info.max_image_bytes = api->config.images->config.max_image_bytes;
    info.vm_memory_limit_bytes = usage.memory_limit_bytes;
    info.vm_memory_used_bytes = usage.memory_used_bytes;
    if (api->config.attestation_key) {
        info.attestation_public_key = (ProtobufCBinaryData){.len = sizeof(api->config.attestation_key->public_key),
                                                            .data = api->config.attestation_key->public_key};
    }
    api_call_reply(call, &info.base);
}

static void health(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__health_request__descriptor, bytes, length)) {
        return;
    }
    api_request_free(&request);
    Kapsel__V1__HealthResponse response = KAPSEL__V1__HEALTH_RESPONSE__INIT;
    /* An agent that answers serves: nothing it depends on can be down while its loop runs. */
    response.status = KAPSEL__V1__HEALTH_RESPONSE__SERVING_STATUS__SERVING;
    api_call_reply(call, &response.base);
}

void host_service_methods(struct agent_api *api, struct grpc_method methods[HOST_SERVICE_METHOD_COUNT])
{
    const struct grpc_method table[HOST_SERVICE_METHOD_COUNT] = {
        {.path = METHOD_PREFIX "GetHostInfo", .kind = GRPC_METHOD_UNARY, .on_request = get_host_info},
        {.path = METHOD_PREFIX "Health", .kind = GRPC_METHOD_UNARY, .on_request = health, .anonymous = true},
    };
    for (size_t i = 0; i < HOST_SERVICE_METHOD_COUNT; i++) {
        methods[i] = table[i];
        methods[i].max_request_size = API_REQUEST_MAX_BYTES;
        methods[i].send_queue_limit = API_UNARY_SEND_QUEUE_BYTES;
        methods[i].context = api;
    }
}
