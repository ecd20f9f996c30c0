/* One request, one answer: the calls other than the streams, with the retries of the idempotent ones. */
#ifndef KAPSEL_UNARY_CALL_H
#define KAPSEL_UNARY_CALL_H

#include "client_internal.h"

struct rpc_method {
    const char *path; /* "/kapsel.v1.VmService/GetVm" */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
    bool idempotent; /* retried on UNAVAILABLE */
};

/* Makes the call; *response (may be NULL: the answer is dropped) is the host's answer when the code is KAPSEL_OK. */
int unary_call(struct kapsel_client *client, const struct rpc_method *method, const ProtobufCMessage *request,
               const struct kapsel_call_options *call_options, ProtobufCMessage **response,
               struct kapsel_status *status);

#endif
