/* The client's state, shared by the files that make its calls. */
#ifndef KAPSEL_CLIENT_INTERNAL_H
#define KAPSEL_CLIENT_INTERNAL_H

#include "kapsel/client.h"

#include <grpc/grpc.h>

struct kapsel_client {
    grpc_channel *channel;
    char *address;
    struct kapsel_client_options options; /* options.token is NULL: the token lives in authorization */
    char *authorization;                  /* "Bearer <token>"; NULL: calls carry no token */
};

/* Whether a call has a deadline; the deadline itself, on GPR_CLOCK_MONOTONIC. */
struct call_deadline {
    bool bounded;
    gpr_timespec at;
};

/* A unary call's deadline: call_options' timeout, else the client's default. */
struct call_deadline call_deadline_unary(const struct kapsel_client *client,
                                         const struct kapsel_call_options *call_options);

/* A stream's deadline: call_options' timeout, else none. */
struct call_deadline call_deadline_stream(const struct kapsel_call_options *call_options);

/* gRPC's form of the deadline (infinite when unbounded). */
gpr_timespec call_deadline_grpc(struct call_deadline deadline);

/* A call's GRPC_OP_SEND_INITIAL_METADATA: the client's authorization header, if any, in *storage, which must outlive
 * the batch. */
grpc_op call_initial_metadata(const struct kapsel_client *client, grpc_metadata *storage);

#endif
