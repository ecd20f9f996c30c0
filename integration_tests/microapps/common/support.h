/*
 * Building blocks for test and benchmark Micro-Apps: free slots and
 * addresses, threads in this task or in a new task that shares this app's
 * image, gates, deletion, sleeping.
 */
#ifndef MICROAPP_SUPPORT_H
#define MICROAPP_SUPPORT_H

#include <kapsel/abi.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stdint.h>

#define NEVER TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)

/* Capabilities of the app (from its named capabilities) and its main thread's priority. */
struct test_resources {
    uint64_t factory;
    uint64_t scheduler;
    unsigned priority; /* of the main thread */
};
extern struct test_resources resources;

/* A fresh empty slot in the app's capability table. */
uint64_t slot_new(void);

/* A fresh, never-used page-aligned user address range (for UTCBs and mapping targets). */
uint64_t address_new(unsigned pages);

/* A thread in this task running entry at priority; returns its capability slot. */
uint64_t thread_start(void (*entry)(void), unsigned priority);

/* Starts an already configured thread at entry on a fresh stack. */
uint64_t test_thread_start_existing(uint64_t thread, void (*entry)(void), unsigned priority);

/* A fresh thread stack (its top, ready for a function entry). */
uint64_t test_stack_top(void);

/* A new task (with its own address space) sharing this app's image, stack pages and data. */
uint64_t task_sharing_image(void);

/* A thread in that task running entry, its UTCB at APP_UTCB_ADDRESS; exception handler slot in that task. */
uint64_t thread_start_in(uint64_t task, void (*entry)(void), unsigned priority, uint64_t exception_slot);

/* A gate in the factory, bound to thread, with label. */
uint64_t gate_new(uint64_t thread, uint64_t label);

/* Deletes the object in slot (the slot must hold RIGHT_DELETE). */
void object_delete(uint64_t slot);

/* Blocks the calling thread for good (threads cannot end themselves; they are deleted). */
_Noreturn void block_forever(void);

/* Sleeps by waiting for a message that never comes, for about ms milliseconds. */
void sleep_ms(uint32_t ms);

uint64_t ticks_now(void);

/* Looks up the "factory" and "scheduler" capabilities; false if either is missing. */
bool support_init(unsigned main_priority);

#endif
