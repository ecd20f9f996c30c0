/* ImageService's unary methods (UploadImage is a client stream: image_upload.c). */
#include "unary_call.h"

#define IMAGE_METHOD(name, request_type, response_type)                                                                \
    static const struct rpc_method name = {                                                                            \
        .path = "/kapsel.v1.ImageService/" #name,                                                                      \
        .request = &kapsel__v1__##request_type##__descriptor,                                                          \
        .response = &kapsel__v1__##response_type##__descriptor,                                                        \
        .idempotent = true,                                                                                            \
    }

IMAGE_METHOD(GetImage, get_image_request, image);
IMAGE_METHOD(ListImages, list_images_request, list_images_response);
IMAGE_METHOD(DeleteImage, delete_image_request, delete_image_response);

int kapsel_get_image(struct kapsel_client *client, const Kapsel__V1__GetImageRequest *request,
                     const struct kapsel_call_options *call_options, Kapsel__V1__Image **image,
                     struct kapsel_status *status)
{
    return unary_call(client, &GetImage, (const ProtobufCMessage *)request, call_options, (ProtobufCMessage **)image,
                      status);
}

int kapsel_list_images(struct kapsel_client *client, const Kapsel__V1__ListImagesRequest *request,
                       const struct kapsel_call_options *call_options, Kapsel__V1__ListImagesResponse **response,
                       struct kapsel_status *status)
{
    return unary_call(client, &ListImages, (const ProtobufCMessage *)request, call_options,
                      (ProtobufCMessage **)response, status);
}

int kapsel_delete_image(struct kapsel_client *client, const Kapsel__V1__DeleteImageRequest *request,
                        const struct kapsel_call_options *call_options, struct kapsel_status *status)
{
    return unary_call(client, &DeleteImage, (const ProtobufCMessage *)request, call_options, NULL, status);
}
