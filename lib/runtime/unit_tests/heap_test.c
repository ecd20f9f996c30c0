/* Unit tests for the program break behind sbrk() (lib/runtime/heap.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "heap.h"

#include <stdbool.h>

#define BASE ((uintptr_t)0x200000000000)
#define PAGE HEAP_PAGE_SIZE

/* A fake Memory capability: records the pages it backs, and can run out after a number of them. */
static uintptr_t backed[64];
static size_t backed_count;
static size_t pages_available;

static enum error back_page(uintptr_t address)
{
    if (backed_count == pages_available) {
        return ERROR_OUT_OF_MEMORY;
    }
    backed[backed_count++] = address;
    return ERROR_NONE;
}

static int set_up(void **state)
{
    (void)state;
    backed_count = 0;
    pages_available = 64;
    return 0;
}

static void test_break_starts_at_base_and_moves(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 16 * PAGE, NULL), ERROR_NONE);
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, 100, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)BASE);
    assert_int_equal(heap_move_break(&heap, 0, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)(BASE + 100));
    assert_int_equal(heap_move_break(&heap, -50, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)(BASE + 100));
    assert_int_equal(heap_move_break(&heap, 0, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)(BASE + 50));
}

static void test_break_may_reach_the_limit_but_not_pass_it(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 16 * PAGE, NULL), ERROR_NONE);
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, 16 * PAGE + 1, &previous), ERROR_OUT_OF_MEMORY);
    assert_int_equal(heap_move_break(&heap, 16 * PAGE, &previous), ERROR_NONE);
    assert_int_equal(heap_move_break(&heap, 1, &previous), ERROR_OUT_OF_MEMORY);
    assert_int_equal(heap_move_break(&heap, INTPTR_MAX, &previous), ERROR_OUT_OF_MEMORY);
    assert_int_equal(heap_move_break(&heap, 0, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)(BASE + 16 * PAGE)); /* failures left the break alone */
}

static void test_break_cannot_go_below_base(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 16 * PAGE, NULL), ERROR_NONE);
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, -1, &previous), ERROR_OUT_OF_RANGE);
    assert_int_equal(heap_move_break(&heap, INTPTR_MIN, &previous), ERROR_OUT_OF_RANGE);
    assert_int_equal(heap_move_break(&heap, 10, &previous), ERROR_NONE);
    assert_int_equal(heap_move_break(&heap, -11, &previous), ERROR_OUT_OF_RANGE);
    assert_int_equal(heap_move_break(&heap, -10, &previous), ERROR_NONE);
    assert_int_equal(heap_move_break(&heap, 0, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)BASE);
}

static void test_empty_heap_refuses_growth(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 0, NULL), ERROR_NONE);
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, 1, &previous), ERROR_OUT_OF_MEMORY);
    assert_int_equal(heap_move_break(&heap, 0, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)BASE);
}

static void test_window_must_not_wrap(void **state)
{
    (void)state;
    struct heap heap;
    uintptr_t top_page = UINTPTR_MAX - PAGE + 1;
    assert_int_equal(heap_init(&heap, top_page, PAGE, NULL), ERROR_OUT_OF_RANGE);
    assert_int_equal(heap_init(&heap, top_page - 1, PAGE, NULL), ERROR_NONE); /* ends at the last byte */
    /* Backed page by page, the end rounded up to a page must not wrap either. */
    assert_int_equal(heap_init(&heap, top_page, PAGE - 1, back_page), ERROR_OUT_OF_RANGE);
    assert_int_equal(heap_init(&heap, top_page - PAGE, PAGE, back_page), ERROR_NONE);
}

static void test_backed_heap_needs_an_aligned_base(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE + 8, PAGE, back_page), ERROR_INVALID_ARGUMENT);
    assert_int_equal(heap_init(&heap, BASE + 8, PAGE, NULL), ERROR_NONE);
}

static void test_pages_are_backed_once_as_the_break_passes_them(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 16 * PAGE, back_page), ERROR_NONE);
    assert_int_equal(backed_count, 0);
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, 1, &previous), ERROR_NONE);
    assert_int_equal(backed_count, 1);
    assert_int_equal(backed[0], BASE);
    assert_int_equal(heap_move_break(&heap, PAGE - 1, &previous), ERROR_NONE); /* still inside page 0 */
    assert_int_equal(backed_count, 1);
    assert_int_equal(heap_move_break(&heap, 2 * PAGE + 1, &previous), ERROR_NONE);
    assert_int_equal(backed_count, 4);
    for (size_t i = 0; i < backed_count; i++) {
        assert_int_equal(backed[i], BASE + i * PAGE);
    }
    /* Lowering the break keeps the pages; growing again reuses them. */
    assert_int_equal(heap_move_break(&heap, -(intptr_t)(3 * PAGE), &previous), ERROR_NONE);
    assert_int_equal(heap_move_break(&heap, 3 * PAGE, &previous), ERROR_NONE);
    assert_int_equal(backed_count, 4);
}

static void test_failed_backing_leaves_the_break_and_keeps_the_pages_made(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 16 * PAGE, back_page), ERROR_NONE);
    pages_available = 2;
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, 4 * PAGE, &previous), ERROR_OUT_OF_MEMORY);
    assert_int_equal(backed_count, 2);
    assert_int_equal(heap_move_break(&heap, 0, &previous), ERROR_NONE);
    assert_ptr_equal(previous, (void *)BASE);
    /* What was backed is not asked for again. */
    pages_available = 4;
    assert_int_equal(heap_move_break(&heap, 4 * PAGE, &previous), ERROR_NONE);
    assert_int_equal(backed_count, 4);
    assert_int_equal(backed[2], BASE + 2 * PAGE);
    assert_int_equal(backed[3], BASE + 3 * PAGE);
}

static void test_backing_stops_at_the_limit(void **state)
{
    (void)state;
    struct heap heap;
    assert_int_equal(heap_init(&heap, BASE, 2 * PAGE + 10, back_page), ERROR_NONE);
    void *previous = NULL;
    assert_int_equal(heap_move_break(&heap, 2 * PAGE + 11, &previous), ERROR_OUT_OF_MEMORY);
    assert_int_equal(backed_count, 0);
    assert_int_equal(heap_move_break(&heap, 2 * PAGE + 10, &previous), ERROR_NONE);
    assert_int_equal(backed_count, 3); /* the partial last page too */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_break_starts_at_base_and_moves, set_up),
        cmocka_unit_test_setup(test_break_may_reach_the_limit_but_not_pass_it, set_up),
        cmocka_unit_test_setup(test_break_cannot_go_below_base, set_up),
        cmocka_unit_test_setup(test_empty_heap_refuses_growth, set_up),
        cmocka_unit_test_setup(test_window_must_not_wrap, set_up),
        cmocka_unit_test_setup(test_backed_heap_needs_an_aligned_base, set_up),
        cmocka_unit_test_setup(test_pages_are_backed_once_as_the_break_passes_them, set_up),
        cmocka_unit_test_setup(test_failed_backing_leaves_the_break_and_keeps_the_pages_made, set_up),
        cmocka_unit_test_setup(test_backing_stops_at_the_limit, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
