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

/* Physical range of the loaded kernel image. */
struct phys_range kernel_image_range(void);

#endif
