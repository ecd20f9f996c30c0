/* The kernel's own x86-64 page tables (4-level, 4 KiB and 2 MiB pages). */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <kapsel/boot_info.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITABLE (1ull << 1)
#define PTE_USER (1ull << 2)
#define PTE_WRITE_THROUGH (1ull << 3)
#define PTE_CACHE_DISABLE (1ull << 4)
#define PTE_LARGE (1ull << 7)
#define PTE_GLOBAL (1ull << 8)
#define PTE_NO_EXECUTE (1ull << 63)
#define PTE_ADDRESS_MASK 0x000ffffffffff000ull

/*
 * Builds the kernel address space (physmap of every memory-map region with
 * 2 MiB pages; the kernel image with 4 KiB pages: text RX, rodata R, data RW)
 * and switches to it, dropping the boot identity map.
 */
void paging_init(const struct boot_info *info);

/* Maps device registers uncached into the physmap; returns their virtual address or NULL. */
void *paging_map_device(uint64_t phys, size_t size);

/* True if [base, end) overlaps device registers paging_map_device mapped for the kernel. */
bool paging_kernel_device_overlaps(uint64_t base, uint64_t end);

/* Physical address of the kernel's PML4; user address spaces share its upper half. */
uint64_t paging_kernel_root(void);

/* Translates a kernel virtual address; *flags gets the leaf entry's flag bits. */
bool paging_translate(uint64_t virt, uint64_t *phys, uint64_t *flags);

#endif
