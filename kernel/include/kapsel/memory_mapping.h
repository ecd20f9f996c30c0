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
