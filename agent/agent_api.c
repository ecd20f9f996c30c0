/* See agent_api.h. */
#include "agent_api.h"

#include <string.h>

enum api_status agent_api_init(struct agent_api *api, const struct agent_api_config *config, struct api_error *error)
{
    if (!config->registry || !config->images || !config->host_facts) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "agent api: the VM registry, the image store and host_facts are required");
    }
    /* VMs name images of the store ImageService serves: two stores would let images be deleted under VMs. */
    if (config->registry->config.images != config->images) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "agent api: the VM registry checks images in another image store");
    }
    memset(api, 0, sizeof(*api));
    api->config = *config;
    struct grpc_method *next = api->methods;
    vm_service_methods(api, next);
    next += VM_SERVICE_METHOD_COUNT;
    image_service_methods(api, next);
    next += IMAGE_SERVICE_METHOD_COUNT;
    host_service_methods(api, next);
    next += HOST_SERVICE_METHOD_COUNT;
    attestation_service_methods(api, next);
    return API_STATUS_OK;
}

const struct grpc_method *agent_api_methods(const struct agent_api *api, size_t *count)
{
    *count = AGENT_API_METHOD_COUNT;
    return api->methods;
}
