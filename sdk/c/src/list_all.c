/* kapsel_list_all_vms and kapsel_list_all_images: ListVms and ListImages through the page collector. */
#include "client_status.h"
#include "page_collector.h"

struct vm_pages {
    struct kapsel_client *client;
    const Kapsel__V1__ListVmsRequest *filter;
    const struct kapsel_call_options *call_options;
};

static int fetch_vm_page(void *context, const char *page_token, ProtobufCMessage **page, struct kapsel_status *status)
{
    const struct vm_pages *pages = context;
    Kapsel__V1__ListVmsRequest request = *pages->filter;
    request.page_token = (char *)page_token;
    return kapsel_list_vms(pages->client, &request, pages->call_options, (Kapsel__V1__ListVmsResponse **)page, status);
}

int kapsel_list_all_vms(struct kapsel_client *client, const Kapsel__V1__ListVmsRequest *request,
                        const struct kapsel_call_options *call_options, struct kapsel_vm_list *list,
                        struct kapsel_status *status)
{
    if (list == NULL || request == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_list_all_vms: %s is NULL",
                          list == NULL ? "the list" : "the request");
    }
    struct vm_pages pages = {.client = client, .filter = request, .call_options = call_options};
    struct page_items items;
    int result = page_collect(fetch_vm_page, &pages, "vms", &items, status);
    list->vms = (Kapsel__V1__Vm **)items.items;
    list->count = items.count;
    return result;
}

struct image_pages {
    struct kapsel_client *client;
    const struct kapsel_call_options *call_options;
};

static int fetch_image_page(void *context, const char *page_token, ProtobufCMessage **page,
                            struct kapsel_status *status)
{
    const struct image_pages *pages = context;
    Kapsel__V1__ListImagesRequest request = KAPSEL__V1__LIST_IMAGES_REQUEST__INIT;
    request.page_token = (char *)page_token;
    return kapsel_list_images(pages->client, &request, pages->call_options, (Kapsel__V1__ListImagesResponse **)page,
                              status);
}

int kapsel_list_all_images(struct kapsel_client *client, const struct kapsel_call_options *call_options,
                           struct kapsel_image_list *list, struct kapsel_status *status)
{
    if (list == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_list_all_images: the list is NULL");
    }
    struct image_pages pages = {.client = client, .call_options = call_options};
    struct page_items items;
    int result = page_collect(fetch_image_page, &pages, "images", &items, status);
    list->images = (Kapsel__V1__Image **)items.items;
    list->count = items.count;
    return result;
}

void kapsel_vm_list_free(struct kapsel_vm_list *list)
{
    if (list) {
        struct page_items items = {.items = (ProtobufCMessage **)list->vms, .count = list->count};
        page_items_free(&items);
        list->vms = NULL;
        list->count = 0;
    }
}

void kapsel_image_list_free(struct kapsel_image_list *list)
{
    if (list) {
        struct page_items items = {.items = (ProtobufCMessage **)list->images, .count = list->count};
        page_items_free(&items);
        list->images = NULL;
        list->count = 0;
    }
}
