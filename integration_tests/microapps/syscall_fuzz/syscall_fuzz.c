/*
 * System-call fuzzing: hundreds of thousands of invocations with random
 * selectors, tags, timeouts, message registers and typed items, against every
 * capability this app holds and the objects it creates on the way. The kernel
 * must answer each with an error code (or do what was asked) and never stop;
 * the test harness checks that this app and its neighbours finish.
 *
 * The app spares only what would end the experiment itself: its own task and
 * thread capabilities, and memory items outside a scratch area it owns (a
 * grant of its own stack would just crash it, which proves nothing).
 */
#include "support.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ITERATIONS 200000

#define FIRST_FUZZED_SLOT 1
#define SLOT_RANGE 96
#define CHILD_FACTORY_SLOT 8
#define CHILD_SCHEDULER_SLOT 9
#define CHILD_HANDLER_SLOT 10
#define CHILD_FACTORY_QUOTA (256 * 1024)
#define HANDLER_LABEL 0xf0220
#define SCRATCH_PAGES 64

static uint8_t scratch[SCRATCH_PAGES][4096] __attribute__((aligned(4096)));
static uint64_t random_state = 0x9e3779b97f4a7c15ull;
static volatile unsigned long error_counts[ERROR_COUNT + 1];
static volatile unsigned long completed;

static uint64_t next_random(void)
{
    /* xorshift64*: deterministic for a given seed, so a failure can be replayed */
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return random_state * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t limit)
{
    return next_random() % limit;
}

/* Mostly the slots the child holds and creates objects in (8 up), sometimes any slot at all. */
static uint64_t random_slot(void)
{
    uint64_t choice = below(8);
    if (choice == 0) {
        return next_random();
    }
    return choice < 5 ? CHILD_FACTORY_SLOT + below(16) : FIRST_FUZZED_SLOT + below(SLOT_RANGE);
}

/* A typed item: mostly inside the scratch area, sometimes anywhere (unmapped pages are skipped). */
static uint64_t random_item(void)
{
    uint64_t page = below(4) == 0 ? next_random() >> 16 : ((uint64_t)(uintptr_t)scratch >> 12) + below(SCRATCH_PAGES);
    unsigned order = (unsigned)below(4) == 0 ? (unsigned)below(64) : (unsigned)below(3);
    unsigned rights = (unsigned)below(16);
    unsigned flags = (unsigned)below(2) ? ITEM_GRANT : 0;
    if (below(2)) {
        return ITEM_MEMORY(page, order, rights, flags);
    }
    return ITEM_CAPABILITY(random_slot(), order, rights, flags) | (below(8) == 0 ? 3 : 0);
}

static uint64_t random_timeouts(void)
{
    /* Mostly "do not wait"; sometimes a millisecond, so that blocking paths and their timeouts run too. */
    return below(16) == 0 ? TIMEOUTS(below(2), below(2)) : TIMEOUTS(TIMEOUT_POLL, TIMEOUT_POLL);
}

static void fuzz_once(void)
{
    struct utcb *u = utcb();
    unsigned words = (unsigned)below(72);
    unsigned items = (unsigned)below(10);
    for (unsigned i = 0; i < MESSAGE_REGISTERS; i++) {
        /* small numbers name object types, slots and operations; large ones are addresses and garbage */
        u->message[i] = below(2) ? below(24) : next_random();
    }
    for (unsigned i = 0; i < items && words + 2 * i + 1 < MESSAGE_REGISTERS; i++) {
        u->message[words + 2 * i] = random_item();
        u->message[words + 2 * i + 1] = below(2) ? below(8) * 4096 : next_random();
    }
    u->memory_window = below(2) ? ITEM_MEMORY(((uint64_t)(uintptr_t)scratch >> 12) + 32, below(6), 0, 0) : 0;
    u->capability_window = below(2) ? ITEM_CAPABILITY(FIRST_FUZZED_SLOT + below(SLOT_RANGE), below(4), 0, 0) : 0;
    uint64_t selector = SELECTOR(random_slot(), below(16));
    uint64_t tag = MESSAGE_TAG(below(24), words, items);
    if (below(32) == 0) {
        tag = next_random();
    }
    struct invoke_result result = invoke(selector, tag, random_timeouts());
    error_counts[result.error < ERROR_COUNT ? result.error : ERROR_COUNT]++;
}

/* The child's loop: the counters live in data pages the parent shares, so they survive the child. */
static void fuzz_forever(void)
{
    for (;;) {
        fuzz_once();
        completed++;
    }
}

/* A child task holding nothing of the parent's: a small factory of its own, the scheduler, the fault gate. */
static uint64_t child_task_new(uint64_t fault_gate)
{
    uint64_t task = task_sharing_image();
    uint64_t factory = slot_new();
    if (!task || factory_create_factory(resources.factory, factory, CHILD_FACTORY_QUOTA) != ERROR_NONE ||
        task_map_capability(task, ITEM_CAPABILITY(factory, 0, RIGHTS_ALL, ITEM_GRANT), CHILD_FACTORY_SLOT) !=
            ERROR_NONE ||
        task_map_capability(task, ITEM_CAPABILITY(resources.scheduler, 0, RIGHT_READ | RIGHT_WRITE, 0),
                            CHILD_SCHEDULER_SLOT) != ERROR_NONE ||
        task_map_capability(task, ITEM_CAPABILITY(fault_gate, 0, RIGHT_WRITE, 0), CHILD_HANDLER_SLOT) != ERROR_NONE) {
        return 0;
    }
    return task;
}

int main(int argc, char **argv)
{
    unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : DEFAULT_ITERATIONS;
    if (argc > 2) {
        random_state = strtoull(argv[2], NULL, 0) | 1;
    }
    if (!support_init(9)) {
        printf("syscall_fuzz needs capabilities named factory and scheduler\n");
        return 1;
    }
    printf("fuzzing %lu invocations, seed 0x%llx\n", iterations, (unsigned long long)random_state);
    uint64_t fault_gate = gate_new(APP_THREAD, HANDLER_LABEL);
    unsigned long restarts = 0;
    while (completed < iterations) {
        uint64_t task = child_task_new(fault_gate);
        uint64_t thread = task ? thread_start_in(task, fuzz_forever, resources.priority - 1, CHILD_HANDLER_SLOT) : 0;
        if (!thread) {
            printf("cannot start the fuzzing task\n");
            return 1;
        }
        /* Wait until it is done or dies; whatever else arrives on the gate (it fuzzes that too) is ignored. */
        while (completed < iterations &&
               task_capability_info(APP_TASK, thread, &(enum object_type){0}, &(unsigned){0}) == ERROR_NONE) {
            enum thread_state state = THREAD_READY;
            uint64_t ticks;
            unsigned priority;
            if (thread_info(thread, &state, &ticks, &priority) != ERROR_NONE || state == THREAD_DEAD) {
                break;
            }
            struct invoke_result result = ipc_receive(fault_gate, TIMEOUTS(0, 50));
            if (result.error == ERROR_NONE && MESSAGE_TAG_LABEL(result.tag) == LABEL_EXCEPTION) {
                break; /* its fault: the child stays blocked until its task goes */
            }
        }
        task_delete_object(APP_TASK, task);
        task_delete_object(APP_TASK, thread);
        if (completed < iterations) {
            restarts++;
        }
    }
    unsigned long total = 0;
    for (unsigned e = 0; e <= ERROR_COUNT; e++) {
        total += error_counts[e];
    }
    printf("fuzzing done: %lu invocations answered (%lu succeeded, %lu invalid capability, %lu invalid argument, "
           "%lu timeout, %lu other errors), fuzzing task restarted %lu times\n",
           total, error_counts[ERROR_NONE], error_counts[ERROR_INVALID_CAPABILITY],
           error_counts[ERROR_INVALID_ARGUMENT], error_counts[ERROR_TIMEOUT],
           total - error_counts[ERROR_NONE] - error_counts[ERROR_INVALID_CAPABILITY] -
               error_counts[ERROR_INVALID_ARGUMENT] - error_counts[ERROR_TIMEOUT],
           restarts);
    return total >= iterations ? 0 : 1;
}
