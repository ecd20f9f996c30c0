#include "control.h"

#include "control_request.h"
#include "ports.h"
#include "receive_window.h"

#include <kapsel/switch_control.h>
#include <stdio.h>
#include <string.h>

_Static_assert(1 + SWITCH_CONTROL_REASON_SIZE / 8 <= MESSAGE_REGISTERS, "a reason fits one reply");
_Static_assert(SWITCH_PORT_INFO_NETWORKS + SWITCH_PORT_MAX_NETWORKS <= MESSAGE_REGISTERS,
               "a port's info fits one reply");

/* A refusal: error as the reply's label, the reason as text in its words. */
static uint64_t refusal(enum error error, const char *reason)
{
    size_t bytes = strnlen(reason, SWITCH_CONTROL_REASON_SIZE - 1);
    utcb()->message[0] = bytes;
    memcpy(&utcb()->message[1], reason, bytes);
    return MESSAGE_TAG(error, 1 + (bytes + 7) / 8, 0);
}

static uint64_t port_info_reply(const struct port_info *info)
{
    uint64_t *message = utcb()->message;
    message[SWITCH_PORT_INFO_FRAMES_IN] = info->frames_in;
    message[SWITCH_PORT_INFO_FRAMES_OUT] = info->frames_out;
    message[SWITCH_PORT_INFO_DROPPED] = info->dropped_destination_full;
    message[SWITCH_PORT_INFO_FLAGS] = info->flags;
    message[SWITCH_PORT_INFO_NETWORK_COUNT] = info->network_count;
    for (unsigned i = 0; i < info->network_count; i++) {
        message[SWITCH_PORT_INFO_NETWORKS + i] = info->networks[i];
    }
    return MESSAGE_TAG(ERROR_NONE, SWITCH_PORT_INFO_NETWORKS + info->network_count, 0);
}

/* ATTACH into the port whose receive window pair the items landed in; *kept: the region and gate are the port's. */
static uint64_t attach(const struct control_request *request, unsigned pair, bool *kept)
{
    char reason[SWITCH_CONTROL_REASON_SIZE];
    if (pair == RECEIVE_WINDOW_SPARE) {
        snprintf(reason, sizeof(reason), "port %s: every one of the switch's %d ports is in use", request->name,
                 SWITCH_MAX_PORTS);
        return refusal(ERROR_TOO_MANY, reason);
    }
    const char *problem = receive_window_check(pair, request->region_size);
    if (!problem) {
        problem = ports_attach(pair, request->network, request->name, request->region_size, request->uplink);
    }
    if (problem) {
        snprintf(reason, sizeof(reason), "port %s: %s", request->name, problem);
        return refusal(ERROR_INVALID_ARGUMENT, reason);
    }
    *kept = true;
    printf("port %s (network %u): attached as %sport %u, %llu KiB\n", request->name, (unsigned)request->network,
           request->uplink ? "uplink " : "", pair, (unsigned long long)(request->region_size >> 10));
    utcb()->message[0] = pair;
    return MESSAGE_TAG(ERROR_NONE, 1, 0);
}

static uint64_t detach(const struct control_request *request)
{
    struct port_info info;
    if (!ports_is_runtime(request->port) || !ports_info(request->port, &info)) {
        char reason[SWITCH_CONTROL_REASON_SIZE];
        snprintf(reason, sizeof(reason), "port %u was not attached at runtime (the manifest's ports stay)",
                 request->port);
        return refusal(ERROR_NOT_FOUND, reason);
    }
    ports_detach(request->port);
    return port_info_reply(&info);
}

static uint64_t query(const struct control_request *request)
{
    struct port_info info;
    if (!ports_info(request->port, &info)) {
        char reason[SWITCH_CONTROL_REASON_SIZE];
        snprintf(reason, sizeof(reason), "port %u is not in use", request->port);
        return refusal(ERROR_NOT_FOUND, reason);
    }
    return port_info_reply(&info);
}

static uint64_t set_uplink_policy(const struct control_request *request)
{
    unsigned uplinks = ports_set_uplink_networks(request->networks, request->network_count);
    if (uplinks == 0) {
        return refusal(ERROR_NOT_FOUND, "the switch has no uplink port");
    }
    printf("uplink policy: %u networks may use the uplink\n", request->network_count);
    utcb()->message[0] = uplinks;
    return MESSAGE_TAG(ERROR_NONE, 1, 0);
}

void control_serve(struct invoke_result received, unsigned pair, bool enabled)
{
    bool kept = false;
    if (control_request_is_control(received.tag)) {
        char reason[SWITCH_CONTROL_REASON_SIZE];
        struct control_request request;
        enum error error =
            control_request_parse(received.label, received.tag, utcb()->message, &request, reason, sizeof(reason));
        uint64_t reply;
        if (error != ERROR_NONE) {
            reply = refusal(error, reason);
        } else if (!enabled) {
            reply =
                refusal(ERROR_INVALID_OPERATION, "this switch takes no control requests: it runs without --control");
        } else if (request.operation == SWITCH_CONTROL_ATTACH) {
            reply = attach(&request, pair, &kept);
        } else if (request.operation == SWITCH_CONTROL_DETACH) {
            reply = detach(&request);
        } else if (request.operation == SWITCH_CONTROL_QUERY) {
            reply = query(&request);
        } else {
            reply = set_uplink_policy(&request);
        }
        ipc_reply(reply);
    }
    if (!kept && MESSAGE_TAG_ITEMS(received.tag) > 0) {
        receive_window_clear(pair);
    }
}
