/* Building blocks the tests share: slots, addresses, threads, tasks, gates. */
#include "support.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>

#define FIRST_TEST_SLOT 64
#define ADDRESS_POOL_BASE 0x0000500000000000ull
#define THREAD_STACK_SIZE 16384
#define MAX_THREADS 48

struct test_resources resources;
static uint64_t next_slot = FIRST_TEST_SLOT;
static uint64_t next_address = ADDRESS_POOL_BASE;
static uint8_t thread_stacks[MAX_THREADS][THREAD_STACK_SIZE] __attribute__((aligned(4096)));
static unsigned next_stack;

uint64_t slot_new(void)
{
    return next_slot++;
}

uint64_t address_new(unsigned pages)
{
    uint64_t address = next_address;
    next_address += (uint64_t)(pages + 1) * 4096; /* a guard page between ranges */
    return address;
}

static uint64_t stack_top_new(void)
{
    if (next_stack == MAX_THREADS) {
        return 0;
    }
    /* Entered like a called function: the return-address slot leaves %rsp at 8 mod 16. */
    return (uint64_t)(uintptr_t)thread_stacks[next_stack++] + THREAD_STACK_SIZE - 8;
}

static uint64_t thread_new_bound(uint64_t task, uint64_t utcb_address, uint64_t exception_slot)
{
    uint64_t thread = slot_new();
    if (factory_create_thread(resources.factory, thread) != ERROR_NONE ||
        thread_configure(thread, task, utcb_address, 0, exception_slot) != ERROR_NONE) {
        return 0;
    }
    return thread;
}

static uint64_t run(uint64_t thread, void (*entry)(void), unsigned priority)
{
    uint64_t stack = stack_top_new();
    if (!thread || !stack || thread_ex_regs(thread, (uint64_t)(uintptr_t)entry, stack, 0) != ERROR_NONE ||
        scheduler_run(resources.scheduler, thread, priority, 2) != ERROR_NONE) {
        return 0;
    }
    return thread;
}

uint64_t test_thread_start_existing(uint64_t thread, void (*entry)(void), unsigned priority)
{
    return run(thread, entry, priority);
}

uint64_t test_stack_top(void)
{
    return stack_top_new();
}

uint64_t thread_start(void (*entry)(void), unsigned priority)
{
    return run(thread_new_bound(APP_TASK, address_new(1), 0), entry, priority);
}

uint64_t task_sharing_image(void)
{
    extern char _end[];
    uint64_t task = slot_new();
    if (factory_create_task(resources.factory, task, 256) != ERROR_NONE) {
        return 0;
    }
    /* Text, read-only data, data and the thread stacks, each page with the rights it has here (4 MiB at a time). */
    const uint64_t chunk_order = 10;
    for (uint64_t address = 0x400000; address < (uint64_t)(uintptr_t)_end; address += 4096ull << chunk_order) {
        if (task_map(task, ITEM_MEMORY(address >> 12, chunk_order, MEMORY_ALL, 0), address) != ERROR_NONE) {
            return 0;
        }
    }
    return task;
}

uint64_t thread_start_in(uint64_t task, void (*entry)(void), unsigned priority, uint64_t exception_slot)
{
    return run(thread_new_bound(task, APP_UTCB_ADDRESS, exception_slot), entry, priority);
}

uint64_t gate_new(uint64_t thread, uint64_t label)
{
    uint64_t gate = slot_new();
    if (factory_create_gate(resources.factory, gate, thread, label) != ERROR_NONE) {
        return 0;
    }
    return gate;
}

void object_delete(uint64_t slot)
{
    task_delete_object(APP_TASK, slot);
}

void block_forever(void)
{
    for (;;) {
        ipc_wait(NEVER);
    }
}

uint64_t ticks_now(void)
{
    uint64_t ticks = 0, idle, per_second;
    scheduler_info(resources.scheduler, &ticks, &idle, &per_second);
    return ticks;
}

void sleep_ms(uint32_t ms)
{
    uint64_t gate = gate_new(APP_THREAD, 0);
    ipc_receive(gate, TIMEOUTS(TIMEOUT_NEVER, ms));
    object_delete(gate);
}

bool support_init(unsigned main_priority)
{
    resources.factory = capability_named("factory");
    resources.scheduler = capability_named("scheduler");
    resources.priority = main_priority;
    return resources.factory && resources.scheduler;
}
