#include <kapsel/kmem.h>
#include <kapsel/memory.h>
#include <kapsel/panic.h>
#include <string.h>

#define SMALLEST_CLASS_SHIFT 5 /* 32 bytes */
#define LARGEST_CLASS_SHIFT 11 /* 2 KiB */
#define CLASS_COUNT (LARGEST_CLASS_SHIFT - SMALLEST_CLASS_SHIFT + 1)

struct free_chunk {
    struct free_chunk *next;
    uint64_t poison; /* FREE_POISON while on a free list: catches double frees */
};

#define FREE_POISON 0x6b6d656d66726565ull

/* Free chunks per size class; slab frames are never returned (their chunks are reused). */
static struct free_chunk *free_lists[CLASS_COUNT];

static unsigned size_shift(size_t size)
{
    unsigned shift = SMALLEST_CLASS_SHIFT;
    while (((size_t)1 << shift) < size) {
        shift++;
    }
    return shift;
}

static unsigned block_order(size_t size)
{
    unsigned order = 0;
    while (((size_t)FRAME_SIZE << order) < size) {
        order++;
    }
    return order;
}

size_t kmem_charge_size(size_t size)
{
    unsigned shift = size_shift(size);
    if (shift <= LARGEST_CLASS_SHIFT) {
        return (size_t)1 << shift;
    }
    return (size_t)FRAME_SIZE << block_order(size);
}

static void *alloc_frames(unsigned order)
{
    uint64_t phys;
    if (frame_allocator_alloc(physical_memory(), order, &phys) != ERROR_NONE) {
        return NULL;
    }
    return phys_to_virt(phys);
}

static bool refill(unsigned class_index)
{
    char *frame = alloc_frames(0);
    if (!frame) {
        return false;
    }
    size_t chunk = (size_t)1 << (class_index + SMALLEST_CLASS_SHIFT);
    for (size_t offset = 0; offset + chunk <= FRAME_SIZE; offset += chunk) {
        struct free_chunk *free_chunk = (struct free_chunk *)(frame + offset);
        free_chunk->poison = FREE_POISON;
        free_chunk->next = free_lists[class_index];
        free_lists[class_index] = free_chunk;
    }
    return true;
}

void *kmem_alloc(size_t size)
{
    unsigned shift = size_shift(size);
    void *memory;
    if (shift > LARGEST_CLASS_SHIFT) {
        memory = alloc_frames(block_order(size));
        if (memory) {
            memset(memory, 0, (size_t)FRAME_SIZE << block_order(size));
        }
        return memory;
    }
    unsigned class_index = shift - SMALLEST_CLASS_SHIFT;
    if (!free_lists[class_index] && !refill(class_index)) {
        return NULL;
    }
    struct free_chunk *chunk = free_lists[class_index];
    free_lists[class_index] = chunk->next;
    memset(chunk, 0, (size_t)1 << shift);
    return chunk;
}

void kmem_free(void *memory, size_t size)
{
    if (!memory) {
        return;
    }
    unsigned shift = size_shift(size);
    if (shift > LARGEST_CLASS_SHIFT) {
        frame_allocator_free(physical_memory(), virt_to_phys(memory), block_order(size));
        return;
    }
    struct free_chunk *chunk = memory;
    if (chunk->poison == FREE_POISON) {
        panic("kmem: double free of %p (%zu bytes) from %p", memory, size, __builtin_return_address(0));
    }
    chunk->poison = FREE_POISON;
    chunk->next = free_lists[shift - SMALLEST_CLASS_SHIFT];
    free_lists[shift - SMALLEST_CLASS_SHIFT] = chunk;
}
