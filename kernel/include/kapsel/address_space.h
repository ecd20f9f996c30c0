/* User address spaces: the arch page tables behind a task (x86-64: 4-level, lower half only). */
#ifndef KAPSEL_ADDRESS_SPACE_H
#define KAPSEL_ADDRESS_SPACE_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stdint.h>

struct factory;

/* Memory that pages are mapped into: a task's user address space, or a VM's guest-physical space. */
struct memory_space {
    uint64_t root;         /* arch page-table root (physical) */
    struct factory *quota; /* pays for its page tables and mapping records */
    /*
     * A VM's guest-physical space. There, "execute" means the guest may run
     * code from the page: a VMM grants it without holding it, as it never
     * executes guest memory itself (its own mapping stays non-executable).
     */
    bool guest_physical;
};

/*
 * A new, empty address space whose tables are charged to quota. A task's
 * shares the kernel half; a VM's guest-physical space (nested paging) must not.
 */
enum error address_space_create(struct factory *quota, bool share_kernel_half, uint64_t *root);

/* Frees every page table of the user half (mappings must already be gone) and the root. */
void address_space_destroy(uint64_t root, struct factory *quota);

/*
 * Kernel-internal, next to the MEMORY_* rights of address_space_map and
 * address_space_lookup: the page holds device registers and is mapped
 * uncached (x86-64: PCD and PWT, which select UC through the PAT's reset value).
 */
#define ADDRESS_SPACE_UNCACHED 0x100u

/* Maps one 4 KiB page with MEMORY_* rights (| ADDRESS_SPACE_UNCACHED); replaces any previous entry at virt. */
enum error address_space_map(uint64_t root, struct factory *quota, uint64_t virt, uint64_t phys, unsigned rights);

void address_space_unmap(uint64_t root, uint64_t virt);

/* The page mapped at virt: its frame, and its MEMORY_* rights (| ADDRESS_SPACE_UNCACHED). */
bool address_space_lookup(uint64_t root, uint64_t virt, uint64_t *phys, unsigned *rights);

/* Calls visit for every mapped user page, lowest address first. */
void address_space_for_each_page(uint64_t root, void (*visit)(uint64_t virt, uint64_t phys, void *context),
                                 void *context);

/* True if [virt, virt + size) is page-aligned user space. */
bool address_space_valid_user_range(uint64_t virt, uint64_t size);

#endif
