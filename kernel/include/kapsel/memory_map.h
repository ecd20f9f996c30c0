/* Turns the loader's memory map into the page-aligned ranges the kernel may hand out. */
#ifndef KAPSEL_MEMORY_MAP_H
#define KAPSEL_MEMORY_MAP_H

#include <kapsel/boot_info.h>

/*
 * Usable RAM minus every reserved range, with usable regions shrunk and
 * reserved ranges grown to whole pages of page_size. The result is sorted and
 * disjoint. ERROR_TOO_MANY if it needs more than capacity entries.
 */
enum error memory_map_free_ranges(const struct memory_region *regions, size_t region_count,
                                  const struct phys_range *reserved, size_t reserved_count, uint64_t page_size,
                                  struct phys_range *out, size_t capacity, size_t *out_count);

#endif
