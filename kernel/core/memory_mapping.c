#include <kapsel/address_space.h>
#include <kapsel/factory.h>
#include <kapsel/kmem.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/panic.h>
#include <string.h>

/* One record per page a memory space maps; the frame's tree orders them by derivation. */
struct memory_mapping {
    struct mapping_node node;
    struct memory_space *space;
    uint64_t virt;
};

#define MAX_MAP_ORDER 18 /* 1 GiB at once */

static struct mapping_tree *frame_trees;

void memory_mapping_init(void)
{
    const struct frame_allocator *frames = physical_memory();
    size_t size = frames->frame_count * sizeof(struct mapping_tree);
    frame_trees = kmem_alloc(size);
    if (!frame_trees) {
        panic("no memory for the mapping database (%zu bytes)", size);
    }
}

uint64_t memory_mapping_record_size(void)
{
    return kmem_charge_size(sizeof(struct memory_mapping));
}

static struct mapping_tree *tree_of(uint64_t phys)
{
    const struct frame_allocator *frames = physical_memory();
    uint64_t index = (phys - frames->base) / FRAME_SIZE;
    if (phys < frames->base || index >= frames->frame_count) {
        return NULL;
    }
    return &frame_trees[index];
}

/* The record of the space's mapping at virt, or NULL (not mapped, or a kernel-owned page such as a UTCB). */
static struct memory_mapping *find_mapping(struct memory_space *space, uint64_t virt, uint64_t *phys, unsigned *rights)
{
    if (!address_space_lookup(space->root, virt, phys, rights)) {
        return NULL;
    }
    struct mapping_tree *tree = tree_of(*phys);
    if (!tree) {
        return NULL;
    }
    for (struct mapping_node *node = tree->first; node; node = node->next) {
        struct memory_mapping *mapping = (struct memory_mapping *)node;
        if (mapping->space == space && mapping->virt == virt) {
            return mapping;
        }
    }
    return NULL;
}

static void free_record(struct memory_mapping *mapping)
{
    struct factory *quota = mapping->space->quota;
    kmem_free(mapping, sizeof(*mapping));
    factory_refund(quota, memory_mapping_record_size());
}

static enum error new_record(struct memory_space *space, uint64_t virt, struct memory_mapping **mapping)
{
    enum error error = factory_charge(space->quota, memory_mapping_record_size());
    if (error != ERROR_NONE) {
        return error;
    }
    *mapping = kmem_alloc(sizeof(**mapping));
    if (!*mapping) {
        factory_refund(space->quota, memory_mapping_record_size());
        return ERROR_OUT_OF_MEMORY;
    }
    (*mapping)->space = space;
    (*mapping)->virt = virt;
    return ERROR_NONE;
}

static void unmap_revoked(struct mapping_node *node, void *context)
{
    (void)context;
    struct memory_mapping *mapping = (struct memory_mapping *)node;
    address_space_unmap(mapping->space->root, mapping->virt);
    free_record(mapping);
}

/* Revokes from a mapping record; frees the frame when nobody maps it any more. */
static void revoke(struct memory_mapping *mapping, uint64_t phys, bool include_self)
{
    struct mapping_tree *tree = tree_of(phys);
    mapping_tree_revoke(tree, &mapping->node, include_self, unmap_revoked, NULL);
    if (mapping_tree_empty(tree)) {
        frame_allocator_free(physical_memory(), phys, 0);
    }
}

static bool valid_range(uint64_t virt, unsigned order)
{
    return order <= MAX_MAP_ORDER && virt % ((uint64_t)FRAME_SIZE << order) == 0 &&
           address_space_valid_user_range(virt, (uint64_t)FRAME_SIZE << order);
}

enum error memory_allocate(struct memory_space *space, uint64_t virt, unsigned order, unsigned rights)
{
    if (!valid_range(virt, order) || rights == 0 || rights > MEMORY_ALL) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t pages = (uint64_t)1 << order;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t page = virt + i * FRAME_SIZE;
        uint64_t phys, old_phys;
        unsigned old_rights;
        if (address_space_lookup(space->root, page, &old_phys, &old_rights)) {
            return ERROR_SLOT_OCCUPIED;
        }
        struct memory_mapping *mapping;
        enum error error = new_record(space, page, &mapping);
        if (error != ERROR_NONE) {
            return error;
        }
        if (frame_allocator_alloc(physical_memory(), 0, &phys) != ERROR_NONE) {
            free_record(mapping);
            return ERROR_OUT_OF_MEMORY;
        }
        memset(phys_to_virt(phys), 0, FRAME_SIZE);
        error = address_space_map(space->root, space->quota, page, phys, rights);
        if (error != ERROR_NONE) {
            free_record(mapping);
            frame_allocator_free(physical_memory(), phys, 0);
            return error;
        }
        mapping_tree_insert_root(tree_of(phys), &mapping->node);
    }
    return ERROR_NONE;
}

/* Makes room at a destination page: whatever was mapped there before goes, with what derives from it. */
static void clear_destination(struct memory_space *to, uint64_t virt)
{
    uint64_t phys;
    unsigned rights;
    struct memory_mapping *old = find_mapping(to, virt, &phys, &rights);
    if (old) {
        revoke(old, phys, true);
    }
}

static enum error map_page(struct memory_space *from, uint64_t from_virt, unsigned rights, bool grant,
                           struct memory_space *to, uint64_t to_virt)
{
    uint64_t phys, existing_phys;
    unsigned source_rights, existing_rights;
    if (from == to && from_virt == to_virt) {
        return ERROR_NONE;
    }
    if (!find_mapping(from, from_virt, &phys, &source_rights)) {
        return ERROR_NONE; /* holes in the source are skipped */
    }
    if (address_space_lookup(to->root, to_virt, &existing_phys, &existing_rights) &&
        !find_mapping(to, to_virt, &existing_phys, &existing_rights)) {
        return ERROR_SLOT_OCCUPIED; /* a kernel-owned page (UTCB) is never replaced */
    }
    unsigned new_rights = source_rights & rights;
    if (to->guest_physical) {
        new_rights = (new_rights & ~MEMORY_EXECUTE) | (rights & MEMORY_EXECUTE);
    }
    if (!(new_rights & MEMORY_READ)) {
        return ERROR_MISSING_RIGHTS;
    }
    struct memory_mapping *mapping;
    enum error error = new_record(to, to_virt, &mapping);
    if (error != ERROR_NONE) {
        return error;
    }
    clear_destination(to, to_virt);
    /* Clearing the destination may have revoked the source too (it was derived from it). */
    struct memory_mapping *source = find_mapping(from, from_virt, &phys, &source_rights);
    if (!source) {
        free_record(mapping);
        return ERROR_NONE;
    }
    error = address_space_map(to->root, to->quota, to_virt, phys, new_rights);
    if (error != ERROR_NONE) {
        free_record(mapping);
        return error;
    }
    if (grant) {
        mapping_tree_replace(tree_of(phys), &source->node, &mapping->node);
        mapping->space = to;
        mapping->virt = to_virt;
        address_space_unmap(from->root, from_virt);
        free_record(source);
    } else {
        mapping_tree_insert_child(&source->node, &mapping->node);
    }
    return ERROR_NONE;
}

enum error memory_map(struct memory_space *from, uint64_t from_virt, unsigned order, unsigned rights, bool grant,
                      struct memory_space *to, uint64_t to_virt)
{
    if (!valid_range(from_virt, order) || !valid_range(to_virt, order) || rights > MEMORY_ALL) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t pages = (uint64_t)1 << order;
    for (uint64_t i = 0; i < pages; i++) {
        enum error error = map_page(from, from_virt + i * FRAME_SIZE, rights, grant, to, to_virt + i * FRAME_SIZE);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}

enum error memory_unmap(struct memory_space *space, uint64_t virt, unsigned order, bool include_self)
{
    if (!valid_range(virt, order)) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t pages = (uint64_t)1 << order;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t phys;
        unsigned rights;
        struct memory_mapping *mapping = find_mapping(space, virt + i * FRAME_SIZE, &phys, &rights);
        if (mapping) {
            revoke(mapping, phys, include_self);
        }
    }
    return ERROR_NONE;
}

static void unmap_space_page(uint64_t virt, uint64_t phys, void *context)
{
    struct memory_space *space = context;
    unsigned rights;
    struct memory_mapping *mapping = find_mapping(space, virt, &phys, &rights);
    if (mapping) {
        revoke(mapping, phys, true);
    } else {
        address_space_unmap(space->root, virt);
    }
}

void memory_unmap_space(struct memory_space *space)
{
    address_space_for_each_page(space->root, unmap_space_page, space);
}
