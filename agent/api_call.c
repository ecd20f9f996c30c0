/* See api_call.h. */
#include "api_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The model's codes are gRPC's, number for number. */
_Static_assert((int)API_STATUS_OK == (int)GRPC_STATUS_OK, "api_status numbers are gRPC's");
_Static_assert((int)API_STATUS_INVALID_ARGUMENT == (int)GRPC_STATUS_INVALID_ARGUMENT, "api_status numbers are gRPC's");
_Static_assert((int)API_STATUS_RESOURCE_EXHAUSTED == (int)GRPC_STATUS_RESOURCE_EXHAUSTED,
               "api_status numbers are gRPC's");
_Static_assert((int)API_STATUS_UNAUTHENTICATED == (int)GRPC_STATUS_MAX, "api_status numbers are gRPC's");

/* Each allocation carries its size in front, so that free can give it back to the budget; the header keeps the
 * block aligned for any type, as malloc's is. */
union allocation_header {
    size_t size;
    // cppcheck-suppress unusedStructMember ; it is there for its alignment only
    max_align_t align;
};

static void *budget_alloc(void *context, size_t size)
{
    struct api_request *request = context;
    if (size > request->budget_left || request->budget_left - size < sizeof(union allocation_header)) {
        request->budget_exceeded = true;
        return NULL;
    }
    union allocation_header *header = malloc(sizeof(*header) + size);
    if (!header) {
        request->budget_exceeded = true;
        return NULL;
    }
    header->size = size;
    request->budget_left -= sizeof(*header) + size;
    return header + 1;
}

static void budget_free(void *context, void *memory)
{
    struct api_request *request = context;
    union allocation_header *header = (union allocation_header *)memory - 1;
    request->budget_left += sizeof(*header) + header->size;
    free(header);
}

/*
 * protobuf-c 1.4.1's parse_tag_and_wiretype shifts an int: a tag whose fifth byte is 0x40 or more is undefined
 * behaviour there (UBSan: "left shift of 82 by 25 places cannot be represented in type 'int'"), reachable by any
 * client. No valid tag has such a byte (field numbers end at 2^29 - 1), so requests are walked first, through the
 * same descriptors protobuf-c will use, and one with an invalid tag (or malformed framing) is refused before
 * protobuf-c sees it.
 */
#define FIELD_NUMBER_MAX ((1u << 29) - 1)
/* The API's messages nest four deep (CreateVmRequest, Vm, VmSpec, Disk); anything deeper is not one of them. */
#define MESSAGE_DEPTH_MAX 8

enum wire_type {
    WIRE_VARINT = 0,
    WIRE_64BIT = 1,
    WIRE_LENGTH_PREFIXED = 2,
    WIRE_32BIT = 5,
};

static bool read_varint(const uint8_t **cursor, const uint8_t *end, uint64_t *value)
{
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*cursor == end) {
            return false;
        }
        uint8_t byte = *(*cursor)++;
        result |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *value = result;
            return true;
        }
    }
    return false;
}

static bool has_valid_tags(const ProtobufCMessageDescriptor *descriptor, const uint8_t *bytes, size_t length,
                           unsigned depth)
{
    if (depth > MESSAGE_DEPTH_MAX) {
        return false;
    }
    const uint8_t *cursor = bytes;
    const uint8_t *end = bytes + length;
    while (cursor < end) {
        uint64_t tag;
        uint64_t value;
        if (!read_varint(&cursor, end, &tag) || tag >> 3 == 0 || tag >> 3 > FIELD_NUMBER_MAX) {
            return false;
        }
        switch (tag & 7) {
        case WIRE_VARINT:
            if (!read_varint(&cursor, end, &value)) {
                return false;
            }
            break;
        case WIRE_64BIT:
        case WIRE_32BIT: {
            size_t size = (tag & 7) == WIRE_64BIT ? 8 : 4;
            if ((size_t)(end - cursor) < size) {
                return false;
            }
            cursor += size;
            break;
        }
        case WIRE_LENGTH_PREFIXED: {
            if (!read_varint(&cursor, end, &value) || value > (uint64_t)(end - cursor)) {
                return false;
            }
            /* A known message field is unpacked by protobuf-c in turn; unknown fields are kept as bytes. */
            const ProtobufCFieldDescriptor *field =
                protobuf_c_message_descriptor_get_field(descriptor, (unsigned)(tag >> 3));
            if (field && field->type == PROTOBUF_C_TYPE_MESSAGE &&
                !has_valid_tags(field->descriptor, cursor, (size_t)value, depth + 1)) {
                return false;
            }
            cursor += value;
            break;
        }
        default:
            return false; /* groups (3, 4) and 6, 7: not proto3's */
        }
    }
    return true;
}

bool api_request_unpack(struct api_request *request, struct grpc_call *call,
                        const ProtobufCMessageDescriptor *descriptor, const uint8_t *bytes, size_t length)
{
    memset(request, 0, sizeof(*request));
    request->allocator = (ProtobufCAllocator){.alloc = budget_alloc, .free = budget_free, .allocator_data = request};
    /* Capped so that the sum cannot wrap for any message the layer accepted. */
    size_t capped_length = length < SIZE_MAX / 4 ? length : SIZE_MAX / 4;
    request->budget_left = 2 * capped_length + API_UNPACK_BUDGET_BASE_BYTES;
    if (has_valid_tags(descriptor, bytes, length, 0)) {
        request->message = protobuf_c_message_unpack(descriptor, &request->allocator, length, bytes);
    }
    if (request->message) {
        return true;
    }
    char text[API_ERROR_MESSAGE_BYTES];
    if (request->budget_exceeded) {
        snprintf(text, sizeof(text), "request: decoding this %s of %zu bytes takes more memory than the host allows",
                 descriptor->name, length);
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, text);
    } else {
        snprintf(text, sizeof(text), "request: not a valid %s", descriptor->name);
        api_call_finish(call, API_STATUS_INVALID_ARGUMENT, text);
    }
    return false;
}

void api_request_free(struct api_request *request)
{
    if (request->message) {
        protobuf_c_message_free_unpacked(request->message, &request->allocator);
        request->message = NULL;
    }
}

enum grpc_status_code api_status_to_grpc(enum api_status code)
{
    if ((unsigned)code > GRPC_STATUS_MAX) {
        return GRPC_STATUS_INTERNAL;
    }
    return (enum grpc_status_code)code;
}

const char *api_call_tenant(const struct grpc_call *call)
{
    const struct api_principal *principal = grpc_call_principal(call);
    return principal != NULL && principal->tenant[0] != '\0' ? principal->tenant : NULL;
}

enum api_status api_call_check_tenant(const struct grpc_call *call, const char *field, const char *tenant,
                                      struct api_error *error)
{
    const char *own = api_call_tenant(call);
    if (own != NULL && strcmp(own, tenant != NULL ? tenant : "") != 0) {
        return api_error_set(error, API_STATUS_PERMISSION_DENIED, "%s: this token acts for tenant %s only", field, own);
    }
    return API_STATUS_OK;
}

enum api_status api_call_find_vm(const struct grpc_call *call, const struct vm_registry *registry, const char *name,
                                 const struct vm_record **vm, struct api_error *error)
{
    enum api_status status = vm_registry_get(registry, name, vm, error);
    const char *tenant = api_call_tenant(call);
    if (status == API_STATUS_OK && tenant != NULL && strcmp((*vm)->tenant, tenant) != 0) {
        return vm_registry_not_found(name, error);
    }
    return status;
}

enum api_status api_call_check_operator(const struct grpc_call *call, const char *what, struct api_error *error)
{
    const char *own = api_call_tenant(call);
    if (own != NULL) {
        return api_error_set(error, API_STATUS_PERMISSION_DENIED,
                             "%s needs an operator's token (this one acts for "
                             "tenant %s)",
                             what, own);
    }
    return API_STATUS_OK;
}

void api_call_finish(struct grpc_call *call, enum api_status code, const char *message)
{
    /* A failure here (a stream reset meanwhile, no memory for the trailers) resets the stream: the client learns
     * as much as it can, and the call is over either way. */
    (void)grpc_call_finish(call, api_status_to_grpc(code), message);
}

void api_call_fail(struct grpc_call *call, const struct api_error *error)
{
    api_call_finish(call, error->code, error->message);
}

enum grpc_result api_call_send(struct grpc_call *call, const ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size(message);
    /* The queue's free space is known before packing: a full queue costs no allocation. */
    if (size > grpc_call_send_queue_free(call)) {
        return GRPC_RESULT_QUEUE_FULL;
    }
    /* malloc(0) may return NULL: an empty message still gets a buffer. */
    uint8_t *packed = malloc(size > 0 ? size : 1);
    if (!packed) {
        return GRPC_RESULT_OUT_OF_MEMORY;
    }
    protobuf_c_message_pack(message, packed);
    enum grpc_result result = grpc_call_send_message(call, packed, size);
    free(packed);
    return result;
}

void api_call_fail_send(struct grpc_call *call, enum grpc_result result, const char *what)
{
    char text[API_ERROR_MESSAGE_BYTES];
    switch (result) {
    case GRPC_RESULT_QUEUE_FULL:
        snprintf(text, sizeof(text), "%s: the client did not read fast enough and the host's send queue is full", what);
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, text);
        return;
    case GRPC_RESULT_OUT_OF_MEMORY:
        snprintf(text, sizeof(text), "%s: the host has no memory for the response", what);
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, text);
        return;
    default:
        snprintf(text, sizeof(text), "%s: sending the response failed: %s", what, grpc_result_name(result));
        api_call_finish(call, API_STATUS_INTERNAL, text);
        return;
    }
}

void api_call_reply(struct grpc_call *call, const ProtobufCMessage *response)
{
    enum grpc_result result = api_call_send(call, response);
    if (result != GRPC_RESULT_OK) {
        api_call_fail_send(call, result, response->descriptor->name);
        return;
    }
    api_call_finish(call, API_STATUS_OK, NULL);
}
