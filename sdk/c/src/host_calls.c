/* HostService's methods: their requests are empty, so the functions take none. */
#include "unary_call.h"

static const struct rpc_method GetHostInfo = {
    .path = "/kapsel.v1.HostService/GetHostInfo",
    .request = &kapsel__v1__get_host_info_request__descriptor,
    .response = &kapsel__v1__host_info__descriptor,
    .idempotent = true,
};

static const struct rpc_method Health = {
    .path = "/kapsel.v1.HostService/Health",
    .request = &kapsel__v1__health_request__descriptor,
    .response = &kapsel__v1__health_response__descriptor,
    .idempotent = true,
};

int kapsel_get_host_info(struct kapsel_client *client, const struct kapsel_call_options *call_options,
                         Kapsel__V1__HostInfo **info, struct kapsel_status *status)
{
    Kapsel__V1__GetHostInfoRequest request = KAPSEL__V1__GET_HOST_INFO_REQUEST__INIT;
    return unary_call(client, &GetHostInfo, &request.base, call_options, (ProtobufCMessage **)info, status);
}

int kapsel_health(struct kapsel_client *client, const struct kapsel_call_options *call_options,
                  Kapsel__V1__HealthResponse **response, struct kapsel_status *status)
{
    Kapsel__V1__HealthRequest request = KAPSEL__V1__HEALTH_REQUEST__INIT;
    return unary_call(client, &Health, &request.base, call_options, (ProtobufCMessage **)response, status);
}
