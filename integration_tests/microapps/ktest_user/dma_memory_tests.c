/*
 * DMA memory: DMA_MEMORY_ALLOCATE maps physically contiguous, zeroed RAM into the caller and tells it
 * the physical address (aligned to the block's size); DMA_MEMORY_INFO answers it again for any address
 * inside. The frames are root mappings: passed on and revoked as memory, never executable, freed with
 * their last mapping (or the task), and charged to the caller's quota, frames included.
 */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <stdio.h>

/* Destinations: far from everything else the tests map, aligned to 2 MiB and more. */
#define DMA_WINDOW 0x0000660000000000ull
#define CHILD_WINDOW 0x0000670000000000ull
#define PAGE 0x1000ull

static uint64_t dma_memory(void)
{
    uint64_t capability = capability_named("dma_memory");
    EXPECT(capability != 0);
    return capability;
}

/* The physical address DMA_MEMORY_INFO gives for address (0: no DMA memory there), and the blocks allocated. */
static uint64_t physical(uint64_t capability, uint64_t address, uint64_t *blocks)
{
    uint64_t phys = 0, count = 0, pages = 0;
    EXPECT_ERROR(dma_memory_info(capability, address, &phys, &count, &pages), ERROR_NONE);
    if (blocks) {
        *blocks = count;
    }
    return phys;
}

static uint64_t blocks_now(uint64_t capability)
{
    uint64_t blocks = 0;
    physical(capability, DMA_WINDOW, &blocks);
    return blocks;
}

static bool mapped(uint64_t task, uint64_t address, unsigned *rights)
{
    bool is_mapped = false;
    unsigned unused;
    EXPECT_ERROR(task_memory_info(task, address, &is_mapped, rights ? rights : &unused), ERROR_NONE);
    return is_mapped;
}

static void unmap_self(uint64_t task, uint64_t address, unsigned order)
{
    EXPECT_ERROR(task_unmap(task, ITEM_MEMORY(address >> 12, order, 0, 0), UNMAP_SELF), ERROR_NONE);
}

static bool all_zero(uint64_t address, uint64_t size)
{
    const volatile uint64_t *words = (const volatile uint64_t *)(uintptr_t)address;
    for (uint64_t i = 0; i < size / 8; i++) {
        if (words[i] != 0) {
            return false;
        }
    }
    return true;
}

static void fill(uint64_t address, uint64_t size, uint64_t seed)
{
    volatile uint64_t *words = (volatile uint64_t *)(uintptr_t)address;
    for (uint64_t i = 0; i < size / 8; i++) {
        words[i] = seed ^ i;
    }
}

static void allocates_zeroed_aligned_writable_memory(void)
{
    uint64_t capability = dma_memory();
    EXPECT(blocks_now(capability) == 0);
    uint64_t phys = 0;
    EXPECT_ERROR(
        dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 4, MEMORY_READ | MEMORY_WRITE, 0), &phys),
        ERROR_NONE);
    printf("    16 pages at physical %#llx\n", (unsigned long long)phys);
    EXPECT(phys != 0 && phys % (16 * PAGE) == 0);
    unsigned rights = 0;
    EXPECT(mapped(APP_TASK, DMA_WINDOW, &rights) && mapped(APP_TASK, DMA_WINDOW + 15 * PAGE, NULL));
    EXPECT(rights == (MEMORY_READ | MEMORY_WRITE));
    bool device = true;
    EXPECT_ERROR(task_memory_is_device(APP_TASK, DMA_WINDOW, &device), ERROR_NONE);
    EXPECT(!device); /* RAM: cached */
    EXPECT(all_zero(DMA_WINDOW, 16 * PAGE));
    fill(DMA_WINDOW, 16 * PAGE, 0x5a5a);
    EXPECT(*(volatile uint64_t *)(uintptr_t)(DMA_WINDOW + 15 * PAGE + 8) == (0x5a5aull ^ (15 * PAGE / 8 + 1)));
    /* Asked again, any byte inside: the same contiguous frames. */
    uint64_t blocks = 0, pages = 0, again = 0;
    EXPECT_ERROR(dma_memory_info(capability, DMA_WINDOW + 5 * PAGE + 123, &again, &blocks, &pages), ERROR_NONE);
    EXPECT(again == phys + 5 * PAGE + 123);
    EXPECT(blocks == 1 && pages == 16);
    EXPECT(physical(capability, DMA_WINDOW, NULL) == phys);
    EXPECT(physical(capability, DMA_WINDOW + 15 * PAGE, NULL) == phys + 15 * PAGE);
    /* Not DMA memory: nothing mapped there, ordinary memory, a kernel address. */
    static uint8_t ordinary[4096] __attribute__((aligned(4096)));
    ordinary[0] = 1;
    EXPECT(physical(capability, DMA_WINDOW + 16 * PAGE, NULL) == 0);
    EXPECT(physical(capability, (uint64_t)(uintptr_t)ordinary, NULL) == 0);
    EXPECT(physical(capability, 0xffff800000000000ull, NULL) == 0);
    /* Unmapped, it is gone; allocated again, it is zeroed again. */
    unmap_self(APP_TASK, DMA_WINDOW, 4);
    EXPECT(!mapped(APP_TASK, DMA_WINDOW, NULL));
    EXPECT(blocks_now(capability) == 0);
    EXPECT(physical(capability, DMA_WINDOW, NULL) == 0);
    EXPECT_ERROR(
        dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 4, MEMORY_READ | MEMORY_WRITE, 0), &phys),
        ERROR_NONE);
    EXPECT(all_zero(DMA_WINDOW, 16 * PAGE));
    unmap_self(APP_TASK, DMA_WINDOW, 4);
    /* One page, read-only. */
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 0, MEMORY_READ, 0), &phys), ERROR_NONE);
    EXPECT(mapped(APP_TASK, DMA_WINDOW, &rights));
    EXPECT(rights == MEMORY_READ);
    EXPECT(all_zero(DMA_WINDOW, PAGE));
    unmap_self(APP_TASK, DMA_WINDOW, 0);
    EXPECT(blocks_now(capability) == 0);
}

static void checks_its_arguments(void)
{
    uint64_t capability = dma_memory();
    uint64_t page = DMA_WINDOW >> 12;
    uint64_t phys = 0x1234;
    unsigned rw = MEMORY_READ | MEMORY_WRITE;
    /* Larger than 2 MiB; a destination not aligned to the size; in the kernel half. */
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 10, rw, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 255, rw, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page + 1, 1, rw, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(0xffff800000000000ull >> 12, 0, rw, 0), &phys),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(0x00007ffffffff000ull >> 12, 1, rw, 0), &phys),
                 ERROR_INVALID_ARGUMENT);
    /* Rights: none, write without read, execute; a grant flag; a capability item. */
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 0, 0, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 0, MEMORY_WRITE, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 0, MEMORY_ALL, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 0, MEMORY_READ | MEMORY_EXECUTE, 0), &phys),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 0, rw, ITEM_GRANT), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_CAPABILITY(page, 0, rw, 0), &phys), ERROR_INVALID_ARGUMENT);
    EXPECT(phys == 0x1234); /* untouched on errors */
    /* A destination in use: the UTCB, and one page of sixteen; nothing is allocated, nothing mapped. */
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(APP_UTCB_ADDRESS >> 12, 0, rw, 0), &phys),
                 ERROR_SLOT_OCCUPIED);
    static uint8_t in_the_way[4096] __attribute__((aligned(4096)));
    in_the_way[0] = 1;
    uint64_t blocker = DMA_WINDOW + 9 * PAGE;
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY((uint64_t)(uintptr_t)in_the_way >> 12, 0, MEMORY_READ, 0), blocker),
                 ERROR_NONE);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(page, 4, rw, 0), &phys), ERROR_SLOT_OCCUPIED);
    EXPECT(!mapped(APP_TASK, DMA_WINDOW, NULL));
    unmap_self(APP_TASK, blocker, 0);
    /* The item word is missing; an operation the object does not have; the address word of the query missing. */
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(DMA_MEMORY_ALLOCATE, 0, 0), NEVER).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(DMA_MEMORY_INFO, 0, 0), NEVER).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(DMA_MEMORY_INFO + 1, 2, 0), NEVER).error, ERROR_INVALID_OPERATION);
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(0, 2, 0), NEVER).error, ERROR_INVALID_OPERATION);
    EXPECT(!mapped(APP_TASK, DMA_WINDOW, NULL));
    EXPECT(blocks_now(capability) == 0);
}

static void needs_its_rights(void)
{
    uint64_t capability = dma_memory();
    uint64_t item = ITEM_MEMORY(DMA_WINDOW >> 12, 0, MEMORY_READ | MEMORY_WRITE, 0);
    uint64_t phys = 0, blocks = 0, pages = 0;
    uint64_t read_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(capability, 0, RIGHT_READ, 0), read_only), ERROR_NONE);
    EXPECT_ERROR(dma_memory_allocate(read_only, item, &phys), ERROR_MISSING_RIGHTS);
    EXPECT_ERROR(dma_memory_info(read_only, DMA_WINDOW, &phys, &blocks, &pages), ERROR_NONE);
    uint64_t write_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(capability, 0, RIGHT_WRITE, 0), write_only), ERROR_NONE);
    EXPECT_ERROR(dma_memory_info(write_only, DMA_WINDOW, &phys, &blocks, &pages), ERROR_MISSING_RIGHTS);
    EXPECT(!mapped(APP_TASK, DMA_WINDOW, NULL));
    EXPECT_ERROR(dma_memory_allocate(write_only, item, &phys), ERROR_NONE);
    EXPECT_ERROR(task_unmap_capability(APP_TASK, write_only, UNMAP_SELF), ERROR_NONE);
    EXPECT_ERROR(task_unmap_capability(APP_TASK, read_only, UNMAP_SELF), ERROR_NONE);
    EXPECT_ERROR(dma_memory_allocate(write_only, item, &phys), ERROR_INVALID_CAPABILITY);
    EXPECT(mapped(APP_TASK, DMA_WINDOW, NULL)); /* what the revoked copy made stays the caller's */
    unmap_self(APP_TASK, DMA_WINDOW, 0);
    EXPECT(blocks_now(capability) == 0);
}

/* Mapped on with fewer rights (never executable) to a child and the caller; revoking takes the copies. */
static void is_mapped_on_and_revoked(void)
{
    uint64_t capability = dma_memory();
    uint64_t root = DMA_WINDOW;
    uint64_t alias = DMA_WINDOW + 0x10000;
    uint64_t task = task_sharing_image();
    uint64_t phys = 0;
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(root >> 12, 2, MEMORY_READ | MEMORY_WRITE, 0), &phys),
                 ERROR_NONE);
    fill(root, 4 * PAGE, 0xc0ffee);
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(root >> 12, 2, MEMORY_ALL, 0), CHILD_WINDOW), ERROR_NONE);
    unsigned rights = 0;
    EXPECT(mapped(task, CHILD_WINDOW + 3 * PAGE, &rights));
    EXPECT(rights == (MEMORY_READ | MEMORY_WRITE));
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(root >> 12, 2, MEMORY_READ, 0), alias), ERROR_NONE);
    EXPECT(mapped(APP_TASK, alias, &rights));
    EXPECT(rights == MEMORY_READ);
    EXPECT(*(volatile uint64_t *)(uintptr_t)(alias + PAGE) == (0xc0ffeeull ^ (PAGE / 8)));
    /* A copy of DMA memory is DMA memory: the same physical address. */
    EXPECT(physical(capability, alias + 2 * PAGE, NULL) == phys + 2 * PAGE);
    /* Revoking what derives from the root: the copies go, the root and the block stay. */
    EXPECT_ERROR(task_unmap(APP_TASK, ITEM_MEMORY(root >> 12, 2, 0, 0), 0), ERROR_NONE);
    EXPECT(!mapped(task, CHILD_WINDOW, NULL) && !mapped(task, CHILD_WINDOW + 3 * PAGE, NULL));
    EXPECT(!mapped(APP_TASK, alias, NULL));
    EXPECT(mapped(APP_TASK, root, NULL));
    EXPECT(blocks_now(capability) == 1);
    EXPECT(*(volatile uint64_t *)(uintptr_t)(root + PAGE) == (0xc0ffeeull ^ (PAGE / 8)));
    /* Part of the block unmapped: the block stays until its last page goes, and then everything with it. */
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(root >> 12, 2, MEMORY_READ, 0), CHILD_WINDOW), ERROR_NONE);
    unmap_self(APP_TASK, root, 1);
    EXPECT(!mapped(task, CHILD_WINDOW, NULL) && mapped(task, CHILD_WINDOW + 2 * PAGE, NULL));
    EXPECT(blocks_now(capability) == 1);
    EXPECT(physical(capability, root + 2 * PAGE, NULL) == phys + 2 * PAGE);
    unmap_self(APP_TASK, root + 2 * PAGE, 1);
    EXPECT(!mapped(task, CHILD_WINDOW + 2 * PAGE, NULL));
    EXPECT(blocks_now(capability) == 0);
    object_delete(task);
}

/* Granted away, the root moves; the frames go with the task that holds them last. */
static void grant_moves_the_root_and_task_deletion_frees_it(void)
{
    uint64_t capability = dma_memory();
    uint64_t task = task_sharing_image();
    uint64_t phys = 0;
    EXPECT_ERROR(
        dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 1, MEMORY_READ | MEMORY_WRITE, 0), &phys),
        ERROR_NONE);
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(DMA_WINDOW >> 12, 1, MEMORY_READ | MEMORY_WRITE, ITEM_GRANT), CHILD_WINDOW),
                 ERROR_NONE);
    EXPECT(!mapped(APP_TASK, DMA_WINDOW, NULL));
    EXPECT(mapped(task, CHILD_WINDOW, NULL) && mapped(task, CHILD_WINDOW + PAGE, NULL));
    EXPECT(physical(capability, DMA_WINDOW, NULL) == 0);
    EXPECT(blocks_now(capability) == 1);
    /* Deleting the child, which holds the root now, frees the block. */
    object_delete(task);
    EXPECT(blocks_now(capability) == 0);
}

/*
 * The frames are charged to the caller's quota (ktest_user keeps under 1 MiB of its own 4 MiB after its
 * 3 MiB factory): 1 and 2 MiB do not fit and leave nothing behind; 256 KiB fits, and its charge comes back
 * when it is unmapped, so allocating it eight times over (2 MiB) fits too.
 */
static void is_charged_to_the_quota(void)
{
    uint64_t capability = dma_memory();
    unsigned rw = MEMORY_READ | MEMORY_WRITE;
    uint64_t phys = 0;
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 9, rw, 0), &phys), ERROR_QUOTA_EXCEEDED);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 8, rw, 0), &phys), ERROR_QUOTA_EXCEEDED);
    EXPECT(!mapped(APP_TASK, DMA_WINDOW, NULL));
    EXPECT(blocks_now(capability) == 0);
    for (int round = 0; round < 8; round++) {
        EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 6, rw, 0), &phys), ERROR_NONE);
        EXPECT(phys % (64 * PAGE) == 0);
        EXPECT(all_zero(DMA_WINDOW, 64 * PAGE));
        fill(DMA_WINDOW, 64 * PAGE, (uint64_t)round);
        unmap_self(APP_TASK, DMA_WINDOW, 6);
    }
    EXPECT(blocks_now(capability) == 0);
    /* Two blocks side by side, unmapped in one go: both charges come back. */
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY(DMA_WINDOW >> 12, 6, rw, 0), &phys), ERROR_NONE);
    EXPECT_ERROR(dma_memory_allocate(capability, ITEM_MEMORY((DMA_WINDOW >> 12) + 64, 6, rw, 0), &phys), ERROR_NONE);
    EXPECT(blocks_now(capability) == 2);
    unmap_self(APP_TASK, DMA_WINDOW, 7);
    EXPECT(blocks_now(capability) == 0);
}

static const struct user_test tests[] = {
    {"dma_memory_allocates_zeroed_aligned_writable_memory", allocates_zeroed_aligned_writable_memory},
    {"dma_memory_checks_its_arguments", checks_its_arguments},
    {"dma_memory_needs_its_rights", needs_its_rights},
    {"dma_memory_is_mapped_on_and_revoked", is_mapped_on_and_revoked},
    {"dma_memory_grant_moves_the_root_and_task_deletion_frees_it", grant_moves_the_root_and_task_deletion_frees_it},
    {"dma_memory_is_charged_to_the_quota", is_charged_to_the_quota},
};
TEST_TABLE(dma_memory_tests, tests);
