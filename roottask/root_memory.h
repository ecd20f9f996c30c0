/*
 * The root task's own copies of Micro-App memory. The root task owns every
 * page of every app, as L4Re's moe does: it allocates a page in its own
 * address space (MEMORY_ALLOCATE), fills it, and maps it on to the app. It
 * keeps its copy mapped for as long as the app lives, because unmapping it
 * (UNMAP_SELF) would revoke the app's derived mapping too; it unmaps it only
 * when the app is gone, which frees the frame.
 *
 * Each app has a scratch window of ROOT_SCRATCH_WINDOW_SIZE in the root
 * task's address space, from ROOT_SCRATCH_BASE: clear of the root task's image
 * (0x400000), heap (ROOT_HEAP_BASE, 1 TiB from 0x200000000000), boot info
 * (0x3ffffff00000), boot modules (0x400000000000), stack and UTCB. Inside a
 * window each region mirrors one region of the app at a fixed offset, so the
 * root copy of any app page is found by arithmetic, without a table, and a
 * second fault on the same page finds the page already there:
 *
 *     +0       image: the app's pages from its lowest ELF page on (at most 1 GiB)
 *     +1 GiB   the environment page
 *     +1.25 GiB the stack: [APP_STACK_TOP - APP_STACK_SIZE, APP_STACK_TOP)
 *     +4 GiB   the heap: [APP_HEAP_BASE, APP_HEAP_BASE + MANIFEST_MAX_MEMORY)
 *
 * 8 GiB per window leave room for MANIFEST_MAX_APPS windows below the shared regions.
 *
 * Boot files belong to no one app either: each has one copy, mapped read-only into every app that names
 * it, freed with the last of them (app_files.h).
 *
 * Shared regions (the manifest's "shared" lines) belong to no one app: the
 * pages of the manifest's region r lie at ROOT_SHARED_BASE + r *
 * APP_SHARED_MAX_SIZE, above the scratch windows (app_shared.h).
 */
#ifndef ROOTTASK_ROOT_MEMORY_H
#define ROOTTASK_ROOT_MEMORY_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOT_PAGE_SIZE 4096ull
#define ROOT_SCRATCH_BASE 0x0000300000000000ull
#define ROOT_SCRATCH_WINDOW_SIZE 0x0000000200000000ull /* 8 GiB per app */

#define SCRATCH_IMAGE_OFFSET 0x0ull
#define SCRATCH_IMAGE_MAX_SIZE 0x40000000ull /* 1 GiB from the lowest to the highest image page */
#define SCRATCH_ENVIRONMENT_OFFSET 0x40000000ull
#define SCRATCH_STACK_OFFSET 0x50000000ull
#define SCRATCH_FILES_MAX_SIZE 0x80000000ull /* = APP_FILES_MAX_SIZE: the stride of the boot files' copies */
#define SCRATCH_HEAP_OFFSET 0x100000000ull
#define SCRATCH_HEAP_MAX_SIZE (ROOT_SCRATCH_WINDOW_SIZE - SCRATCH_HEAP_OFFSET)

#define ROOT_SHARED_BASE 0x00003f0000000000ull
/* The root task's copies of boot files, one per file however many apps map it (app_files.c): slot c at
 * ROOT_FILE_COPIES_BASE + c * SCRATCH_FILES_MAX_SIZE. */
#define ROOT_FILE_COPIES_BASE 0x00003e0000000000ull
#define ROOT_FILE_COPIES 16

/* The base of app number index's scratch window. */
uint64_t scratch_window(size_t index);

/*
 * Allocates a fresh zeroed page at address in the root task with rights
 * (MEMORY_*). A page that is already there is kept as it is (*existed = true):
 * a repeated fault, or a page two ELF segments share.
 */
enum error root_page_allocate(uint64_t address, unsigned rights, bool *existed);

/*
 * Allocates 2^order fresh zeroed pages at address (aligned to the block) in one kernel call; ERROR_SLOT_OCCUPIED
 * (and nothing allocated) if any page of the block is already there.
 */
enum error root_block_allocate(uint64_t address, unsigned order, unsigned rights);

/* The largest item a map or unmap takes at once (the kernel's MAX_MAP_ORDER): 2^18 pages, 1 GiB. */
#define ROOT_MAX_BLOCK_ORDER 18u

/*
 * The largest order (2^order pages, at most ROOT_MAX_BLOCK_ORDER) such that page (a page number) is a multiple of
 * 2^order and 2^order <= pages: the next block of a range, for items that must be aligned to their size.
 */
unsigned root_block_order(uint64_t page, uint64_t pages);

/* Free physical memory in KiB (MEMORY_INFO), for the start and end reports: a leak shows as a difference. */
uint64_t root_free_memory_kib(void);

/* Unmaps the root task's pages [address, address + pages * 4 KiB) with everything mapped from them; frees the frames.
 */
void root_pages_release(uint64_t address, uint64_t pages);

#endif
