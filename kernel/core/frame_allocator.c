#include <kapsel/frame_allocator.h>
#include <stdbool.h>
#include <string.h>

#define BITS_PER_WORD 64u

static bool frame_is_free(const struct frame_allocator *allocator, size_t frame)
{
    return (allocator->bitmap[frame / BITS_PER_WORD] >> (frame % BITS_PER_WORD)) & 1u;
}

static void set_frames(struct frame_allocator *allocator, size_t first, size_t count, bool free)
{
    for (size_t frame = first; frame < first + count; frame++) {
        uint64_t bit = (uint64_t)1 << (frame % BITS_PER_WORD);
        if (free) {
            allocator->bitmap[frame / BITS_PER_WORD] |= bit;
        } else {
            allocator->bitmap[frame / BITS_PER_WORD] &= ~bit;
        }
    }
    if (free) {
        allocator->free_count += count;
    } else {
        allocator->free_count -= count;
    }
}

/* Checks that [first, first + count) are all free (want_free) or all allocated. */
static bool frames_all(const struct frame_allocator *allocator, size_t first, size_t count, bool want_free)
{
    for (size_t frame = first; frame < first + count; frame++) {
        if (frame_is_free(allocator, frame) != want_free) {
            return false;
        }
    }
    return true;
}

size_t frame_allocator_bitmap_size(size_t frame_count)
{
    return (frame_count + BITS_PER_WORD - 1) / BITS_PER_WORD * sizeof(uint64_t);
}

enum error frame_allocator_init(struct frame_allocator *allocator, uint64_t *bitmap, uint64_t base, size_t frame_count)
{
    if (!bitmap || base % FRAME_SIZE != 0 || frame_count == 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    memset(bitmap, 0, frame_allocator_bitmap_size(frame_count));
    *allocator = (struct frame_allocator){
        .bitmap = bitmap,
        .base = base,
        .frame_count = frame_count,
        .free_count = 0,
        .search_start = 0,
    };
    return ERROR_NONE;
}

/* Converts a physical block to a frame index after checking alignment and bounds. */
static enum error block_to_frame(const struct frame_allocator *allocator, uint64_t phys, uint64_t size, size_t *frame)
{
    if (phys % FRAME_SIZE != 0 || size % FRAME_SIZE != 0 || size == 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    if (phys < allocator->base) {
        return ERROR_OUT_OF_RANGE;
    }
    uint64_t first = (phys - allocator->base) / FRAME_SIZE;
    uint64_t count = size / FRAME_SIZE;
    if (first >= allocator->frame_count || count > allocator->frame_count - first) {
        return ERROR_OUT_OF_RANGE;
    }
    *frame = (size_t)first;
    return ERROR_NONE;
}

static void release_frames(struct frame_allocator *allocator, size_t first, size_t count)
{
    set_frames(allocator, first, count, true);
    if (first / BITS_PER_WORD < allocator->search_start) {
        allocator->search_start = first / BITS_PER_WORD;
    }
}

enum error frame_allocator_add_free(struct frame_allocator *allocator, struct phys_range range)
{
    if (range.end <= range.base) {
        return ERROR_INVALID_ARGUMENT;
    }
    size_t first;
    enum error error = block_to_frame(allocator, range.base, range.end - range.base, &first);
    if (error != ERROR_NONE) {
        return error;
    }
    size_t count = (size_t)((range.end - range.base) / FRAME_SIZE);
    if (!frames_all(allocator, first, count, false)) {
        return ERROR_OVERLAP;
    }
    release_frames(allocator, first, count);
    return ERROR_NONE;
}

static enum error alloc_single(struct frame_allocator *allocator, size_t *frame)
{
    size_t words = (allocator->frame_count + BITS_PER_WORD - 1) / BITS_PER_WORD;
    for (size_t word = allocator->search_start; word < words; word++) {
        if (allocator->bitmap[word] != 0) {
            allocator->search_start = word;
            *frame = word * BITS_PER_WORD + (size_t)__builtin_ctzll(allocator->bitmap[word]);
            return ERROR_NONE;
        }
    }
    allocator->search_start = words;
    return ERROR_OUT_OF_MEMORY;
}

/* Blocks are aligned in physical address space, not just relative to the span. */
static enum error alloc_block(const struct frame_allocator *allocator, unsigned order, size_t *frame)
{
    uint64_t block_size = (uint64_t)FRAME_SIZE << order;
    uint64_t phys = (allocator->base + block_size - 1) & ~(block_size - 1);
    size_t count = (size_t)1 << order;
    for (; phys >= allocator->base; phys += block_size) {
        size_t first = (size_t)((phys - allocator->base) / FRAME_SIZE);
        if (first >= allocator->frame_count || count > allocator->frame_count - first) {
            break;
        }
        if (frames_all(allocator, first, count, true)) {
            *frame = first;
            return ERROR_NONE;
        }
    }
    return ERROR_OUT_OF_MEMORY;
}

enum error frame_allocator_alloc(struct frame_allocator *allocator, unsigned order, uint64_t *phys)
{
    if (order > FRAME_MAX_ORDER) {
        return ERROR_INVALID_ARGUMENT;
    }
    if (allocator->free_count < ((size_t)1 << order)) {
        return ERROR_OUT_OF_MEMORY;
    }
    size_t frame;
    enum error error = order == 0 ? alloc_single(allocator, &frame) : alloc_block(allocator, order, &frame);
    if (error != ERROR_NONE) {
        return error;
    }
    set_frames(allocator, frame, (size_t)1 << order, false);
    *phys = allocator->base + (uint64_t)frame * FRAME_SIZE;
    return ERROR_NONE;
}

enum error frame_allocator_free(struct frame_allocator *allocator, uint64_t phys, unsigned order)
{
    if (order > FRAME_MAX_ORDER) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t size = (uint64_t)FRAME_SIZE << order;
    if (phys % size != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    size_t first;
    enum error error = block_to_frame(allocator, phys, size, &first);
    if (error != ERROR_NONE) {
        return error;
    }
    if (!frames_all(allocator, first, (size_t)1 << order, false)) {
        return ERROR_NOT_ALLOCATED;
    }
    release_frames(allocator, first, (size_t)1 << order);
    return ERROR_NONE;
}

bool frame_allocator_is_free(const struct frame_allocator *allocator, uint64_t phys)
{
    if (phys < allocator->base || (phys - allocator->base) / FRAME_SIZE >= allocator->frame_count) {
        return false;
    }
    return frame_is_free(allocator, (size_t)((phys - allocator->base) / FRAME_SIZE));
}
