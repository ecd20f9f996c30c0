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

/*
 * Device memory is not in the frame allocator's span (or lies in a hole of
 * it), so each range mapped with DEVICE_MEMORY_MAP brings its own tree heads,
 * one per page, as RAM frames have. The range is "allocated" while any of its
 * pages has a mapping: once every tree is empty again (the root mappings
 * revoked, which takes everything derived from them), the record goes and the
 * range may be mapped anew.
 */
struct device_region {
    struct device_region *next;
    uint64_t base, end;         /* physical, page-aligned */
    uint64_t mapped_pages;      /* pages whose tree is not empty */
    struct mapping_tree *pages; /* one tree per page */
    struct factory *quota;      /* paid for this record and the trees: the space that mapped the range */
};

static struct device_region *device_regions;
static uint64_t device_region_count, device_region_pages;

/*
 * DMA memory is RAM from the frame allocator, so its pages use the frame
 * trees; a dma_block remembers one allocation (2^order contiguous frames) and
 * whom it is charged to. A page whose tree empties stays allocated until every
 * page of the block is unmapped: then the block goes back to the allocator and
 * its charge to the factory that allocated it, whoever holds the mappings by
 * then (a grant moves the root, not the charge).
 */
struct dma_block {
    struct dma_block *next;
    uint64_t base, end;    /* physical, aligned to the block's size */
    unsigned order;        /* 2^order frames */
    uint64_t mapped_pages; /* pages whose tree is not empty */
    struct factory *quota; /* paid for the frames and this record */
};

static struct dma_block *dma_blocks;
static uint64_t dma_block_count, dma_block_pages;

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

static uint64_t region_pages(const struct device_region *region)
{
    return (region->end - region->base) / FRAME_SIZE;
}

static uint64_t region_charge(uint64_t pages)
{
    return kmem_charge_size(sizeof(struct device_region)) + kmem_charge_size(pages * sizeof(struct mapping_tree));
}

static void free_region(struct device_region *region)
{
    for (struct device_region **link = &device_regions; *link; link = &(*link)->next) {
        if (*link == region) {
            *link = region->next;
            break;
        }
    }
    uint64_t pages = region_pages(region);
    struct factory *quota = region->quota;
    device_region_count--;
    device_region_pages -= pages;
    kmem_free(region->pages, pages * sizeof(struct mapping_tree));
    kmem_free(region, sizeof(*region));
    factory_refund(quota, region_charge(pages));
}

/* A page of the region has no mapping left; the region goes with its last one. */
static void device_page_released(struct device_region *region)
{
    if (--region->mapped_pages == 0) {
        free_region(region);
    }
}

static uint64_t dma_charge(unsigned order)
{
    return kmem_charge_size(sizeof(struct dma_block)) + ((uint64_t)FRAME_SIZE << order);
}

/* The DMA block the RAM frame at phys belongs to, or NULL. */
static struct dma_block *dma_block_of(uint64_t phys)
{
    for (struct dma_block *block = dma_blocks; block; block = block->next) {
        if (phys >= block->base && phys < block->end) {
            return block;
        }
    }
    return NULL;
}

/* A page of the block has no mapping left; the block's frames and charge go back with its last one. */
static void dma_page_released(struct dma_block *block)
{
    if (--block->mapped_pages != 0) {
        return;
    }
    for (struct dma_block **link = &dma_blocks; *link; link = &(*link)->next) {
        if (*link == block) {
            *link = block->next;
            break;
        }
    }
    struct factory *quota = block->quota;
    unsigned order = block->order;
    dma_block_count--;
    dma_block_pages -= (uint64_t)1 << order;
    if (frame_allocator_free(physical_memory(), block->base, order) != ERROR_NONE) {
        panic("DMA block %#llx of order %u was not allocated", (unsigned long long)block->base, order);
    }
    kmem_free(block, sizeof(*block));
    factory_refund(quota, dma_charge(order));
}

/* The derivation tree of the page at phys, and in *device its device region (NULL: a RAM frame); NULL if neither. */
static struct mapping_tree *tree_of(uint64_t phys, struct device_region **device)
{
    for (struct device_region *region = device_regions; region; region = region->next) {
        if (phys >= region->base && phys < region->end) {
            *device = region;
            return &region->pages[(phys - region->base) / FRAME_SIZE];
        }
    }
    *device = NULL;
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
    struct device_region *device;
    struct mapping_tree *tree = tree_of(*phys, &device);
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

/* Revokes from a mapping record; frees the frame (or releases the device page) when nobody maps it any more. */
static void revoke(struct memory_mapping *mapping, uint64_t phys, bool include_self)
{
    struct device_region *device;
    struct mapping_tree *tree = tree_of(phys, &device);
    mapping_tree_revoke(tree, &mapping->node, include_self, unmap_revoked, NULL);
    if (mapping_tree_empty(tree)) {
        struct dma_block *dma = device ? NULL : dma_block_of(phys);
        if (device) {
            device_page_released(device);
        } else if (dma) {
            dma_page_released(dma);
        } else {
            frame_allocator_free(physical_memory(), phys, 0);
        }
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
        struct device_region *device;
        mapping_tree_insert_root(tree_of(phys, &device), &mapping->node);
    }
    return ERROR_NONE;
}

enum error memory_map_device(struct memory_space *space, uint64_t virt, unsigned order, unsigned rights, uint64_t phys)
{
    if (!valid_range(virt, order) || !(rights & MEMORY_READ) || (rights & ~(MEMORY_READ | MEMORY_WRITE)) ||
        phys % ((uint64_t)FRAME_SIZE << order) != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t pages = (uint64_t)1 << order;
    if (phys > UINT64_MAX - pages * FRAME_SIZE) {
        return ERROR_OUT_OF_RANGE;
    }
    uint64_t end = phys + pages * FRAME_SIZE;
    for (const struct device_region *region = device_regions; region; region = region->next) {
        if (region->base < end && region->end > phys) {
            return ERROR_BUSY; /* mapped once at the root; copies come from that mapping */
        }
    }
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t old_phys;
        unsigned old_rights;
        if (address_space_lookup(space->root, virt + i * FRAME_SIZE, &old_phys, &old_rights)) {
            return ERROR_SLOT_OCCUPIED;
        }
    }
    enum error error = factory_charge(space->quota, region_charge(pages));
    if (error != ERROR_NONE) {
        return error;
    }
    struct device_region *region = kmem_alloc(sizeof(*region));
    struct mapping_tree *trees = kmem_alloc(pages * sizeof(struct mapping_tree));
    if (!region || !trees) {
        kmem_free(trees, pages * sizeof(struct mapping_tree));
        kmem_free(region, sizeof(*region));
        factory_refund(space->quota, region_charge(pages));
        return ERROR_OUT_OF_MEMORY;
    }
    *region = (struct device_region){device_regions, phys, end, 0, trees, space->quota};
    device_regions = region;
    device_region_count++;
    device_region_pages += pages;
    for (uint64_t i = 0; i < pages; i++) {
        struct memory_mapping *mapping;
        uint64_t page = virt + i * FRAME_SIZE;
        error = new_record(space, page, &mapping);
        if (error == ERROR_NONE) {
            error = address_space_map(space->root, space->quota, page, phys + i * FRAME_SIZE,
                                      rights | ADDRESS_SPACE_UNCACHED);
            if (error != ERROR_NONE) {
                free_record(mapping);
            }
        }
        if (error != ERROR_NONE) {
            /* All or nothing: unmapping what is mapped already releases the region with its last page. */
            if (region->mapped_pages == 0) {
                free_region(region);
            } else {
                memory_unmap(space, virt, order, true);
            }
            return error;
        }
        mapping_tree_insert_root(&trees[i], &mapping->node);
        region->mapped_pages++;
    }
    return ERROR_NONE;
}

enum error memory_allocate_dma(struct memory_space *space, uint64_t virt, unsigned order, unsigned rights,
                               uint64_t *phys)
{
    if (!valid_range(virt, order) || !(rights & MEMORY_READ) || (rights & ~(MEMORY_READ | MEMORY_WRITE))) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t pages = (uint64_t)1 << order;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t old_phys;
        unsigned old_rights;
        if (address_space_lookup(space->root, virt + i * FRAME_SIZE, &old_phys, &old_rights)) {
            return ERROR_SLOT_OCCUPIED;
        }
    }
    enum error error = factory_charge(space->quota, dma_charge(order));
    if (error != ERROR_NONE) {
        return error;
    }
    uint64_t base;
    struct dma_block *block = kmem_alloc(sizeof(*block));
    if (!block || frame_allocator_alloc(physical_memory(), order, &base) != ERROR_NONE) {
        kmem_free(block, sizeof(*block));
        factory_refund(space->quota, dma_charge(order));
        return ERROR_OUT_OF_MEMORY;
    }
    memset(phys_to_virt(base), 0, (size_t)FRAME_SIZE << order);
    /* Every page counts as mapped until it is, or is given up below: the block goes with the last. */
    *block = (struct dma_block){dma_blocks, base, base + pages * FRAME_SIZE, order, pages, space->quota};
    dma_blocks = block;
    dma_block_count++;
    dma_block_pages += pages;
    for (uint64_t i = 0; i < pages; i++) {
        struct memory_mapping *mapping;
        uint64_t page = virt + i * FRAME_SIZE;
        error = new_record(space, page, &mapping);
        if (error == ERROR_NONE) {
            error = address_space_map(space->root, space->quota, page, base + i * FRAME_SIZE, rights);
            if (error != ERROR_NONE) {
                free_record(mapping);
            }
        }
        if (error != ERROR_NONE) {
            /* All or nothing: the pages mapped so far are unmapped, the others given up; the last frees it all. */
            memory_unmap(space, virt, order, true);
            for (uint64_t j = i; j < pages; j++) {
                dma_page_released(block);
            }
            return error;
        }
        struct device_region *device;
        mapping_tree_insert_root(tree_of(base + i * FRAME_SIZE, &device), &mapping->node);
    }
    *phys = base;
    return ERROR_NONE;
}

uint64_t memory_dma_physical(struct memory_space *space, uint64_t virt)
{
    uint64_t page = virt & ~(uint64_t)(FRAME_SIZE - 1);
    uint64_t phys;
    unsigned rights;
    if (!find_mapping(space, page, &phys, &rights) || !dma_block_of(phys)) {
        return 0;
    }
    return phys + (virt - page);
}

void memory_dma_info(uint64_t *blocks, uint64_t *pages)
{
    *blocks = dma_block_count;
    *pages = dma_block_pages;
}

void memory_device_info(uint64_t *ranges, uint64_t *pages)
{
    *ranges = device_region_count;
    *pages = device_region_pages;
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
    struct device_region *device;
    tree_of(phys, &device);
    if (address_space_lookup(to->root, to_virt, &existing_phys, &existing_rights) &&
        !find_mapping(to, to_virt, &existing_phys, &existing_rights)) {
        return ERROR_SLOT_OCCUPIED; /* a kernel-owned page (UTCB) is never replaced */
    }
    unsigned new_rights = source_rights & rights;
    if (to->guest_physical) {
        new_rights = (new_rights & ~MEMORY_EXECUTE) | (rights & MEMORY_EXECUTE);
    }
    if (device || dma_block_of(phys)) {
        new_rights &= ~MEMORY_EXECUTE; /* device registers and DMA memory are never code, not even a guest's */
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
    error = address_space_map(to->root, to->quota, to_virt, phys, new_rights | (device ? ADDRESS_SPACE_UNCACHED : 0));
    if (error != ERROR_NONE) {
        free_record(mapping);
        return error;
    }
    if (grant) {
        mapping_tree_replace(tree_of(phys, &device), &source->node, &mapping->node);
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
