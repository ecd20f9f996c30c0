/* Between gRPC core's forms and the library's: messages as byte buffers, call results as struct kapsel_status. */
#ifndef KAPSEL_GRPC_WIRE_H
#define KAPSEL_GRPC_WIRE_H

#include "kapsel/client.h"

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>

/* The packed message in a new byte buffer (grpc_byte_buffer_destroy; gRPC aborts when out of memory). */
grpc_byte_buffer *wire_pack(const ProtobufCMessage *message);

/* Unpacks and destroys buffer; INTERNAL (naming the message) when it does not decode. */
int wire_unpack(grpc_byte_buffer *buffer, const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **message,
                struct kapsel_status *status);

/* A call's final status: code and details, or gRPC's error string when the details are empty. */
int wire_status(struct kapsel_status *status, grpc_status_code code, grpc_slice details, const char *error_string);

#endif
