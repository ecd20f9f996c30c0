/* The kernel's view of memory: arch layout constants and the physical-frame allocator it boots with. */
#ifndef KAPSEL_MEMORY_H
#define KAPSEL_MEMORY_H

#include <arch/memory_layout.h>
#include <kapsel/boot_info.h>
#include <kapsel/frame_allocator.h>

/* Builds the frame allocator from the validated boot information; boot_fail()s if memory is unusable. */
void physical_memory_init(const struct boot_info *info, struct phys_range kernel_image);

/* The allocator of all physical frames not used by the kernel image, boot modules and loader data. */
struct frame_allocator *physical_memory(void);

/*
 * Whether [base, end) (page-aligned) may be mapped as device memory: none of
 * it is RAM (memory_map_check_device_range) nor what the kernel reserved at
 * boot (the first MiB, its image, the boot modules, the loader's data).
 * ERROR_NOT_DEVICE_MEMORY if it is.
 */
enum error physical_memory_check_device_range(uint64_t base, uint64_t end);

/* Physical range of the loaded kernel image. */
struct phys_range kernel_image_range(void);

#endif
