/* Unary calls over gRPC core: one batch with every op, a completion queue of their own, retries with backoff. */
#include "unary_call.h"

#include "backoff.h"
#include "client_status.h"
#include "grpc_wire.h"

#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdlib.h>

/* One attempt: the request out, the answer and the status back. The request is packed anew for each: a send
 * consumes its byte buffer's content. */
static int attempt(struct kapsel_client *client, const struct rpc_method *method, const ProtobufCMessage *message,
                   gpr_timespec deadline, ProtobufCMessage **response, struct kapsel_status *status)
{
    grpc_byte_buffer *request = wire_pack(message);
    grpc_completion_queue *queue = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice path = grpc_slice_from_static_string(method->path);
    grpc_call *call =
        grpc_channel_create_call(client->channel, NULL, GRPC_PROPAGATE_DEFAULTS, queue, path, NULL, deadline, NULL);
    grpc_metadata_array initial_metadata;
    grpc_metadata_array trailing_metadata;
    grpc_metadata_array_init(&initial_metadata);
    grpc_metadata_array_init(&trailing_metadata);
    grpc_byte_buffer *answer = NULL;
    grpc_status_code code = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    const char *error_string = NULL;
    grpc_metadata authorization;
    grpc_op ops[6] = {
        call_initial_metadata(client, &authorization),
        {.op = GRPC_OP_SEND_MESSAGE, .data.send_message.send_message = request},
        {.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT},
        {.op = GRPC_OP_RECV_INITIAL_METADATA, .data.recv_initial_metadata.recv_initial_metadata = &initial_metadata},
        {.op = GRPC_OP_RECV_MESSAGE, .data.recv_message.recv_message = &answer},
        {.op = GRPC_OP_RECV_STATUS_ON_CLIENT,
         .data.recv_status_on_client = {.trailing_metadata = &trailing_metadata,
                                        .status = &code,
                                        .status_details = &details,
                                        .error_string = &error_string}},
    };
    int result;
    if (grpc_call_start_batch(call, ops, sizeof(ops) / sizeof(ops[0]), ops, NULL) != GRPC_CALL_OK) {
        result = status_set(status, KAPSEL_INTERNAL, "%s: gRPC refused the call", method->path);
    } else {
        grpc_completion_queue_pluck(queue, ops, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        result = wire_status(status, code, details, error_string);
    }
    if (result == KAPSEL_OK && answer == NULL) {
        result = status_set(status, KAPSEL_INTERNAL, "%s: the host answered OK without a message", method->path);
    } else if (result == KAPSEL_OK) {
        result = wire_unpack(answer, method->response, response, status);
        answer = NULL;
    }
    if (answer) {
        grpc_byte_buffer_destroy(answer);
    }
    grpc_byte_buffer_destroy(request);
    grpc_slice_unref(details);
    gpr_free((void *)error_string);
    grpc_metadata_array_destroy(&initial_metadata);
    grpc_metadata_array_destroy(&trailing_metadata);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(queue);
    grpc_completion_queue_pluck(queue, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(queue);
    return result;
}

/* Waits delay_ms unless that would pass the deadline; false then. */
static bool wait_before_retry(uint32_t delay_ms, struct call_deadline deadline)
{
    gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(delay_ms, GPR_TIMESPAN));
    if (deadline.bounded && gpr_time_cmp(until, deadline.at) >= 0) {
        return false;
    }
    gpr_sleep_until(until);
    return true;
}

int unary_call(struct kapsel_client *client, const struct rpc_method *method, const ProtobufCMessage *request,
               const struct kapsel_call_options *call_options, ProtobufCMessage **response,
               struct kapsel_status *status)
{
    if (response) {
        *response = NULL;
    }
    if (client == NULL || request == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: %s is NULL", method->path,
                          client == NULL ? "the client" : "the request");
    }
    if (request->descriptor != method->request) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: the request is a %s, not a %s", method->path,
                          request->descriptor->name, method->request->name);
    }
    struct call_deadline deadline = call_deadline_unary(client, call_options);
    const struct kapsel_retry_policy *policy = &client->options.retry;
    uint32_t attempts = method->idempotent ? policy->max_attempts : 1;
    gpr_timespec started = gpr_now(GPR_CLOCK_MONOTONIC);
    unsigned random_state = (unsigned)started.tv_nsec ^ (unsigned)(uintptr_t)&started;
    ProtobufCMessage *answer = NULL;
    int result = KAPSEL_UNKNOWN;
    for (uint32_t number = 1; number <= attempts; number++) {
        result = attempt(client, method, request, call_deadline_grpc(deadline), &answer, status);
        if (result != KAPSEL_UNAVAILABLE || number == attempts) {
            break;
        }
        double random_fraction = (double)rand_r(&random_state) / RAND_MAX;
        if (!wait_before_retry(backoff_delay_ms(policy, number, random_fraction), deadline)) {
            break;
        }
    }
    if (response) {
        *response = answer;
    } else if (answer) {
        protobuf_c_message_free_unpacked(answer, NULL);
    }
    return result;
}
