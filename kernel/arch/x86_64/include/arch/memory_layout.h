/* x86-64 virtual memory layout of the kernel. Shared by C and assembly. */
#ifndef ARCH_MEMORY_LAYOUT_H
#define ARCH_MEMORY_LAYOUT_H

/* The kernel image is linked into the top 2 GiB (-mcmodel=kernel). */
#define KERNEL_VIRT_BASE 0xffffffff80000000
/* All physical memory is mapped linearly from here (PML4 slot 256, first kernel-half slot). */
#define PHYSMAP_BASE 0xffff800000000000
#define PHYSMAP_PML4_INDEX 256
/* 64 TiB of physmap (PML4 slots 256..383): more than any machine we boot on. */
#define PHYSMAP_SIZE 0x400000000000

/* User addresses are canonical lower-half addresses, minus the top page (sysret hazard). */
#define USER_ADDRESS_LIMIT 0x00007ffffffff000

#define PAGE_SIZE 4096
#define LARGE_PAGE_SIZE 0x200000

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Kernel-virtual address of physical memory; valid for RAM and mapped device windows. */
static inline void *phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)(phys + PHYSMAP_BASE);
}

/* Physical address of a physmap pointer (the inverse of phys_to_virt). */
static inline uint64_t virt_to_phys(const void *virt)
{
    return (uint64_t)(uintptr_t)virt - PHYSMAP_BASE;
}

static inline uint64_t kernel_image_virt_to_phys(const void *virt)
{
    return (uint64_t)(uintptr_t)virt - KERNEL_VIRT_BASE;
}
#endif

#endif
