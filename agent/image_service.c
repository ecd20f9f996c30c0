/* See image_service.h. */
#include "image_service.h"

#include "agent_api.h"
#include "api_call.h"
#include "kapsel/v1/image_service.pb-c.h"
#include "vm_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METHOD_PREFIX "/kapsel.v1.ImageService/"

static struct agent_api *api_of(const struct grpc_call *call)
{
    return grpc_call_method(call)->context;
}

/* An Image message over a record (strings point into it) and its used_by, copied from the registry. */
struct image_message {
    Kapsel__V1__Image image;
    char (*user_names)[VM_NAME_BYTES];
    char **users;
};

struct user_list {
    char (*names)[VM_NAME_BYTES];
    size_t count;
    size_t capacity;
    const struct vm_registry *registry;
    const char *tenant; /* NULL: every tenant's VMs are listed; else only this tenant's (api_call_tenant) */
};

/* A tenant's token learns nothing of other tenants' VMs, not even their names in used_by. */
static bool visible_user(const struct user_list *list, const char *vm_name)
{
    const struct vm_record *vm;
    struct api_error error;
    return list->tenant == NULL || (vm_registry_get(list->registry, vm_name, &vm, &error) == API_STATUS_OK &&
                                    strcmp(vm->tenant, list->tenant) == 0);
}

static void count_user(void *context, const char *vm_name)
{
    struct user_list *list = context;
    if (visible_user(list, vm_name)) {
        list->count++;
    }
}

static void keep_user(void *context, const char *vm_name)
{
    struct user_list *list = context;
    if (list->count < list->capacity && visible_user(list, vm_name)) {
        snprintf(list->names[list->count], VM_NAME_BYTES, "%s", vm_name);
        list->count++;
    }
}

static void image_message_release(struct image_message *message)
{
    free(message->user_names);
    free(message->users);
    message->user_names = NULL;
    message->users = NULL;
}

/* RESOURCE_EXHAUSTED when used_by finds no memory. */
static enum api_status image_message_init(struct image_message *message, struct grpc_call *call,
                                          const struct image_store *store, const struct image_record *image,
                                          struct api_error *error)
{
    memset(message, 0, sizeof(*message));
    kapsel__v1__image__init(&message->image);
    message->image.name = (char *)image->name;
    message->image.sha256 = (char *)image->sha256;
    message->image.size_bytes = image->size_bytes;
    message->image.display_name = (char *)image->display_name;
    message->image.create_time_unix_ms = image->create_time_unix_ms;
    /* Counted first, then copied: nothing changes in between (single-threaded). */
    struct user_list list = {.registry = api_of(call)->config.registry, .tenant = api_call_tenant(call)};
    image_store_users(store, image, count_user, &list);
    if (list.count == 0) {
        return API_STATUS_OK;
    }
    message->user_names = calloc(list.count, sizeof(*message->user_names));
    message->users = calloc(list.count, sizeof(*message->users));
    if (!message->user_names || !message->users) {
        image_message_release(message);
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED, "%s: no memory for used_by", image->name);
    }
    list.names = message->user_names;
    list.capacity = list.count;
    list.count = 0;
    image_store_users(store, image, keep_user, &list);
    for (size_t i = 0; i < list.count; i++) {
        message->users[i] = message->user_names[i];
    }
    message->image.n_used_by = list.count;
    message->image.used_by = message->users;
    return API_STATUS_OK;
}

static void reply_image(struct grpc_call *call, const struct image_store *store, const struct image_record *image)
{
    struct image_message message;
    struct api_error error;
    if (image_message_init(&message, call, store, image, &error) != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    api_call_reply(call, &message.image.base);
    image_message_release(&message);
}

/* UploadImage: one per call, from its first message until it ends. */
struct upload_call {
    struct agent_api *api;
    struct image_upload upload; /* zeroed: not begun */
    bool header_received;
};

/* Gives back what the upload holds (nothing once finished) and frees the call's state. The call is not touched: it
 * may be finished already, and after a finish no on_cancel comes to look at its user data. */
static void upload_release(struct upload_call *upload)
{
    image_upload_abandon(&upload->upload);
    upload->api->uploads--;
    free(upload);
}

/* One UploadImageRequest into the upload; an error (the upload then ended) comes back in error. */
static enum api_status upload_take(struct upload_call *upload, const Kapsel__V1__UploadImageRequest *message,
                                   struct api_error *error)
{
    switch (message->part_case) {
    case KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_HEADER: {
        if (upload->header_received) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "header: sent again; only the first message is the header, the others are chunks");
        }
        upload->header_received = true;
        const Kapsel__V1__UploadImageHeader *header = message->header;
        struct image_upload_header begin = {
            .size_bytes = header->size_bytes,
            .sha256 = header->sha256,
            .display_name = header->display_name,
        };
        return image_upload_begin(upload->api->config.images, &upload->upload, &begin, error);
    }
    case KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_CHUNK:
        if (!upload->header_received) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "header: required as the first message, which was a chunk");
        }
        return image_upload_append(&upload->upload, message->chunk.data, message->chunk.len, error);
    default:
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "part: the message has neither header nor chunk");
    }
}

/* Images are the host's, shared by every tenant: only an operator's token adds or removes them. Finishes the call
 * and returns true when the call's token is a tenant's. */
static bool refuse_tenant(struct grpc_call *call, const char *what)
{
    struct api_error error;
    if (api_call_check_operator(call, what, &error) != API_STATUS_OK) {
        api_call_fail(call, &error);
        return true;
    }
    return false;
}

static void upload_message(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct upload_call *upload = grpc_call_user_data(call);
    if (!upload) {
        if (refuse_tenant(call, "UploadImage")) {
            return;
        }
        upload = calloc(1, sizeof(*upload));
        if (!upload) {
            api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "UploadImage: no memory for the upload");
            return;
        }
        upload->api = api_of(call);
        upload->api->uploads++;
        grpc_call_set_user_data(call, upload);
    }
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__upload_image_request__descriptor, bytes, length)) {
        upload_release(upload);
        return;
    }
    struct api_error error;
    enum api_status status = upload_take(upload, (const Kapsel__V1__UploadImageRequest *)request.message, &error);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        upload_release(upload);
        api_call_fail(call, &error);
    }
}

static void upload_half_close(struct grpc_call *call)
{
    struct upload_call *upload = grpc_call_user_data(call);
    if (!upload && refuse_tenant(call, "UploadImage")) {
        return;
    }
    if (!upload || !upload->header_received) {
        if (upload) {
            upload_release(upload);
        }
        api_call_finish(call, API_STATUS_INVALID_ARGUMENT, "header: required; the stream ended without a message");
        return;
    }
    struct agent_api *api = upload->api;
    const struct image_record *image = NULL;
    struct api_error error;
    enum api_status status = image_upload_finish(&upload->upload, &image, &error);
    upload_release(upload);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_image(call, api->config.images, image);
}

static void upload_cancelled(struct grpc_call *call)
{
    struct upload_call *upload = grpc_call_user_data(call);
    if (upload) {
        upload_release(upload);
    }
}

static void get_image(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__get_image_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__GetImageRequest *message = (const Kapsel__V1__GetImageRequest *)request.message;
    const struct image_store *store = api_of(call)->config.images;
    const struct image_record *image = NULL;
    struct api_error error;
    enum api_status status = image_store_get(store, message->name, &image, &error);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    reply_image(call, store, image);
}

static void reply_image_page(struct grpc_call *call, const struct image_store *store,
                             const struct image_list_page *page)
{
    struct image_message *messages = NULL;
    Kapsel__V1__Image **pointers = NULL;
    if (page->count > 0) {
        messages = calloc(page->count, sizeof(*messages));
        pointers = calloc(page->count, sizeof(*pointers));
        if (!messages || !pointers) {
            free(messages);
            free(pointers);
            api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "ListImages: the host has no memory for the response");
            return;
        }
    }
    struct api_error error;
    enum api_status status = API_STATUS_OK;
    size_t made = 0;
    for (; made < page->count && status == API_STATUS_OK; made++) {
        status = image_message_init(&messages[made], call, store, page->images[made], &error);
        pointers[made] = &messages[made].image;
    }
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
    } else {
        Kapsel__V1__ListImagesResponse response = KAPSEL__V1__LIST_IMAGES_RESPONSE__INIT;
        response.n_images = page->count;
        response.images = pointers;
        response.next_page_token = (char *)page->next_page_token;
        api_call_reply(call, &response.base);
    }
    for (size_t i = 0; i < made; i++) {
        image_message_release(&messages[i]);
    }
    free(messages);
    free(pointers);
}

static void list_images(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__list_images_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__ListImagesRequest *message = (const Kapsel__V1__ListImagesRequest *)request.message;
    const struct image_store *store = api_of(call)->config.images;
    /* 256 pointers and a token: too large for a Micro-App's stack. */
    struct image_list_page *page = malloc(sizeof(*page));
    if (!page) {
        api_request_free(&request);
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "ListImages: the host has no memory for the page");
        return;
    }
    struct api_error error;
    enum api_status status = image_store_list(store, message->page_size, message->page_token, page, &error);
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
    } else {
        reply_image_page(call, store, page);
    }
    free(page);
}

static void delete_image(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__delete_image_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__DeleteImageRequest *message = (const Kapsel__V1__DeleteImageRequest *)request.message;
    struct api_error error;
    enum api_status status = api_call_check_operator(call, "DeleteImage", &error);
    if (status == API_STATUS_OK) {
        status = image_store_delete(api_of(call)->config.images, message->name, &error);
    }
    api_request_free(&request);
    if (status != API_STATUS_OK) {
        api_call_fail(call, &error);
        return;
    }
    Kapsel__V1__DeleteImageResponse response = KAPSEL__V1__DELETE_IMAGE_RESPONSE__INIT;
    api_call_reply(call, &response.base);
}

void image_service_methods(struct agent_api *api, struct grpc_method methods[IMAGE_SERVICE_METHOD_COUNT])
{
    const struct grpc_method table[IMAGE_SERVICE_METHOD_COUNT] = {
        {.path = METHOD_PREFIX "UploadImage",
         .kind = GRPC_METHOD_CLIENT_STREAMING,
         .max_request_size = IMAGE_UPLOAD_REQUEST_MAX_BYTES,
         .on_message = upload_message,
         .on_half_close = upload_half_close,
         .on_cancel = upload_cancelled},
        {.path = METHOD_PREFIX "GetImage", .kind = GRPC_METHOD_UNARY, .on_request = get_image},
        {.path = METHOD_PREFIX "ListImages", .kind = GRPC_METHOD_UNARY, .on_request = list_images},
        {.path = METHOD_PREFIX "DeleteImage", .kind = GRPC_METHOD_UNARY, .on_request = delete_image},
    };
    for (size_t i = 0; i < IMAGE_SERVICE_METHOD_COUNT; i++) {
        methods[i] = table[i];
        if (methods[i].max_request_size == 0) {
            methods[i].max_request_size = API_REQUEST_MAX_BYTES;
        }
        methods[i].send_queue_limit = API_UNARY_SEND_QUEUE_BYTES;
        methods[i].context = api;
    }
}
