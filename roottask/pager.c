#include "pager.h"

#include "root_memory.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <stdio.h>

#define PAGE_FAULT_WORDS 3    /* [0] address, [1] PAGE_FAULT_* bits, [2] rip */
#define EXCEPTION_WORDS 3     /* at least [0] vector, [1] error code, [2] rip */
#define EXCEPTION_ALL_WORDS 5 /* and [3] rsp, [4] address: what the kernel sends */
#define EXCEPTION_VECTOR_PAGE_FAULT 14

/* A page fault is answered with one map item and no words; the label does not matter to the kernel. */
#define PAGE_FAULT_REPLY_TAG MESSAGE_TAG(0, 0, 1)
/* Anything else that gets an answer: the label carries the error code (ERROR_NONE: done). */
#define ERROR_REPLY_TAG(error) MESSAGE_TAG((error), 0, 0)

static uint64_t page_down(uint64_t address)
{
    return address & ~(ROOT_PAGE_SIZE - 1);
}

enum region {
    REGION_NONE,
    REGION_STACK,
    REGION_HEAP,
};

/* Which demand-paged region of the app address lies in. */
static enum region region_of(const struct microapp *app, uint64_t address)
{
    if (address >= APP_STACK_TOP - APP_STACK_SIZE && address < APP_STACK_TOP) {
        return REGION_STACK;
    }
    if (address >= APP_HEAP_BASE && address - APP_HEAP_BASE < app->manifest->memory) {
        return REGION_HEAP;
    }
    return REGION_NONE;
}

/* Where the root task keeps its copy of the app's page (root_memory.h). */
static uint64_t copy_of(const struct microapp *app, enum region region, uint64_t page)
{
    if (region == REGION_STACK) {
        return app->window + SCRATCH_STACK_OFFSET + (page - (APP_STACK_TOP - APP_STACK_SIZE));
    }
    return app->window + SCRATCH_HEAP_OFFSET + (page - APP_HEAP_BASE);
}

/*
 * Why a fault outside stack and heap stops the app. Files and shared regions are mapped before it starts, so what
 * faults in their windows is a forbidden access or beyond them.
 */
static const char *unresolvable(uint64_t address, uint64_t flags)
{
    if (address - APP_FILES_ADDRESS < APP_FILES_MAX_SIZE) {
        return flags & PAGE_FAULT_WRITE     ? "its files are read-only"
               : flags & PAGE_FAULT_EXECUTE ? "its files are not executable"
                                            : "outside its files";
    }
    if (address - APP_SHARED_ADDRESS < APP_SHARED_WINDOW_SIZE) {
        return flags & PAGE_FAULT_EXECUTE ? "its shared regions are not executable" : "outside its shared regions";
    }
    return "outside its stack and heap";
}

/*
 * A heap fault is answered with a block of up to 2^FAULT_AROUND_ORDER fresh pages around the page (aligned, inside
 * the heap limit): a VMM touching guest RAM, or any app growing its heap, then faults once per block instead of once
 * per page. The pages are charged to the app's memory limit like any other; a block that would cover a page that is
 * already there falls back to the one page, so nothing mapped is mapped again.
 */
#define FAULT_AROUND_ORDER 4u

/* The fault at page in the heap: a fresh block around it if one fits (*order FAULT_AROUND_ORDER), else the page. */
static enum error allocate_heap(const struct microapp *app, uint64_t *page, unsigned *order)
{
    uint64_t block_bytes = ROOT_PAGE_SIZE << FAULT_AROUND_ORDER;
    uint64_t block = *page & ~(block_bytes - 1);
    if (block - APP_HEAP_BASE + block_bytes <= app->manifest->memory) {
        enum error error =
            root_block_allocate(copy_of(app, REGION_HEAP, block), FAULT_AROUND_ORDER, MEMORY_READ | MEMORY_WRITE);
        if (error != ERROR_SLOT_OCCUPIED) {
            *page = error == ERROR_NONE ? block : *page;
            *order = error == ERROR_NONE ? FAULT_AROUND_ORDER : 0;
            return error;
        }
    }
    bool existed; /* a page that is already there was mapped before and has gone from the app since: the same one */
    *order = 0;
    return root_page_allocate(copy_of(app, REGION_HEAP, *page), MEMORY_READ | MEMORY_WRITE, &existed);
}

/*
 * Why the fault at address cannot be resolved with fresh pages, or NULL if it can: then *copy is the root's copy of
 * the block of 2^*order pages that starts at *destination in the app.
 */
static const char *resolve(struct microapp *app, uint64_t address, uint64_t flags, uint64_t *copy,
                           uint64_t *destination, unsigned *order)
{
    enum region region = region_of(app, address);
    if (region == REGION_NONE) {
        return unresolvable(address, flags);
    }
    if (flags & PAGE_FAULT_EXECUTE) {
        return "stack and heap are not executable"; /* mapping the page again would only repeat the fault */
    }
    uint64_t page = page_down(address);
    bool existed;
    *order = 0;
    enum error error = region == REGION_HEAP
                           ? allocate_heap(app, &page, order)
                           : root_page_allocate(copy_of(app, region, page), MEMORY_READ | MEMORY_WRITE, &existed);
    if (error != ERROR_NONE) {
        return error_name(error);
    }
    *copy = copy_of(app, region, page);
    *destination = page;
    if (region == REGION_HEAP) {
        uint64_t pages = (page - APP_HEAP_BASE) / ROOT_PAGE_SIZE + (1ull << *order);
        app->heap_pages = pages > app->heap_pages ? pages : app->heap_pages;
    }
    return NULL;
}

static bool page_fault(struct microapp *app, unsigned words, uint64_t *message, uint64_t *reply_tag)
{
    if (words < PAGE_FAULT_WORDS) {
        *reply_tag = ERROR_REPLY_TAG(ERROR_INVALID_ARGUMENT);
        return true;
    }
    uint64_t address = message[0];
    uint64_t flags = message[1];
    uint64_t rip = message[2];
    uint64_t copy = 0, destination = 0;
    unsigned order = 0;
    const char *why = resolve(app, address, flags, &copy, &destination, &order);
    if (why) {
        const char *access = flags & PAGE_FAULT_EXECUTE ? "execute" : flags & PAGE_FAULT_WRITE ? "write" : "read";
        microapp_end(app, "stopped: page fault at 0x%llx (rip 0x%llx): %s, %s", (unsigned long long)address,
                     (unsigned long long)rip, access, why);
        return false;
    }
    message[0] = ITEM_MEMORY(copy / ROOT_PAGE_SIZE, order, MEMORY_READ | MEMORY_WRITE, 0);
    message[1] = destination; /* fault replies: the absolute destination address */
    *reply_tag = PAGE_FAULT_REPLY_TAG;
    return true;
}

static bool exception(struct microapp *app, unsigned words, const uint64_t *message, uint64_t *reply_tag)
{
    if (words < EXCEPTION_WORDS) {
        *reply_tag = ERROR_REPLY_TAG(ERROR_INVALID_ARGUMENT);
        return true;
    }
    char detail[64] = "";
    if (words >= EXCEPTION_ALL_WORDS && message[0] == EXCEPTION_VECTOR_PAGE_FAULT) {
        snprintf(detail, sizeof(detail), ", rsp 0x%llx, address 0x%llx", (unsigned long long)message[3],
                 (unsigned long long)message[4]);
    } else if (words >= EXCEPTION_ALL_WORDS) {
        snprintf(detail, sizeof(detail), ", rsp 0x%llx", (unsigned long long)message[3]);
    }
    microapp_end(app, "stopped: exception %llu at rip 0x%llx (error code 0x%llx%s)", (unsigned long long)message[0],
                 (unsigned long long)message[2], (unsigned long long)message[1], detail);
    return false;
}

static bool app_exit(struct microapp *app, unsigned words, const uint64_t *message, uint64_t *reply_tag)
{
    if (words < 1) {
        *reply_tag = ERROR_REPLY_TAG(ERROR_INVALID_ARGUMENT);
        return true;
    }
    log_service_flush(app->manifest->name, &app->log); /* its last words before the figures */
    uint64_t quota, used;
    if (factory_info(microapp_root_slot(app, MICROAPP_SLOT_FACTORY), &quota, &used) == ERROR_NONE) {
        /* What the app's objects, page tables and mapping records hold; its child factories' quotas count whole. */
        printf("%s: kernel memory at exit: %llu KiB of its %llu KiB quota\n", app->manifest->name,
               (unsigned long long)(used >> 10), (unsigned long long)(quota >> 10));
    }
    microapp_end(app, "exited with status %lld", (long long)(int64_t)message[0]);
    return false;
}

bool pager_handle(struct microapp *app, uint64_t tag, uint64_t *message, uint64_t *reply_tag)
{
    unsigned words = MESSAGE_TAG_WORDS(tag);
    switch (MESSAGE_TAG_LABEL(tag)) {
    case LABEL_PAGE_FAULT:
        return page_fault(app, words, message, reply_tag);
    case LABEL_EXCEPTION:
        return exception(app, words, message, reply_tag);
    case LABEL_APP_EXIT:
        return app_exit(app, words, message, reply_tag);
    default:
        *reply_tag = ERROR_REPLY_TAG(ERROR_INVALID_OPERATION);
        return true;
    }
}
