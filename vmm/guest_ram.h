/*
 * Guest RAM into the Vm: a page-aligned block of the VMM's own heap
 * (struct guest_memory, vmm/guest_memory.h) mapped at guest-physical 0 with
 * VM_MAP. The VMM keeps reading and writing it directly (to load images and
 * fetch instructions); the guest sees the same frames through the kernel's
 * nested page tables.
 */
#ifndef VMM_GUEST_RAM_H
#define VMM_GUEST_RAM_H

#include <kapsel/error.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

#define GUEST_PAGE_SIZE 4096ull
#define GUEST_MAX_MAP_ORDER 9 /* 2 MiB items: a large page, and few VM_MAP calls */

/* The largest item order (at most max_order) whose size both addresses are aligned to and that fits in remaining. */
unsigned guest_ram_chunk_order(uint64_t from, uint64_t to, uint64_t remaining, unsigned max_order);

/*
 * Maps all of ram into the Vm vm (read, write, execute) with VM_MAP, in the
 * largest aligned items. Every page must already be present in the VMM (touch
 * them first: the kernel maps only what is there). On failure *failed_at is
 * the guest-physical address of the item the kernel refused.
 */
enum error guest_ram_map(uint64_t vm, const struct guest_memory *ram, uint64_t *failed_at);

#endif
