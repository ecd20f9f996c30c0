/*
 * Pagination of the API's List methods (ListVms, ListImages): page sizes, and opaque page tokens.
 *
 * A list is in creation order, and every item has a creation number that only grows, so a token holds the
 * creation number of the last item of its page: the next page starts after it, whatever was created or deleted in
 * between. It also holds a hash of the request's filters (and of which list it is), so that a token used with other
 * filters or for another list is refused, and a check over both, so that a mangled token is refused. The check is
 * no secret: a client that forges a token gets no more than a page of the list it may read anyway.
 */
#ifndef AGENT_PAGE_TOKEN_H
#define AGENT_PAGE_TOKEN_H

#include "api_status.h"

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 500

/* 40 lowercase hex digits (creation number, filter hash, check) and the NUL. */
#define PAGE_TOKEN_BYTES 41

/* The page size for a request's page_size: 0 means PAGE_SIZE_DEFAULT; above PAGE_SIZE_MAX is INVALID_ARGUMENT. */
enum api_status page_size_resolve(uint32_t page_size, size_t *size, struct api_error *error);

/* The filter hash of a list: start with the list's name ("vms"), then add each filter field in a fixed order. */
uint64_t page_filter_hash_begin(const char *list_name);

/* Adds a string field; its length goes in too, so that ("ab", "c") and ("a", "bc") hash differently. */
uint64_t page_filter_hash_add(uint64_t hash, const char *field);

/* Writes the token that continues after the item with creation number last_position. */
void page_token_encode(char token[PAGE_TOKEN_BYTES], uint64_t last_position, uint64_t filter_hash);

/* Decodes a request's page_token into *last_position: INVALID_ARGUMENT "page_token: ..." when it is not a token
 * of this host or was issued for other filters. An empty token is the first page (*last_position = 0; creation
 * numbers start at 1). */
enum api_status page_token_decode(const char *token, uint64_t filter_hash, uint64_t *last_position,
                                  struct api_error *error);

#endif
