/*
 * Kernel memory for objects: size classes from 32 bytes to 2 KiB come from
 * slabs carved out of frames; larger requests take whole 2^n-frame blocks.
 * Callers charge the rounded size (kmem_charge_size) to a factory quota.
 */
#ifndef KAPSEL_KMEM_H
#define KAPSEL_KMEM_H

#include <stddef.h>

/* Zeroed memory of at least size bytes, or NULL when physical memory is exhausted. */
void *kmem_alloc(size_t size);

/* Frees memory from kmem_alloc; size must be the size that was asked for. */
void kmem_free(void *memory, size_t size);

/* The bytes a request of size really takes: what quotas are charged. */
size_t kmem_charge_size(size_t size);

#endif
