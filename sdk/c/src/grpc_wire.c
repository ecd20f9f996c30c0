/* Messages and statuses between gRPC core and the library. */
#include "grpc_wire.h"

#include "client_status.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

grpc_byte_buffer *wire_pack(const ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size(message);
    grpc_slice slice = grpc_slice_malloc(size);
    protobuf_c_message_pack(message, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *buffer = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return buffer;
}

int wire_unpack(grpc_byte_buffer *buffer, const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **message,
                struct kapsel_status *status)
{
    grpc_byte_buffer_reader reader;
    *message = NULL;
    if (!grpc_byte_buffer_reader_init(&reader, buffer)) {
        grpc_byte_buffer_destroy(buffer);
        return status_set(status, KAPSEL_INTERNAL, "the host's %s cannot be read", descriptor->name);
    }
    grpc_slice slice = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    grpc_byte_buffer_destroy(buffer);
    *message = protobuf_c_message_unpack(descriptor, NULL, GRPC_SLICE_LENGTH(slice), GRPC_SLICE_START_PTR(slice));
    grpc_slice_unref(slice);
    if (*message == NULL) {
        return status_set(status, KAPSEL_INTERNAL, "the host's %s does not decode", descriptor->name);
    }
    return status_ok(status);
}

int wire_status(struct kapsel_status *status, grpc_status_code code, grpc_slice details, const char *error_string)
{
    int length = (int)GRPC_SLICE_LENGTH(details);
    if (length == 0 && code != GRPC_STATUS_OK && error_string != NULL) {
        return status_set(status, (int)code, "%s", error_string);
    }
    return status_set(status, (int)code, "%.*s", length, (const char *)GRPC_SLICE_START_PTR(details));
}
