/* Unit tests for the bitmap frame allocator (kernel/core/frame_allocator.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/frame_allocator.h>
#include <string.h>

#define BASE 0x100000ull
#define FRAMES 256
#define SPAN_END (BASE + FRAMES * (uint64_t)FRAME_SIZE)
/* Fills the word after a bitmap; all ones, so reading a bit past the span looks like a free frame. */
#define SENTINEL UINT64_MAX

/* Frame i of the span. */
static uint64_t frame(size_t i)
{
    return BASE + i * (uint64_t)FRAME_SIZE;
}

static struct phys_range frames(size_t first, size_t count)
{
    return (struct phys_range){frame(first), frame(first + count)};
}

/* A span of FRAMES frames at BASE, all free; the bitmap has one extra word to catch overruns. */
struct fixture {
    struct frame_allocator allocator;
    uint64_t bitmap[FRAMES / 64 + 1];
};

static void init_all_free(struct fixture *fixture)
{
    fixture->bitmap[FRAMES / 64] = SENTINEL;
    assert_int_equal(frame_allocator_init(&fixture->allocator, fixture->bitmap, BASE, FRAMES), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(&fixture->allocator, frames(0, FRAMES)), ERROR_NONE);
    assert_int_equal(fixture->allocator.free_count, FRAMES);
}

static void test_bitmap_size(void **state)
{
    (void)state;
    assert_int_equal(frame_allocator_bitmap_size(0), 0);
    assert_int_equal(frame_allocator_bitmap_size(1), 8);
    assert_int_equal(frame_allocator_bitmap_size(64), 8);
    assert_int_equal(frame_allocator_bitmap_size(65), 16);
    assert_int_equal(frame_allocator_bitmap_size(256), 32);
    /* 4 GiB of 4 KiB frames is 2^20 bits = 128 KiB. */
    assert_int_equal(frame_allocator_bitmap_size(1u << 20), 128 * 1024);
}

static void test_init_refuses_bad_arguments(void **state)
{
    (void)state;
    struct frame_allocator allocator;
    uint64_t bitmap[4];
    assert_int_equal(frame_allocator_init(&allocator, NULL, BASE, 64), ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_init(&allocator, bitmap, BASE + 0x800, 64), ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_init(&allocator, bitmap, BASE + 1, 64), ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_init(&allocator, bitmap, BASE, 0), ERROR_INVALID_ARGUMENT);
}

/* init clears a bitmap full of garbage: every frame starts in use, and the word after the bitmap is untouched. */
static void test_everything_used_after_init(void **state)
{
    (void)state;
    struct frame_allocator allocator;
    uint64_t bitmap[FRAMES / 64 + 1];
    memset(bitmap, 0xff, sizeof(bitmap));
    bitmap[FRAMES / 64] = SENTINEL;
    assert_int_equal(frame_allocator_init(&allocator, bitmap, BASE, FRAMES), ERROR_NONE);
    assert_int_equal(allocator.free_count, 0);
    assert_int_equal(bitmap[FRAMES / 64], SENTINEL);
    for (size_t i = 0; i < FRAMES; i++) {
        assert_false(frame_allocator_is_free(&allocator, frame(i)));
    }
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(&allocator, 0, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(frame_allocator_alloc(&allocator, 3, &phys), ERROR_OUT_OF_MEMORY);
}

/* Single frames come lowest first, distinct, inside the freed range, until it is exhausted. */
static void test_alloc_lowest_first(void **state)
{
    (void)state;
    struct fixture fixture;
    fixture.bitmap[FRAMES / 64] = SENTINEL;
    struct frame_allocator *allocator = &fixture.allocator;
    assert_int_equal(frame_allocator_init(allocator, fixture.bitmap, BASE, FRAMES), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(allocator, frames(60, 10)), ERROR_NONE);
    assert_int_equal(allocator->free_count, 10);
    for (size_t i = 0; i < 10; i++) {
        uint64_t phys = 0;
        assert_int_equal(frame_allocator_alloc(allocator, 0, &phys), ERROR_NONE);
        assert_int_equal(phys, frame(60 + i));
        assert_false(frame_allocator_is_free(allocator, phys));
        assert_int_equal(allocator->free_count, 10 - i - 1);
    }
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(allocator, 0, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(fixture.bitmap[FRAMES / 64], SENTINEL);
}

/* Every frame of the span is handed out exactly once, including the last one. */
static void test_alloc_whole_span(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    bool seen[FRAMES] = {false};
    for (size_t i = 0; i < FRAMES; i++) {
        uint64_t phys = 0;
        assert_int_equal(frame_allocator_alloc(&fixture.allocator, 0, &phys), ERROR_NONE);
        assert_in_range(phys, BASE, SPAN_END - FRAME_SIZE);
        assert_int_equal(phys % FRAME_SIZE, 0);
        size_t index = (size_t)((phys - BASE) / FRAME_SIZE);
        assert_false(seen[index]);
        seen[index] = true;
    }
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, 0, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(fixture.allocator.free_count, 0);
    assert_int_equal(fixture.bitmap[FRAMES / 64], SENTINEL);
}

/* A freed frame is handed out again, even after allocation moved past its bitmap word. */
static void test_free_and_realloc(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    struct frame_allocator *allocator = &fixture.allocator;
    uint64_t phys[100];
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(frame_allocator_alloc(allocator, 0, &phys[i]), ERROR_NONE);
    }
    assert_int_equal(allocator->free_count, FRAMES - 100);
    assert_int_equal(frame_allocator_free(allocator, phys[3], 0), ERROR_NONE);
    assert_true(frame_allocator_is_free(allocator, phys[3]));
    assert_int_equal(allocator->free_count, FRAMES - 99);
    uint64_t again = 0;
    assert_int_equal(frame_allocator_alloc(allocator, 0, &again), ERROR_NONE);
    assert_int_equal(again, phys[3]);
    assert_int_equal(frame_allocator_alloc(allocator, 0, &again), ERROR_NONE);
    assert_int_equal(again, frame(100));
}

static void test_double_free(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, 0, &phys), ERROR_NONE);
    assert_int_equal(frame_allocator_free(&fixture.allocator, phys, 0), ERROR_NONE);
    assert_int_equal(frame_allocator_free(&fixture.allocator, phys, 0), ERROR_NOT_ALLOCATED);
    assert_int_equal(fixture.allocator.free_count, FRAMES);
    /* A frame that was never allocated. */
    assert_int_equal(frame_allocator_free(&fixture.allocator, frame(200), 0), ERROR_NOT_ALLOCATED);
}

/* A block is only returned whole: freeing a block of which one frame is already free is refused. */
static void test_free_partially_free_block(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    uint64_t block = 0;
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, 2, &block), ERROR_NONE);
    assert_int_equal(frame_allocator_free(&fixture.allocator, block + FRAME_SIZE, 0), ERROR_NONE);
    size_t free_before = fixture.allocator.free_count;
    assert_int_equal(frame_allocator_free(&fixture.allocator, block, 2), ERROR_NOT_ALLOCATED);
    assert_int_equal(fixture.allocator.free_count, free_before);
    assert_false(frame_allocator_is_free(&fixture.allocator, block));
}

static void test_free_misaligned(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, 0, &phys), ERROR_NONE);
    assert_int_equal(frame_allocator_free(&fixture.allocator, phys + 0x800, 0), ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_free(&fixture.allocator, phys + 1, 0), ERROR_INVALID_ARGUMENT);
    /* An order-1 block must be 8 KiB aligned; frame 1 (0x101000) is not. */
    assert_int_equal(frame_allocator_free(&fixture.allocator, frame(1), 1), ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_free(&fixture.allocator, phys, FRAME_MAX_ORDER + 1), ERROR_INVALID_ARGUMENT);
    assert_false(frame_allocator_is_free(&fixture.allocator, phys));
}

/*
 * A span of 250 frames, 0x100000..0x1fa000, all allocated: addresses below it, at or past its end, and a 64 KiB
 * block at 0x1f0000 that starts inside but overhangs the end are refused; the last frame is not.
 */
static void test_free_outside_span(void **state)
{
    (void)state;
    const uint64_t end = BASE + 250 * (uint64_t)FRAME_SIZE;
    struct frame_allocator allocator;
    uint64_t bitmap[4];
    assert_int_equal(frame_allocator_init(&allocator, bitmap, BASE, 250), ERROR_NONE);
    assert_int_equal(frame_allocator_free(&allocator, BASE - FRAME_SIZE, 0), ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_free(&allocator, 0, 0), ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_free(&allocator, end, 0), ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_free(&allocator, 0xfffffffffffff000ull, 0), ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_free(&allocator, 0x1f0000, 4), ERROR_OUT_OF_RANGE);
    /* The 2 MiB block at 0 covers the start of the span but begins below it. */
    assert_int_equal(frame_allocator_free(&allocator, 0, 9), ERROR_OUT_OF_RANGE);
    assert_int_equal(allocator.free_count, 0);
    assert_int_equal(frame_allocator_free(&allocator, end - FRAME_SIZE, 0), ERROR_NONE);
    assert_int_equal(allocator.free_count, 1);
}

static void test_add_free_overlap(void **state)
{
    (void)state;
    struct fixture fixture;
    fixture.bitmap[FRAMES / 64] = SENTINEL;
    struct frame_allocator *allocator = &fixture.allocator;
    assert_int_equal(frame_allocator_init(allocator, fixture.bitmap, BASE, FRAMES), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(allocator, frames(10, 10)), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(allocator, frames(10, 10)), ERROR_OVERLAP);
    assert_int_equal(frame_allocator_add_free(allocator, frames(5, 6)), ERROR_OVERLAP);
    assert_int_equal(frame_allocator_add_free(allocator, frames(19, 5)), ERROR_OVERLAP);
    assert_int_equal(frame_allocator_add_free(allocator, frames(0, 100)), ERROR_OVERLAP);
    /* Refused ranges change nothing: the frames around the free range are still in use. */
    assert_int_equal(allocator->free_count, 10);
    assert_false(frame_allocator_is_free(allocator, frame(9)));
    assert_false(frame_allocator_is_free(allocator, frame(20)));
    /* Adjacent ranges are fine. */
    assert_int_equal(frame_allocator_add_free(allocator, frames(20, 5)), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(allocator, frames(5, 5)), ERROR_NONE);
    assert_int_equal(allocator->free_count, 20);
}

static void test_add_free_bad_ranges(void **state)
{
    (void)state;
    struct fixture fixture;
    fixture.bitmap[FRAMES / 64] = SENTINEL;
    struct frame_allocator *allocator = &fixture.allocator;
    assert_int_equal(frame_allocator_init(allocator, fixture.bitmap, BASE, FRAMES), ERROR_NONE);
    /* Outside the span: below, above, and overhanging either end. */
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){0, BASE}), ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){SPAN_END, SPAN_END + 0x10000}),
                     ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){BASE - FRAME_SIZE, BASE + FRAME_SIZE}),
                     ERROR_OUT_OF_RANGE);
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){frame(250), SPAN_END + FRAME_SIZE}),
                     ERROR_OUT_OF_RANGE);
    /* Empty, inverted and misaligned ranges. */
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){frame(5), frame(5)}),
                     ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){frame(6), frame(5)}),
                     ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){frame(5) + 0x800, frame(7)}),
                     ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_add_free(allocator, (struct phys_range){frame(5), frame(7) + 1}),
                     ERROR_INVALID_ARGUMENT);
    assert_int_equal(allocator->free_count, 0);
}

/*
 * With the span starting at 0x101000 (aligned to no block size above 4 KiB), blocks must still be aligned to their
 * size in physical memory, not relative to the span: the first 16 KiB block is at 0x104000, the first 64 KiB block
 * at 0x110000.
 */
static void test_blocks_physically_aligned(void **state)
{
    (void)state;
    const uint64_t base = 0x101000;
    struct frame_allocator allocator;
    uint64_t bitmap[FRAMES / 64];
    assert_int_equal(frame_allocator_init(&allocator, bitmap, base, FRAMES), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(&allocator, (struct phys_range){base, base + FRAMES * FRAME_SIZE}),
                     ERROR_NONE);

    uint64_t block16k = 0;
    assert_int_equal(frame_allocator_alloc(&allocator, 2, &block16k), ERROR_NONE);
    assert_int_equal(block16k, 0x104000);
    for (uint64_t phys = block16k; phys < block16k + 0x4000; phys += FRAME_SIZE) {
        assert_false(frame_allocator_is_free(&allocator, phys));
    }
    assert_true(frame_allocator_is_free(&allocator, 0x103000));
    assert_true(frame_allocator_is_free(&allocator, 0x108000));

    uint64_t block64k = 0;
    assert_int_equal(frame_allocator_alloc(&allocator, 4, &block64k), ERROR_NONE);
    assert_int_equal(block64k, 0x110000);

    /* The next 16 KiB block fills the gap before the 64 KiB one. */
    uint64_t next16k = 0;
    assert_int_equal(frame_allocator_alloc(&allocator, 2, &next16k), ERROR_NONE);
    assert_int_equal(next16k, 0x108000);
    assert_int_equal(allocator.free_count, FRAMES - 4 - 16 - 4);

    for (unsigned order = 1; order <= 6; order++) {
        uint64_t phys = 0;
        assert_int_equal(frame_allocator_alloc(&allocator, order, &phys), ERROR_NONE);
        assert_int_equal(phys % ((uint64_t)FRAME_SIZE << order), 0);
        assert_true(phys >= base && phys + ((uint64_t)FRAME_SIZE << order) <= base + FRAMES * FRAME_SIZE);
    }

    assert_int_equal(frame_allocator_free(&allocator, block16k, 2), ERROR_NONE);
    assert_true(frame_allocator_is_free(&allocator, block16k));
    assert_true(frame_allocator_is_free(&allocator, block16k + 0x3000));
}

/* The span 0x101000..0x201000 holds 256 frames but no 1 MiB-aligned 1 MiB block. */
static void test_no_aligned_block_in_span(void **state)
{
    (void)state;
    const uint64_t base = 0x101000;
    struct frame_allocator allocator;
    uint64_t bitmap[FRAMES / 64];
    assert_int_equal(frame_allocator_init(&allocator, bitmap, base, FRAMES), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(&allocator, (struct phys_range){base, base + FRAMES * FRAME_SIZE}),
                     ERROR_NONE);
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(&allocator, 8, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(allocator.free_count, FRAMES);
    assert_int_equal(frame_allocator_alloc(&allocator, 7, &phys), ERROR_NONE);
    assert_int_equal(phys, 0x180000);
}

static void test_order_too_large(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, FRAME_MAX_ORDER + 1, &phys), ERROR_INVALID_ARGUMENT);
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, 64, &phys), ERROR_INVALID_ARGUMENT);
    /* The largest order is valid but needs more frames than the span has. */
    assert_int_equal(frame_allocator_alloc(&fixture.allocator, FRAME_MAX_ORDER, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(fixture.allocator.free_count, FRAMES);
}

/* Half the frames are free, but never two aligned neighbours: no order-1 block exists. */
static void test_fragmentation(void **state)
{
    (void)state;
    struct fixture fixture;
    fixture.bitmap[FRAMES / 64] = SENTINEL;
    struct frame_allocator *allocator = &fixture.allocator;
    assert_int_equal(frame_allocator_init(allocator, fixture.bitmap, BASE, FRAMES), ERROR_NONE);
    for (size_t i = 0; i < FRAMES; i += 2) {
        assert_int_equal(frame_allocator_add_free(allocator, frames(i, 1)), ERROR_NONE);
    }
    assert_int_equal(allocator->free_count, FRAMES / 2);
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(allocator, 1, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(frame_allocator_alloc(allocator, 4, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(allocator->free_count, FRAMES / 2);
    assert_int_equal(frame_allocator_alloc(allocator, 0, &phys), ERROR_NONE);
    assert_int_equal(phys, frame(0));
}

/* Frames 1 and 2 are free and contiguous, but straddle an 8 KiB boundary: still no order-1 block. */
static void test_contiguous_but_misaligned_pair(void **state)
{
    (void)state;
    struct fixture fixture;
    fixture.bitmap[FRAMES / 64] = SENTINEL;
    struct frame_allocator *allocator = &fixture.allocator;
    assert_int_equal(frame_allocator_init(allocator, fixture.bitmap, BASE, FRAMES), ERROR_NONE);
    assert_int_equal(frame_allocator_add_free(allocator, frames(1, 2)), ERROR_NONE);
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(allocator, 1, &phys), ERROR_OUT_OF_MEMORY);
    assert_int_equal(frame_allocator_add_free(allocator, frames(3, 1)), ERROR_NONE);
    assert_int_equal(frame_allocator_alloc(allocator, 1, &phys), ERROR_NONE);
    assert_int_equal(phys, frame(2));
    assert_int_equal(allocator->free_count, 1);
}

static void test_is_free(void **state)
{
    (void)state;
    struct fixture fixture;
    init_all_free(&fixture);
    struct frame_allocator *allocator = &fixture.allocator;
    assert_false(frame_allocator_is_free(allocator, 0));
    assert_false(frame_allocator_is_free(allocator, BASE - 1));
    assert_true(frame_allocator_is_free(allocator, BASE));
    assert_true(frame_allocator_is_free(allocator, SPAN_END - 1));
    assert_false(frame_allocator_is_free(allocator, SPAN_END));
    assert_false(frame_allocator_is_free(allocator, UINT64_MAX));
    uint64_t phys = 0;
    assert_int_equal(frame_allocator_alloc(allocator, 0, &phys), ERROR_NONE);
    /* Any address inside the frame reports on the whole frame. */
    assert_false(frame_allocator_is_free(allocator, phys + 0xfff));
    assert_true(frame_allocator_is_free(allocator, phys + FRAME_SIZE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmap_size),
        cmocka_unit_test(test_init_refuses_bad_arguments),
        cmocka_unit_test(test_everything_used_after_init),
        cmocka_unit_test(test_alloc_lowest_first),
        cmocka_unit_test(test_alloc_whole_span),
        cmocka_unit_test(test_free_and_realloc),
        cmocka_unit_test(test_double_free),
        cmocka_unit_test(test_free_partially_free_block),
        cmocka_unit_test(test_free_misaligned),
        cmocka_unit_test(test_free_outside_span),
        cmocka_unit_test(test_add_free_overlap),
        cmocka_unit_test(test_add_free_bad_ranges),
        cmocka_unit_test(test_blocks_physically_aligned),
        cmocka_unit_test(test_no_aligned_block_in_span),
        cmocka_unit_test(test_order_too_large),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_contiguous_but_misaligned_pair),
        cmocka_unit_test(test_is_free),
    };
    return cmocka_run_group_tests_name("frame_allocator_test", tests, NULL, NULL);
}
