/*
 * ImageService (api/kapsel/v1/image_service.proto) over lib/grpc and the image store.
 *
 *   UploadImage  a client stream: the first message must be the header, every later one a chunk (1 byte to 1 MiB);
 *                the content is hashed as it arrives and the image is stored at the half-close when size and SHA-256
 *                match the header. Any error ends the call at once and gives back the upload's memory and
 *                reservation, as does a cancelled stream. An image that exists already is answered as it is.
 *   GetImage, ListImages, DeleteImage   unary; Image.used_by from the VM registry.
 */
#ifndef AGENT_IMAGE_SERVICE_H
#define AGENT_IMAGE_SERVICE_H

#include "image_store.h"

#include <kapsel/grpc_server.h>

#define IMAGE_SERVICE_METHOD_COUNT 4

/* UploadImage's largest request message: a chunk of IMAGE_CHUNK_MAX_BYTES and its field's tag and length. A larger
 * message is refused by lib/grpc (RESOURCE_EXHAUSTED) before it is buffered; a chunk a few bytes over the limit
 * reaches the store, which says INVALID_ARGUMENT "chunk: ...". */
#define IMAGE_UPLOAD_REQUEST_MAX_BYTES (IMAGE_CHUNK_MAX_BYTES + 64u)

struct agent_api;

/* Writes ImageService's methods ("/kapsel.v1.ImageService/UploadImage", ...), each with context api. */
void image_service_methods(struct agent_api *api, struct grpc_method methods[IMAGE_SERVICE_METHOD_COUNT]);

#endif
