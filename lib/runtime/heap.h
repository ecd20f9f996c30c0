/*
 * The program break behind sbrk(): a fixed window [base, base + size) of the
 * address space (pure logic, unit-tested on the host). Pages are either there
 * already on first touch (a Micro-App's pager provides them) or made usable
 * one at a time through back_page (the root task, which has no pager, asks
 * its Memory capability for each).
 */
#ifndef RUNTIME_HEAP_H
#define RUNTIME_HEAP_H

#include <kapsel/error.h>
#include <stdint.h>

#define HEAP_PAGE_SIZE 4096u

/* Makes the page at address readable and writable. */
typedef enum error (*heap_back_page)(uintptr_t address);

struct heap {
    uintptr_t base;
    uintptr_t limit;          /* base + size */
    uintptr_t brk;            /* the current break */
    uintptr_t backed_end;     /* pages below this are usable (back_page is not asked again) */
    heap_back_page back_page; /* NULL: a pager backs the whole window */
};

/*
 * Starts an empty heap. ERROR_OUT_OF_RANGE if the window (rounded up to whole
 * pages, with back_page) wraps around the address space; ERROR_INVALID_ARGUMENT
 * if back_page is given and base is not page-aligned.
 */
enum error heap_init(struct heap *heap, uintptr_t base, uintptr_t size, heap_back_page back_page);

/*
 * Moves the break by increment and reports where it was. Fails, leaving the
 * break where it was, with ERROR_OUT_OF_MEMORY beyond the window (or when a
 * page cannot be backed: back_page's error), and ERROR_OUT_OF_RANGE below its
 * base. Pages behind a lowered break stay usable and are reused.
 */
enum error heap_move_break(struct heap *heap, intptr_t increment, void **previous_break);

#endif
