/*
 * Page-aligned memory from the agent's heap, in whole pages, not zeroed (touching all of a large image's pages at
 * once would stall the agent; the image store writes every byte): where uploaded images live, so that their pages
 * can be mapped into uvmms as they are (the image store's allocator, image_store.h).
 */
#ifndef AGENT_PAGE_MEMORY_H
#define AGENT_PAGE_MEMORY_H

#include <stddef.h>

#define PAGE_MEMORY_PAGE_BYTES 4096

/* bytes (a multiple of PAGE_MEMORY_PAGE_BYTES) of page-aligned memory, or NULL. context is unused. */
void *page_memory_allocate(void *context, size_t bytes);

/* Gives back what page_memory_allocate or page_memory_allocate_aligned returned. */
void page_memory_release(void *context, void *memory, size_t bytes);

/* bytes of memory aligned to alignment (a power of two, at least a page), e.g. a switch port's rings. */
void *page_memory_allocate_aligned(size_t bytes, size_t alignment);

#endif
