/*
 * What the agent's API services (vm_service, image_service, host_service) share between lib/grpc, protobuf-c and the
 * model: requests unpacked within a memory budget, responses packed and queued, calls finished with an api_error.
 *
 * Every function that finishes a call leaves the call pointer invalid afterwards (grpc_call_finish's rule).
 */
#ifndef AGENT_API_CALL_H
#define AGENT_API_CALL_H

#include "api_status.h"
#include "api_tokens.h"

#include <kapsel/grpc_server.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* grpc_method.max_request_size of every method but UploadImage: its requests are names, filters and a VM's spec
 * (a CreateVmRequest at its limits is about 3 KiB), so anything near this is not a request of the API. */
#define API_REQUEST_MAX_BYTES (64u * 1024)

/* grpc_method.send_queue_limit of the unary methods: the largest answer is a ListVms page of every VM at its limits
 * (64 VMs of about 3.3 KiB); the queue holds it at once. A bound, not a reservation: memory is taken per message. */
#define API_UNARY_SEND_QUEUE_BYTES (512u * 1024)

/* Decoding a request may allocate this much on top of twice its size (strings and bytes are copied, and each
 * element of a repeated field costs a pointer and a struct): a message of empty map entries, some 20 times its size
 * in memory, is refused instead of taking the heap. */
#define API_UNPACK_BUDGET_BASE_BYTES (64u * 1024)

/* A request unpacked by protobuf-c through an allocator that counts against a budget. Lives on the caller's stack
 * from api_request_unpack to api_request_free (protobuf-c frees through the same allocator). */
struct api_request {
    ProtobufCMessage *message; /* NULL unless unpacked */
    ProtobufCAllocator allocator;
    size_t budget_left;
    bool budget_exceeded;
};

/* Unpacks bytes as a descriptor message into request->message. On failure finishes the call, with
 * RESOURCE_EXHAUSTED when decoding needs more memory than the budget (or the heap) has, else INVALID_ARGUMENT
 * "request: not a valid kapsel.v1.GetVmRequest" (also for a tag beyond the field numbers, refused before protobuf-c
 * sees it: see api_call.c), and returns false. */
bool api_request_unpack(struct api_request *request, struct grpc_call *call,
                        const ProtobufCMessageDescriptor *descriptor, const uint8_t *bytes, size_t length);

/* Frees what api_request_unpack made; nothing when it failed or was not called (request zeroed). */
void api_request_free(struct api_request *request);

/* The tenant the call acts for (api_tokens.h), or NULL when it acts for every tenant: an operator's token, or an
 * API without tokens. */
const char *api_call_tenant(const struct grpc_call *call);

/* OK when the call may act for tenant, else PERMISSION_DENIED "<field>: this token acts for tenant <t> only". */
enum api_status api_call_check_tenant(const struct grpc_call *call, const char *field, const char *tenant,
                                      struct api_error *error);

/* The VM named name in registry if the call may see it; another tenant's VM is NOT_FOUND, worded as for one that is
 * not there (vm_registry_not_found). */
enum api_status api_call_find_vm(const struct grpc_call *call, const struct vm_registry *registry, const char *name,
                                 const struct vm_record **vm, struct api_error *error);

/* OK when the call acts for every tenant, else PERMISSION_DENIED "<what> needs an operator's token". */
enum api_status api_call_check_operator(const struct grpc_call *call, const char *what, struct api_error *error);

/* The gRPC status code with the number of code; INTERNAL for a number that is not a canonical code. */
enum grpc_status_code api_status_to_grpc(enum api_status code);

/* Finishes the call with code and message (NULL or "": none). */
void api_call_finish(struct grpc_call *call, enum api_status code, const char *message);

/* Finishes the call with the error's code and message. */
void api_call_fail(struct grpc_call *call, const struct api_error *error);

/* Packs message and queues it on the call: GRPC_RESULT_OK, or why not (QUEUE_FULL: nothing queued, try later or
 * give up; OUT_OF_MEMORY; PROTOCOL_ERROR: the stream is gone). */
enum grpc_result api_call_send(struct grpc_call *call, const ProtobufCMessage *message);

/* Finishes a call whose api_call_send failed with result, saying so: RESOURCE_EXHAUSTED for a full queue or no
 * memory (what names the message, e.g. "WatchVms"), INTERNAL otherwise. */
void api_call_fail_send(struct grpc_call *call, enum grpc_result result, const char *what);

/* A unary call's answer: sends response and finishes with OK, or with api_call_fail_send's status if it cannot. */
void api_call_reply(struct grpc_call *call, const ProtobufCMessage *response);

#endif
