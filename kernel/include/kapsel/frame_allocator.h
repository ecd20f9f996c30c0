/*
 * Physical page frames: one bit per frame over a span of physical memory
 * (1 = free). Blocks of 2^order frames are aligned to their own size, which is
 * what flexpage mappings and large pages need.
 */
#ifndef KAPSEL_FRAME_ALLOCATOR_H
#define KAPSEL_FRAME_ALLOCATOR_H

#include <kapsel/boot_info.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_SIZE 4096u
#define FRAME_MAX_ORDER 18 /* 1 GiB blocks */

struct frame_allocator {
    uint64_t *bitmap;
    uint64_t base;      /* physical address of frame 0 of the span */
    size_t frame_count; /* frames in the span */
    size_t free_count;
    size_t search_start; /* no free frame below this bitmap word */
};

/* Bytes of bitmap storage needed for a span of frame_count frames. */
size_t frame_allocator_bitmap_size(size_t frame_count);

/* Starts with every frame of the span in use; base must be frame-aligned. */
enum error frame_allocator_init(struct frame_allocator *allocator, uint64_t *bitmap, uint64_t base, size_t frame_count);

/* Marks a frame-aligned range free; refuses ranges outside the span or already free. */
enum error frame_allocator_add_free(struct frame_allocator *allocator, struct phys_range range);

/* One free block of 2^order frames aligned to its size; ERROR_OUT_OF_MEMORY when none is left. */
enum error frame_allocator_alloc(struct frame_allocator *allocator, unsigned order, uint64_t *phys);

/* True if the frame containing phys is inside the span and free. */
bool frame_allocator_is_free(const struct frame_allocator *allocator, uint64_t phys);

/* Returns a block; refuses misaligned blocks, blocks outside the span and blocks not fully allocated. */
enum error frame_allocator_free(struct frame_allocator *allocator, uint64_t phys, unsigned order);

#endif
