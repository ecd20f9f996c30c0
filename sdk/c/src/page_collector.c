/* Moving the items of List pages into one array, through the messages' descriptors. */
#include "page_collector.h"

#include "client_status.h"

#include <stdlib.h>
#include <string.h>

/* Appends the page's items to collected and leaves the page without them. */
static int take_items(ProtobufCMessage *page, const ProtobufCFieldDescriptor *field, struct page_items *collected,
                      struct kapsel_status *status)
{
    size_t *count = (size_t *)((char *)page + field->quantifier_offset);
    ProtobufCMessage **items = *(ProtobufCMessage ***)((char *)page + field->offset);
    if (*count == 0) {
        return status_ok(status);
    }
    ProtobufCMessage **grown = realloc(collected->items, (collected->count + *count) * sizeof(*grown));
    if (grown == NULL) {
        return status_set(status, KAPSEL_RESOURCE_EXHAUSTED, "out of memory for %zu list items",
                          collected->count + *count);
    }
    memcpy(grown + collected->count, items, *count * sizeof(*grown));
    collected->items = grown;
    collected->count += *count;
    *count = 0; /* free_unpacked then frees the array, not the items */
    return status_ok(status);
}

int page_collect(page_fetch_fn fetch, void *context, const char *items_field, struct page_items *collected,
                 struct kapsel_status *status)
{
    *collected = (struct page_items){0};
    char *token = strdup("");
    int result = token ? KAPSEL_OK : status_set(status, KAPSEL_RESOURCE_EXHAUSTED, "out of memory for a page token");
    while (result == KAPSEL_OK) {
        ProtobufCMessage *page = NULL;
        result = fetch(context, token, &page, status);
        if (result != KAPSEL_OK) {
            break;
        }
        const ProtobufCFieldDescriptor *items =
            protobuf_c_message_descriptor_get_field_by_name(page->descriptor, items_field);
        const ProtobufCFieldDescriptor *next =
            protobuf_c_message_descriptor_get_field_by_name(page->descriptor, "next_page_token");
        if (items == NULL || items->label != PROTOBUF_C_LABEL_REPEATED || items->type != PROTOBUF_C_TYPE_MESSAGE ||
            next == NULL || next->type != PROTOBUF_C_TYPE_STRING) {
            result = status_set(status, KAPSEL_INVALID_ARGUMENT, "%s has no repeated %s and next_page_token",
                                page->descriptor->name, items_field);
        } else {
            result = take_items(page, items, collected, status);
        }
        const char *next_token = next ? *(const char **)((const char *)page + next->offset) : "";
        if (result == KAPSEL_OK && next_token[0] != '\0' && strcmp(next_token, token) == 0) {
            result = status_set(status, KAPSEL_INTERNAL, "the host answered page token \"%s\" with itself", token);
        }
        bool last = next_token[0] == '\0';
        free(token);
        token = result == KAPSEL_OK && !last ? strdup(next_token) : NULL;
        protobuf_c_message_free_unpacked(page, NULL);
        if (result == KAPSEL_OK && last) {
            return status_ok(status);
        }
        if (result == KAPSEL_OK && token == NULL) {
            result = status_set(status, KAPSEL_RESOURCE_EXHAUSTED, "out of memory for a page token");
        }
    }
    free(token);
    page_items_free(collected);
    return result;
}

void page_items_free(struct page_items *items)
{
    for (size_t i = 0; i < items->count; i++) {
        protobuf_c_message_free_unpacked(items->items[i], NULL);
    }
    free(items->items);
    *items = (struct page_items){0};
}
