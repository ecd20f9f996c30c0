/* Fixed-priority scheduling, round-robin within a priority, time slices counted in timer ticks. */
#ifndef KAPSEL_SCHEDULER_H
#define KAPSEL_SCHEDULER_H

#include <kapsel/object.h>
#include <kapsel/thread.h>

#define SCHEDULER_DEFAULT_TIME_SLICE 2

/* Creates the idle thread and makes the boot context the first "current" thread's stack. */
void scheduler_init(void);

/* Leaves the boot stack for the first ready thread; never returns. */
_Noreturn void scheduler_start(void);

/* Queues a dead thread's memory to be freed once the CPU is off its stack. */
void scheduler_bury(struct thread *thread);

/* Makes a thread runnable (end of its priority's queue). */
void scheduler_make_ready(struct thread *thread);

/* Removes a thread from the run queues (it blocks or dies). */
void scheduler_remove(struct thread *thread);

/* Switches to the best ready thread; returns when the caller is scheduled again. */
void schedule(void);

/*
 * The current thread blocks (state, deadline) and hands the CPU to next, a
 * thread it just woke from an IPC wait (next->ipc_result is set): directly,
 * without the run queues, unless a ready thread outranks next. Returns when
 * the current thread runs again.
 */
void scheduler_hand_over(struct thread *next, enum thread_state state, uint64_t deadline);

/* Timer interrupt: accounts the tick, expires IPC timeouts, asks for preemption when a slice ends. */
void scheduler_tick(void);

/* True if the current thread should give up the CPU before returning to user mode. */
bool scheduler_preemption_pending(void);

/* Blocks the current thread until woken or until deadline (a tick; 0: never). */
void scheduler_block_current(enum thread_state state, uint64_t deadline);

/* Re-arms a blocked thread's timeout (e.g. a call whose message was taken now waits for the reply). */
void scheduler_set_deadline(struct thread *thread, uint64_t deadline);

/* The tick at which a wait of timeout_ms ends; 0 for TIMEOUT_NEVER. */
uint64_t scheduler_deadline(uint32_t timeout_ms);

/* Wakes a blocked thread with an IPC result. */
void scheduler_wake(struct thread *thread, enum error result);

/* Ticks the CPU spent in the idle thread. */
uint64_t scheduler_idle_ticks(void);

struct object *scheduler_object(void);

enum error scheduler_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

#endif
