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

/*
 * Whether device registers may be mapped at range (base and end multiples of
 * page_size, base < end): no page of it lies in a region of the map that is
 * not MEMORY_RESERVED (RAM, ACPI tables and NVS, bad RAM, and types this
 * kernel does not know are all taken as memory), nor in one of the reserved
 * ranges (the kernel's own); regions and reserved ranges are grown outward to
 * whole pages, as memory_map_free_ranges does. Reserved regions of the map
 * and ranges the map does not describe are device memory (PCIe ECAM, BARs,
 * chipset registers). ERROR_NOT_DEVICE_MEMORY if some page is memory,
 * ERROR_INVALID_ARGUMENT for an empty or unaligned range.
 */
enum error memory_map_check_device_range(const struct memory_region *regions, size_t region_count,
                                         const struct phys_range *reserved, size_t reserved_count, uint64_t page_size,
                                         struct phys_range range);

#endif
