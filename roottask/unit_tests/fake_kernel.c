#include "fake_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ull
#define MAX_PAGES 4096

struct fake_kernel fake;

static uint64_t pages[MAX_PAGES];
static size_t page_count;

static void abort_with(const char *why)
{
    fprintf(stderr, "fake kernel: %s\n", why);
    abort();
}

static enum error injected(const char *operation)
{
    if (!fake.fail_operation || strcmp(fake.fail_operation, operation) != 0) {
        return ERROR_NONE;
    }
    if (fake.fail_skip > 0) {
        fake.fail_skip--;
        return ERROR_NONE;
    }
    fake.fail_operation = NULL;
    return fake.fail_error;
}

static size_t find_page(uint64_t address)
{
    for (size_t i = 0; i < page_count; i++) {
        if (pages[i] == address) {
            return i;
        }
    }
    return page_count;
}

bool fake_page_present(uint64_t address)
{
    return find_page(address & ~(PAGE - 1)) < page_count;
}

static void unmap_page(size_t index)
{
    munmap((void *)(uintptr_t)pages[index], PAGE);
    pages[index] = pages[--page_count];
}

void fake_reset(void)
{
    while (page_count > 0) {
        unmap_page(0);
    }
    memset(&fake, 0, sizeof(fake));
}

enum error memory_allocate(uint64_t memory, uint64_t item)
{
    if (memory != ROOT_MEMORY || ITEM_TYPE(item) != ITEM_TYPE_MEMORY) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t address = ITEM_BASE(item) << PAGE_SHIFT_BITS;
    uint64_t count = 1ull << ITEM_ORDER(item);
    if (address % (PAGE * count) != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    for (uint64_t i = 0; i < count; i++) { /* as the kernel does: the whole block is checked first */
        if (fake_page_present(address + i * PAGE)) {
            return ERROR_SLOT_OCCUPIED;
        }
    }
    enum error error = injected("memory_allocate");
    if (error != ERROR_NONE) {
        return error;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (page_count == MAX_PAGES) {
            abort_with("too many pages");
        }
        uint64_t page_address = address + i * PAGE;
        void *page =
            mmap((void *)(uintptr_t)page_address, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page != (void *)(uintptr_t)page_address) {
            abort_with("cannot map a page where the root task wants it");
        }
        pages[page_count++] = page_address;
    }
    fake.allocate_count++;
    return ERROR_NONE;
}

enum error memory_info(uint64_t memory, uint64_t *free_bytes, uint64_t *total_bytes)
{
    if (memory != ROOT_MEMORY) {
        return ERROR_INVALID_CAPABILITY;
    }
    *total_bytes = MAX_PAGES * PAGE;
    *free_bytes = (MAX_PAGES - page_count) * PAGE;
    return ERROR_NONE;
}

static enum error create(uint64_t factory, uint64_t slot, enum object_type type, uint64_t first, uint64_t second)
{
    static const char *const names[OBJECT_TYPE_COUNT] = {
        [OBJECT_TASK] = "factory_create_task",     [OBJECT_THREAD] = "factory_create_thread",
        [OBJECT_IPC_GATE] = "factory_create_gate", [OBJECT_FACTORY] = "factory_create_factory",
        [OBJECT_IRQ] = "factory_create_irq",
    };
    enum error error = injected(names[type]);
    if (error != ERROR_NONE) {
        return error;
    }
    if (fake.created_count == FAKE_MAX_RECORDS) {
        abort_with("too many objects");
    }
    fake.created[fake.created_count++] = (struct fake_object){factory, slot, type, {first, second}};
    return ERROR_NONE;
}

enum error factory_create_task(uint64_t factory, uint64_t dest_slot, uint64_t capability_slots)
{
    return create(factory, dest_slot, OBJECT_TASK, capability_slots, 0);
}

enum error factory_create_thread(uint64_t factory, uint64_t dest_slot)
{
    return create(factory, dest_slot, OBJECT_THREAD, 0, 0);
}

enum error factory_create_gate(uint64_t factory, uint64_t dest_slot, uint64_t thread_slot, uint64_t label)
{
    return create(factory, dest_slot, OBJECT_IPC_GATE, thread_slot, label);
}

enum error factory_create_factory(uint64_t factory, uint64_t dest_slot, uint64_t quota)
{
    return create(factory, dest_slot, OBJECT_FACTORY, quota, 0);
}

enum error factory_create_irq(uint64_t factory, uint64_t dest_slot)
{
    return create(factory, dest_slot, OBJECT_IRQ, 0, 0);
}

enum error irq_bind(uint64_t irq, uint64_t thread_slot, uint64_t label)
{
    enum error error = injected("irq_bind");
    if (error == ERROR_NONE) {
        fake.irq_bind.irq = irq;
        fake.irq_bind.thread = thread_slot;
        fake.irq_bind.label = label;
    }
    return error;
}

enum error irq_trigger(uint64_t irq)
{
    if (fake.trigger_count == FAKE_MAX_RECORDS) {
        abort_with("too many triggers");
    }
    fake.triggered[fake.trigger_count++] = irq;
    return ERROR_NONE;
}

/* The fake keeps no accounts: the root task then reports no kernel memory figures. */
enum error factory_info(uint64_t factory, uint64_t *quota, uint64_t *used)
{
    (void)factory;
    (void)quota;
    (void)used;
    return ERROR_UNSUPPORTED;
}

enum error task_map(uint64_t task, uint64_t item, uint64_t dest_address)
{
    enum error error = injected("task_map");
    if (error != ERROR_NONE) {
        return error;
    }
    if (!fake_page_present(ITEM_BASE(item) << PAGE_SHIFT_BITS)) {
        return ERROR_NONE; /* as the kernel does: holes in the source are skipped */
    }
    fake.maps[fake.map_count++] = (struct fake_map){task, item, dest_address};
    return ERROR_NONE;
}

enum error task_unmap(uint64_t task, uint64_t item, unsigned flags)
{
    if (fake.unmap_count == FAKE_MAX_RECORDS) {
        abort_with("too many unmaps");
    }
    fake.unmaps[fake.unmap_count++] = (struct fake_unmap){task, item, flags};
    if (task == ROOT_TASK && (flags & UNMAP_SELF)) {
        uint64_t start = ITEM_BASE(item) << PAGE_SHIFT_BITS;
        uint64_t end = start + (PAGE << ITEM_ORDER(item));
        for (size_t i = 0; i < page_count;) {
            if (pages[i] >= start && pages[i] < end) {
                unmap_page(i);
            } else {
                i++;
            }
        }
    }
    return ERROR_NONE;
}

enum error task_map_capability(uint64_t task, uint64_t item, uint64_t dest_slot)
{
    enum error error = injected("task_map_capability");
    if (error != ERROR_NONE) {
        return error;
    }
    fake.capability_maps[fake.capability_map_count++] = (struct fake_map){task, item, dest_slot};
    return ERROR_NONE;
}

enum error task_delete_object(uint64_t task, uint64_t slot)
{
    if (task != ROOT_TASK) {
        return ERROR_INVALID_ARGUMENT;
    }
    fake.deleted[fake.deleted_count++] = slot;
    return ERROR_NONE;
}

enum error thread_configure(uint64_t thread, uint64_t task_slot, uint64_t utcb_address, uint64_t pager_slot,
                            uint64_t exception_slot)
{
    enum error error = injected("thread_configure");
    if (error == ERROR_NONE) {
        fake.configure.thread = thread;
        fake.configure.task = task_slot;
        fake.configure.utcb = utcb_address;
        fake.configure.pager = pager_slot;
        fake.configure.exception = exception_slot;
    }
    return error;
}

enum error thread_ex_regs(uint64_t thread, uint64_t rip, uint64_t rsp, unsigned flags)
{
    enum error error = injected("thread_ex_regs");
    if (error == ERROR_NONE) {
        fake.ex_regs.thread = thread;
        fake.ex_regs.rip = rip;
        fake.ex_regs.rsp = rsp;
        fake.ex_regs.flags = flags;
    }
    return error;
}

enum error scheduler_run(uint64_t scheduler, uint64_t thread_slot, unsigned priority, unsigned slice_ticks)
{
    enum error error = injected("scheduler_run");
    if (error == ERROR_NONE) {
        fake.run.scheduler = scheduler;
        fake.run.thread = thread_slot;
        fake.run.priority = priority;
        fake.run.slice = slice_ticks;
    }
    return error;
}

/* --- stdout capture -------------------------------------------------------------------------- */

static FILE *capture_file;
static int saved_stdout = -1;
static char captured[16384];

void fake_capture_begin(void)
{
    fflush(stdout);
    capture_file = tmpfile();
    if (!capture_file) {
        abort_with("no temporary file");
    }
    saved_stdout = dup(STDOUT_FILENO);
    dup2(fileno(capture_file), STDOUT_FILENO);
}

const char *fake_capture_end(void)
{
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    rewind(capture_file);
    size_t length = fread(captured, 1, sizeof(captured) - 1, capture_file);
    captured[length] = '\0';
    fclose(capture_file);
    return captured;
}
