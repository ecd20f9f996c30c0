#include <kapsel/memory.h>
#include <kapsel/memory_map.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>

/* Linker-script symbols: physical bounds of the loaded image. */
extern char __kernel_phys_start[];
extern char __kernel_phys_end[];

/* Real-mode leftovers (IVT, BDA, EBDA, option ROMs) stay untouched. */
#define LOW_MEMORY_END 0x100000
/* The boot page tables map this much physical memory; the bitmap must lie below it. */
#define BOOT_MAPPED_END 0x100000000ull
#define MAX_FREE_RANGES 256

static struct frame_allocator frames;
static const struct boot_info *boot_memory; /* the validated boot information physical memory was built from */

struct frame_allocator *physical_memory(void)
{
    return &frames;
}

struct phys_range kernel_image_range(void)
{
    return (struct phys_range){(uint64_t)(uintptr_t)__kernel_phys_start, (uint64_t)(uintptr_t)__kernel_phys_end};
}

static size_t collect_reserved(const struct boot_info *info, struct phys_range kernel_image,
                               struct phys_range *reserved)
{
    size_t count = 0;
    reserved[count++] = (struct phys_range){0, LOW_MEMORY_END};
    reserved[count++] = kernel_image;
    for (size_t i = 0; i < info->module_count; i++) {
        reserved[count++] = (struct phys_range){info->modules[i].phys, info->modules[i].phys + info->modules[i].size};
    }
    for (size_t i = 0; i < info->loader_data_count; i++) {
        reserved[count++] = info->loader_data[i];
    }
    return count;
}

/* Index of the first free range below the boot mapping that can hold the bitmap; count if none. */
static size_t bitmap_home(const struct phys_range *ranges, size_t count, uint64_t bitmap_size)
{
    for (size_t i = 0; i < count; i++) {
        if (ranges[i].end <= BOOT_MAPPED_END && ranges[i].end - ranges[i].base >= bitmap_size) {
            return i;
        }
    }
    return count;
}

void physical_memory_init(const struct boot_info *info, struct phys_range kernel_image)
{
    struct phys_range reserved[2 + BOOT_MAX_MODULES + 4];
    static struct phys_range free_ranges[MAX_FREE_RANGES];
    size_t free_count = 0;
    size_t reserved_count = collect_reserved(info, kernel_image, reserved);
    boot_memory = info;
    enum error error = memory_map_free_ranges(info->memory, info->memory_count, reserved, reserved_count, FRAME_SIZE,
                                              free_ranges, MAX_FREE_RANGES, &free_count);
    if (error != ERROR_NONE) {
        boot_fail("cannot use the memory map: %s", error_name(error));
    }
    if (free_count == 0) {
        boot_fail("no free RAM is left after the kernel image and boot modules");
    }

    uint64_t span_base = free_ranges[0].base;
    size_t span_frames = (size_t)((free_ranges[free_count - 1].end - span_base) / FRAME_SIZE);
    uint64_t bitmap_size = (frame_allocator_bitmap_size(span_frames) + FRAME_SIZE - 1) & ~(uint64_t)(FRAME_SIZE - 1);
    size_t home = bitmap_home(free_ranges, free_count, bitmap_size);
    if (home == free_count) {
        boot_fail("no room below 4 GiB for the %llu-byte frame bitmap", (unsigned long long)bitmap_size);
    }
    uint64_t bitmap_phys = free_ranges[home].base;
    free_ranges[home].base += bitmap_size;

    error = frame_allocator_init(&frames, phys_to_virt(bitmap_phys), span_base, span_frames);
    uint64_t free_bytes = 0;
    for (size_t i = 0; i < free_count && error == ERROR_NONE; i++) {
        if (free_ranges[i].base < free_ranges[i].end) {
            error = frame_allocator_add_free(&frames, free_ranges[i]);
            free_bytes += free_ranges[i].end - free_ranges[i].base;
        }
    }
    if (error != ERROR_NONE) {
        panic("frame allocator set-up failed: %s", error_name(error));
    }
    kprintf("Memory: %llu KiB free in %zu ranges, frame bitmap %llu KiB at %#llx\n",
            (unsigned long long)(free_bytes / 1024), free_count, (unsigned long long)(bitmap_size / 1024),
            (unsigned long long)bitmap_phys);
}

enum error physical_memory_check_device_range(uint64_t base, uint64_t end)
{
    struct phys_range reserved[2 + BOOT_MAX_MODULES + 4];
    size_t reserved_count = collect_reserved(boot_memory, kernel_image_range(), reserved);
    return memory_map_check_device_range(boot_memory->memory, boot_memory->memory_count, reserved, reserved_count,
                                         FRAME_SIZE, (struct phys_range){base, end});
}
