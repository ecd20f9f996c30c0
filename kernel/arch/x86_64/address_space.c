#include <arch/cpu.h>
#include <arch/paging.h>
#include <kapsel/abi.h>
#include <kapsel/address_space.h>
#include <kapsel/factory.h>
#include <kapsel/memory.h>
#include <string.h>

#define ENTRIES 512
#define USER_PML4_ENTRIES 256 /* the lower half; the upper half is the kernel's, shared */
#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE | PTE_USER)

static uint64_t *table(uint64_t phys)
{
    return phys_to_virt(phys);
}

static unsigned index_at(uint64_t virt, unsigned level)
{
    return (unsigned)(virt >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static enum error allocate_table(struct factory *quota, uint64_t *phys)
{
    enum error error = factory_charge(quota, FRAME_SIZE);
    if (error != ERROR_NONE) {
        return error;
    }
    if (frame_allocator_alloc(physical_memory(), 0, phys) != ERROR_NONE) {
        factory_refund(quota, FRAME_SIZE);
        return ERROR_OUT_OF_MEMORY;
    }
    memset(table(*phys), 0, FRAME_SIZE);
    return ERROR_NONE;
}

static void free_table(struct factory *quota, uint64_t phys)
{
    frame_allocator_free(physical_memory(), phys, 0);
    factory_refund(quota, FRAME_SIZE);
}

bool address_space_valid_user_range(uint64_t virt, uint64_t size)
{
    return virt % FRAME_SIZE == 0 && size % FRAME_SIZE == 0 && virt < USER_ADDRESS_LIMIT &&
           size <= USER_ADDRESS_LIMIT - virt;
}

enum error address_space_create(struct factory *quota, bool share_kernel_half, uint64_t *root)
{
    enum error error = allocate_table(quota, root);
    if (error != ERROR_NONE || !share_kernel_half) {
        return error;
    }
    memcpy(table(*root) + USER_PML4_ENTRIES, table(paging_kernel_root()) + USER_PML4_ENTRIES,
           USER_PML4_ENTRIES * sizeof(uint64_t));
    return ERROR_NONE;
}

static void free_level(uint64_t phys, unsigned level, struct factory *quota)
{
    if (level > 1) {
        uint64_t *entries = table(phys);
        for (unsigned i = 0; i < ENTRIES; i++) {
            if (entries[i] & PTE_PRESENT) {
                free_level(entries[i] & PTE_ADDRESS_MASK, level - 1, quota);
            }
        }
    }
    free_table(quota, phys);
}

void address_space_destroy(uint64_t root, struct factory *quota)
{
    if ((read_cr3() & PTE_ADDRESS_MASK) == root) {
        write_cr3(paging_kernel_root()); /* a task deleting itself must not keep running on freed tables */
    }
    uint64_t *pml4 = table(root);
    for (unsigned i = 0; i < USER_PML4_ENTRIES; i++) {
        if (pml4[i] & PTE_PRESENT) {
            free_level(pml4[i] & PTE_ADDRESS_MASK, 3, quota);
        }
    }
    free_table(quota, root);
}

/* The level-1 entry for virt; creates the tables above it if quota is given, else NULL when missing. */
static uint64_t *leaf_entry(uint64_t root, uint64_t virt, struct factory *quota, enum error *error)
{
    uint64_t current = root;
    for (unsigned level = 4; level > 1; level--) {
        uint64_t *entry = &table(current)[index_at(virt, level)];
        if (!(*entry & PTE_PRESENT)) {
            uint64_t fresh;
            if (!quota) {
                return NULL;
            }
            *error = allocate_table(quota, &fresh);
            if (*error != ERROR_NONE) {
                return NULL;
            }
            *entry = fresh | TABLE_FLAGS;
        }
        current = *entry & PTE_ADDRESS_MASK;
    }
    return &table(current)[index_at(virt, 1)];
}

static void flush(uint64_t root, uint64_t virt)
{
    if ((read_cr3() & PTE_ADDRESS_MASK) == root) {
        __asm__ volatile("invlpg (%0)" : : "r"(virt) : "memory");
    }
}

enum error address_space_map(uint64_t root, struct factory *quota, uint64_t virt, uint64_t phys, unsigned rights)
{
    enum error error = ERROR_NONE;
    uint64_t *entry = leaf_entry(root, virt, quota, &error);
    if (!entry) {
        return error;
    }
    uint64_t flags = PTE_PRESENT | PTE_USER;
    if (rights & MEMORY_WRITE) {
        flags |= PTE_WRITABLE;
    }
    if (!(rights & MEMORY_EXECUTE)) {
        flags |= PTE_NO_EXECUTE;
    }
    if (rights & ADDRESS_SPACE_UNCACHED) {
        flags |= PTE_CACHE_DISABLE | PTE_WRITE_THROUGH; /* PAT entry 3: UC, as the kernel never reprograms the PAT */
    }
    *entry = phys | flags;
    flush(root, virt);
    return ERROR_NONE;
}

void address_space_unmap(uint64_t root, uint64_t virt)
{
    enum error unused;
    uint64_t *entry = leaf_entry(root, virt, NULL, &unused);
    if (entry && (*entry & PTE_PRESENT)) {
        *entry = 0;
        flush(root, virt);
    }
}

bool address_space_lookup(uint64_t root, uint64_t virt, uint64_t *phys, unsigned *rights)
{
    enum error unused;
    if (virt >= USER_ADDRESS_LIMIT) {
        return false;
    }
    uint64_t *entry = leaf_entry(root, virt & ~(uint64_t)(FRAME_SIZE - 1), NULL, &unused);
    if (!entry || !(*entry & PTE_PRESENT)) {
        return false;
    }
    *phys = *entry & PTE_ADDRESS_MASK;
    *rights = MEMORY_READ | (*entry & PTE_WRITABLE ? MEMORY_WRITE : 0) |
              (*entry & PTE_NO_EXECUTE ? 0 : MEMORY_EXECUTE) |
              (*entry & PTE_CACHE_DISABLE ? ADDRESS_SPACE_UNCACHED : 0);
    return true;
}

static void visit_level(uint64_t phys, unsigned level, uint64_t base,
                        void (*visit)(uint64_t virt, uint64_t phys, void *context), void *context)
{
    uint64_t *entries = table(phys);
    for (unsigned i = 0; i < ENTRIES; i++) {
        uint64_t entry = entries[i];
        if (!(entry & PTE_PRESENT)) {
            continue;
        }
        uint64_t virt = base | (uint64_t)i << (12 + 9 * (level - 1));
        if (level == 1) {
            visit(virt, entry & PTE_ADDRESS_MASK, context);
        } else {
            visit_level(entry & PTE_ADDRESS_MASK, level - 1, virt, visit, context);
        }
    }
}

void address_space_for_each_page(uint64_t root, void (*visit)(uint64_t virt, uint64_t phys, void *context),
                                 void *context)
{
    uint64_t *pml4 = table(root);
    for (unsigned i = 0; i < USER_PML4_ENTRIES; i++) {
        if (pml4[i] & PTE_PRESENT) {
            visit_level(pml4[i] & PTE_ADDRESS_MASK, 3, (uint64_t)i << 39, visit, context);
        }
    }
}
