#include <kapsel/memory_map.h>
#include <stdbool.h>

static uint64_t round_down(uint64_t value, uint64_t page_size)
{
    return value & ~(page_size - 1);
}

static uint64_t round_up(uint64_t value, uint64_t page_size)
{
    uint64_t rounded = round_down(value + page_size - 1, page_size);
    return rounded < value ? round_down(UINT64_MAX, page_size) : rounded;
}

static void sort_ranges(struct phys_range *ranges, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        struct phys_range key = ranges[i];
        size_t j = i;
        while (j > 0 && ranges[j - 1].base > key.base) {
            ranges[j] = ranges[j - 1];
            j--;
        }
        ranges[j] = key;
    }
}

static size_t merge_sorted_ranges(struct phys_range *ranges, size_t count)
{
    size_t merged = 0;
    for (size_t i = 0; i < count; i++) {
        if (merged > 0 && ranges[i].base <= ranges[merged - 1].end) {
            if (ranges[i].end > ranges[merged - 1].end) {
                ranges[merged - 1].end = ranges[i].end;
            }
        } else {
            ranges[merged++] = ranges[i];
        }
    }
    return merged;
}

/* Removes hole from the sorted, disjoint ranges; one range may split in two. */
static enum error subtract_range(struct phys_range *ranges, size_t *count, size_t capacity, struct phys_range hole)
{
    for (size_t i = 0; i < *count; i++) {
        struct phys_range *range = &ranges[i];
        if (hole.end <= range->base || hole.base >= range->end) {
            continue;
        }
        bool keeps_low = hole.base > range->base;
        bool keeps_high = hole.end < range->end;
        if (keeps_low && keeps_high) {
            if (*count == capacity) {
                return ERROR_TOO_MANY;
            }
            for (size_t j = *count; j > i + 1; j--) {
                ranges[j] = ranges[j - 1];
            }
            ranges[i + 1] = (struct phys_range){hole.end, range->end};
            range->end = hole.base;
            (*count)++;
            return ERROR_NONE;
        }
        if (keeps_low) {
            range->end = hole.base;
        } else if (keeps_high) {
            range->base = hole.end;
        } else {
            for (size_t j = i; j + 1 < *count; j++) {
                ranges[j] = ranges[j + 1];
            }
            (*count)--;
            i--;
        }
    }
    return ERROR_NONE;
}

enum error memory_map_free_ranges(const struct memory_region *regions, size_t region_count,
                                  const struct phys_range *reserved, size_t reserved_count, uint64_t page_size,
                                  struct phys_range *out, size_t capacity, size_t *out_count)
{
    if (page_size == 0 || (page_size & (page_size - 1)) != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    size_t count = 0;
    for (size_t i = 0; i < region_count; i++) {
        if (regions[i].type != MEMORY_USABLE) {
            continue;
        }
        uint64_t end = regions[i].base + regions[i].size;
        struct phys_range range = {round_up(regions[i].base, page_size),
                                   round_down(end < regions[i].base ? UINT64_MAX : end, page_size)};
        if (range.base >= range.end) {
            continue;
        }
        if (count == capacity) {
            return ERROR_TOO_MANY;
        }
        out[count++] = range;
    }
    sort_ranges(out, count);
    count = merge_sorted_ranges(out, count);

    /* Whatever the map marks as not usable stays out, even where usable entries overlap it. */
    for (size_t i = 0; i < region_count; i++) {
        if (regions[i].type == MEMORY_USABLE) {
            continue;
        }
        uint64_t end = regions[i].base + regions[i].size;
        struct phys_range hole = {round_down(regions[i].base, page_size),
                                  round_up(end < regions[i].base ? UINT64_MAX : end, page_size)};
        enum error error = subtract_range(out, &count, capacity, hole);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    for (size_t i = 0; i < reserved_count; i++) {
        if (reserved[i].end <= reserved[i].base) {
            continue; /* an empty range reserves nothing */
        }
        struct phys_range hole = {round_down(reserved[i].base, page_size), round_up(reserved[i].end, page_size)};
        enum error error = subtract_range(out, &count, capacity, hole);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    *out_count = count;
    return ERROR_NONE;
}

/* True if [base, base + size) grown to whole pages meets range (page-aligned); a wrapping end counts as the top. */
static bool pages_meet(uint64_t base, uint64_t end, uint64_t page_size, struct phys_range range)
{
    uint64_t first = round_down(base, page_size);
    uint64_t last = end <= base ? UINT64_MAX : round_up(end, page_size);
    return first < range.end && last > range.base;
}

enum error memory_map_check_device_range(const struct memory_region *regions, size_t region_count,
                                         const struct phys_range *reserved, size_t reserved_count, uint64_t page_size,
                                         struct phys_range range)
{
    if (page_size == 0 || (page_size & (page_size - 1)) != 0 || range.base >= range.end ||
        range.base % page_size != 0 || range.end % page_size != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < region_count; i++) {
        if (regions[i].type != MEMORY_RESERVED && regions[i].size != 0 &&
            pages_meet(regions[i].base, regions[i].base + regions[i].size, page_size, range)) {
            return ERROR_NOT_DEVICE_MEMORY;
        }
    }
    for (size_t i = 0; i < reserved_count; i++) {
        if (reserved[i].base < reserved[i].end && pages_meet(reserved[i].base, reserved[i].end, page_size, range)) {
            return ERROR_NOT_DEVICE_MEMORY;
        }
    }
    return ERROR_NONE;
}
