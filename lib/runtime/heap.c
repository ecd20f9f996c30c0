#include "heap.h"

#include <stddef.h>

enum error heap_init(struct heap *heap, uintptr_t base, uintptr_t size, heap_back_page back_page)
{
    if (size > UINTPTR_MAX - base) {
        return ERROR_OUT_OF_RANGE;
    }
    if (back_page && base % HEAP_PAGE_SIZE != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    /* Backing goes page by page up to the end rounded up, which must not wrap either. */
    if (back_page && base + size > UINTPTR_MAX - (HEAP_PAGE_SIZE - 1)) {
        return ERROR_OUT_OF_RANGE;
    }
    heap->base = base;
    heap->limit = base + size;
    heap->brk = base;
    heap->backed_end = back_page ? base : heap->limit;
    heap->back_page = back_page;
    return ERROR_NONE;
}

enum error heap_move_break(struct heap *heap, intptr_t increment, void **previous_break)
{
    uintptr_t new_break;
    if (increment >= 0) {
        if ((uintptr_t)increment > heap->limit - heap->brk) {
            return ERROR_OUT_OF_MEMORY;
        }
        new_break = heap->brk + (uintptr_t)increment;
    } else {
        uintptr_t decrement = -(uintptr_t)increment; /* well defined even for INTPTR_MIN */
        if (decrement > heap->brk - heap->base) {
            return ERROR_OUT_OF_RANGE;
        }
        new_break = heap->brk - decrement;
    }
    while (heap->backed_end < new_break) {
        enum error error = heap->back_page(heap->backed_end);
        if (error != ERROR_NONE) {
            return error;
        }
        heap->backed_end += HEAP_PAGE_SIZE;
    }
    *previous_break = (void *)heap->brk;
    heap->brk = new_break;
    return ERROR_NONE;
}
