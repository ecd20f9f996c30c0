/* The frame allocator on the machine's real memory map. */
#include <kapsel/kernel.h>
#include <kapsel/ktest.h>
#include <kapsel/memory.h>
#include <string.h>

#define ROUND_TRIP_FRAMES 64

KTEST(frame_allocator_round_trip)
{
    struct frame_allocator *frames = physical_memory();
    size_t free_before = frames->free_count;
    uint64_t allocated[ROUND_TRIP_FRAMES];
    for (size_t i = 0; i < ROUND_TRIP_FRAMES; i++) {
        KTEST_EXPECT(frame_allocator_alloc(frames, 0, &allocated[i]) == ERROR_NONE);
        KTEST_EXPECT(allocated[i] % FRAME_SIZE == 0);
        KTEST_EXPECT(!frame_allocator_is_free(frames, allocated[i]));
        /* Each frame is real, writable memory, distinct from every other. */
        memset(phys_to_virt(allocated[i]), (int)i, FRAME_SIZE);
    }
    for (size_t i = 0; i < ROUND_TRIP_FRAMES; i++) {
        const uint8_t *bytes = phys_to_virt(allocated[i]);
        KTEST_EXPECT(bytes[0] == (uint8_t)i && bytes[FRAME_SIZE - 1] == (uint8_t)i);
    }
    KTEST_EXPECT(frames->free_count == free_before - ROUND_TRIP_FRAMES);
    for (size_t i = 0; i < ROUND_TRIP_FRAMES; i++) {
        KTEST_EXPECT(frame_allocator_free(frames, allocated[i], 0) == ERROR_NONE);
    }
    KTEST_EXPECT(frames->free_count == free_before);
}

KTEST(frame_allocator_refuses_double_free)
{
    struct frame_allocator *frames = physical_memory();
    uint64_t frame;
    KTEST_EXPECT(frame_allocator_alloc(frames, 0, &frame) == ERROR_NONE);
    KTEST_EXPECT(frame_allocator_free(frames, frame, 0) == ERROR_NONE);
    KTEST_EXPECT(frame_allocator_free(frames, frame, 0) == ERROR_NOT_ALLOCATED);
    KTEST_EXPECT(frame_allocator_free(frames, frame + 1, 0) == ERROR_INVALID_ARGUMENT);
}

KTEST(frame_allocator_large_block_is_aligned)
{
    struct frame_allocator *frames = physical_memory();
    uint64_t block;
    KTEST_EXPECT(frame_allocator_alloc(frames, 9, &block) == ERROR_NONE);
    KTEST_EXPECT(block % (FRAME_SIZE << 9) == 0);
    KTEST_EXPECT(frame_allocator_free(frames, block, 9) == ERROR_NONE);
}

static bool range_has_free_frame(struct phys_range range)
{
    for (uint64_t phys = range.base & ~(uint64_t)(FRAME_SIZE - 1); phys < range.end; phys += FRAME_SIZE) {
        if (frame_allocator_is_free(physical_memory(), phys)) {
            return true;
        }
    }
    return false;
}

KTEST(frame_allocator_keeps_kernel_modules_and_loader_data)
{
    const struct boot_info *info = kernel_boot_info();
    KTEST_EXPECT(!range_has_free_frame(kernel_image_range()));
    KTEST_EXPECT(!range_has_free_frame((struct phys_range){0, 0x100000}));
    for (size_t i = 0; i < info->module_count; i++) {
        KTEST_EXPECT(!range_has_free_frame(
            (struct phys_range){info->modules[i].phys, info->modules[i].phys + info->modules[i].size}));
    }
    for (size_t i = 0; i < info->loader_data_count; i++) {
        KTEST_EXPECT(!range_has_free_frame(info->loader_data[i]));
    }
}

KTEST(frame_allocator_reports_exhaustion)
{
    struct frame_allocator *frames = physical_memory();
    uint64_t block;
    /* More than any test machine has: must fail cleanly, not hand out something. */
    KTEST_EXPECT(frame_allocator_alloc(frames, FRAME_MAX_ORDER, &block) == ERROR_OUT_OF_MEMORY ||
                 frame_allocator_free(frames, block, FRAME_MAX_ORDER) == ERROR_NONE);
    KTEST_EXPECT(frame_allocator_alloc(frames, FRAME_MAX_ORDER + 1, &block) == ERROR_INVALID_ARGUMENT);
}
