/*
 * The mapping database for memory: which task maps which frame where, and from
 * whom it got it. Each frame has a derivation tree of its mappings; unmapping
 * revokes the whole subtree, and a frame whose tree empties is freed.
 */
#ifndef KAPSEL_MEMORY_MAPPING_H
#define KAPSEL_MEMORY_MAPPING_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stdint.h>

struct memory_space;

/* Allocates the per-frame tree heads; after physical_memory_init. */
void memory_mapping_init(void);

/* Fresh zeroed frames mapped into task as underived (root) mappings: the Memory object's job. */
enum error memory_allocate(struct memory_space *space, uint64_t virt, unsigned order, unsigned rights);

/*
 * Device registers at phys (2^order pages, aligned to their size, already
 * checked to be device memory) mapped uncached at virt as underived (root)
 * mappings, rights MEMORY_READ [| MEMORY_WRITE]; from there they are mapped on
 * and revoked as memory is, never executable. All or nothing. ERROR_BUSY if
 * part of the range is mapped this way already (until all of it is unmapped),
 * ERROR_SLOT_OCCUPIED if a destination page is in use.
 */
enum error memory_map_device(struct memory_space *space, uint64_t virt, unsigned order, unsigned rights, uint64_t phys);

/*
 * DMA memory: 2^order physically contiguous frames, aligned to their size and
 * zeroed, mapped at virt as underived (root) mappings with rights MEMORY_READ
 * [| MEMORY_WRITE]; their physical address in *phys. The frames and a block
 * record are charged to the space's factory until every page is unmapped;
 * mapped on and revoked as memory is, never executable. All or nothing:
 * ERROR_SLOT_OCCUPIED if a destination page is in use, ERROR_QUOTA_EXCEEDED,
 * ERROR_OUT_OF_MEMORY (no free block of that size).
 */
enum error memory_allocate_dma(struct memory_space *space, uint64_t virt, unsigned order, unsigned rights,
                               uint64_t *phys);

/* The physical address of virt if the space maps DMA memory there (root or derived), else 0. */
uint64_t memory_dma_physical(struct memory_space *space, uint64_t virt);

/* DMA blocks with a mapping left, and their pages. */
void memory_dma_info(uint64_t *blocks, uint64_t *pages);

/* Device ranges mapped with memory_map_device that still have a mapping, and their pages. */
void memory_device_info(uint64_t *ranges, uint64_t *pages);

/*
 * Maps (or with grant, moves) the 2^order pages at from_virt in from to
 * to_virt in to, rights reduced to rights. Unmapped source pages are skipped;
 * a destination page already mapped elsewhere is unmapped first.
 */
enum error memory_map(struct memory_space *from, uint64_t from_virt, unsigned order, unsigned rights, bool grant,
                      struct memory_space *to, uint64_t to_virt);

/* Revokes what every other task derived from these pages, and the pages themselves if include_self. */
enum error memory_unmap(struct memory_space *space, uint64_t virt, unsigned order, bool include_self);

/* Removes all mappings of a space (and everything derived from them): task or VM teardown. */
void memory_unmap_space(struct memory_space *space);

/* Bytes of mapping records a space pays for each mapped page. */
uint64_t memory_mapping_record_size(void);

#endif
