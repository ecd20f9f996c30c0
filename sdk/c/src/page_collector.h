/* Every page of a List method, collected: the pages' items in order, independent of the method and of gRPC. */
#ifndef KAPSEL_PAGE_COLLECTOR_H
#define KAPSEL_PAGE_COLLECTOR_H

#include "kapsel/client.h"

/* Fetches the page after page_token ("" for the first); *page is a List response that has a repeated message field
 * and a string next_page_token. */
typedef int (*page_fetch_fn)(void *context, const char *page_token, ProtobufCMessage **page,
                             struct kapsel_status *status);

struct page_items {
    ProtobufCMessage **items;
    size_t count;
};

/* Fetches pages until one's next_page_token is empty and moves the items of field items_field of each into
 * *collected. INTERNAL when a page repeats the token it was fetched with (the host would loop); on any error
 * *collected is empty. */
int page_collect(page_fetch_fn fetch, void *context, const char *items_field, struct page_items *collected,
                 struct kapsel_status *status);

void page_items_free(struct page_items *items);

#endif
