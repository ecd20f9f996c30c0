/* kapsel_client_connect and friends: a gRPC core channel with its options, call deadlines, the token's header. */
#include "backoff.h"
#include "bearer_token.h"
#include "client_internal.h"
#include "client_status.h"

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 30000
#define MAX_RECEIVE_MESSAGE_BYTES (16 * 1024 * 1024)

int kapsel_client_connect(const char *address, const struct kapsel_client_options *options,
                          struct kapsel_client **client, struct kapsel_status *status)
{
    static const struct kapsel_client_options defaults = KAPSEL_CLIENT_OPTIONS_DEFAULT;
    if (client == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_client_connect: client is NULL");
    }
    *client = NULL;
    if (address == NULL || address[0] == '\0') {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_client_connect: the address is empty");
    }
    options = options ? options : &defaults;
    if (!backoff_policy_valid(&options->retry)) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT,
                          "kapsel_client_connect: retry policy: max_attempts >= 1, 1 ms <= initial_backoff_ms <= "
                          "max_backoff_ms <= 1 h, multiplier >= 1, jitter_percent <= 100");
    }
    bool has_token = options->token != NULL && options->token[0] != '\0';
    if (has_token && !kapsel_token_valid(options->token)) {
        /* The token stays out of the message: messages end up in logs. */
        return status_set(status, KAPSEL_INVALID_ARGUMENT,
                          "kapsel_client_connect: the token is not 1 to %d bytes of visible ASCII (0x21 to 0x7e)",
                          KAPSEL_TOKEN_MAX_BYTES);
    }
    struct kapsel_client *created = calloc(1, sizeof(*created));
    char *address_copy = strdup(address);
    char *authorization = has_token ? bearer_authorization(options->token) : NULL;
    if (created == NULL || address_copy == NULL || (has_token && authorization == NULL)) {
        free(created);
        free(address_copy);
        free(authorization);
        return status_set(status, KAPSEL_RESOURCE_EXHAUSTED, "kapsel_client_connect: out of memory");
    }
    created->address = address_copy;
    created->authorization = authorization;
    created->options = *options;
    created->options.token = NULL;
    if (created->options.default_timeout_ms == 0) {
        created->options.default_timeout_ms = DEFAULT_TIMEOUT_MS;
    }
    grpc_init();
    grpc_arg arguments[] = {
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_HTTP_PROXY, .value.integer = options->use_http_proxy ? 1 : 0},
        {.type = GRPC_ARG_INTEGER,
         .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = MAX_RECEIVE_MESSAGE_BYTES},
        /* A connection of its own, not one shared with other clients of the same address in this process. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1},
    };
    grpc_channel_args channel_arguments = {.num_args = sizeof(arguments) / sizeof(arguments[0]), .args = arguments};
    grpc_channel_credentials *credentials = grpc_insecure_credentials_create();
    created->channel = grpc_channel_create(address, credentials, &channel_arguments);
    grpc_channel_credentials_release(credentials);
    if (created->channel == NULL) {
        kapsel_client_close(created);
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_client_connect: cannot create a channel to %s",
                          address);
    }
    *client = created;
    return status_ok(status);
}

void kapsel_client_close(struct kapsel_client *client)
{
    if (client == NULL) {
        return;
    }
    if (client->channel) {
        grpc_channel_destroy(client->channel);
    }
    free(client->address);
    free(client->authorization);
    free(client);
    grpc_shutdown();
}

const char *kapsel_client_address(const struct kapsel_client *client)
{
    return client ? client->address : "";
}

static struct call_deadline deadline_after(uint32_t timeout_ms)
{
    if (timeout_ms == KAPSEL_NO_DEADLINE) {
        return (struct call_deadline){.bounded = false};
    }
    return (struct call_deadline){
        .bounded = true,
        .at = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN)),
    };
}

struct call_deadline call_deadline_unary(const struct kapsel_client *client,
                                         const struct kapsel_call_options *call_options)
{
    uint32_t timeout_ms =
        call_options && call_options->timeout_ms ? call_options->timeout_ms : client->options.default_timeout_ms;
    return deadline_after(timeout_ms);
}

struct call_deadline call_deadline_stream(const struct kapsel_call_options *call_options)
{
    return deadline_after(call_options && call_options->timeout_ms ? call_options->timeout_ms : KAPSEL_NO_DEADLINE);
}

gpr_timespec call_deadline_grpc(struct call_deadline deadline)
{
    return deadline.bounded ? deadline.at : gpr_inf_future(GPR_CLOCK_MONOTONIC);
}

grpc_op call_initial_metadata(const struct kapsel_client *client, grpc_metadata *storage)
{
    grpc_op op = {.op = GRPC_OP_SEND_INITIAL_METADATA};
    if (client->authorization) {
        /* Static slices: no copy, the string lives as long as the client, which outlives its calls. */
        *storage = (grpc_metadata){.key = grpc_slice_from_static_string("authorization"),
                                   .value = grpc_slice_from_static_string(client->authorization)};
        op.data.send_initial_metadata.count = 1;
        op.data.send_initial_metadata.metadata = storage;
    }
    return op;
}
