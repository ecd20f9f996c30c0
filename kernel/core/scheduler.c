#include <kapsel/arch.h>
#include <kapsel/ipc.h>
#include <kapsel/kmem.h>
#include <kapsel/panic.h>
#include <kapsel/scheduler.h>
#include <kapsel/timer.h>
#include <kapsel/wall_clock.h>

#define PRIORITIES 256
#define BITMAP_WORDS (PRIORITIES / 64)

static struct list_node ready_queues[PRIORITIES];
static uint64_t ready_bitmap[BITMAP_WORDS];
static struct list_node timeouts = LIST_INIT(timeouts);
static struct list_node zombies = LIST_INIT(zombies);
static struct thread *current;
static struct thread *idle_thread;
static struct thread boot_context; /* where the boot stack's registers go on the first switch */
static bool preemption_pending;
static uint64_t idle_ticks;
static struct object scheduler = {.type = OBJECT_SCHEDULER, .permanent = true};

struct thread *thread_current(void)
{
    return current;
}

struct object *scheduler_object(void)
{
    return &scheduler;
}

uint64_t scheduler_idle_ticks(void)
{
    return idle_ticks;
}

static void mark_ready(unsigned priority)
{
    ready_bitmap[priority / 64] |= (uint64_t)1 << (priority % 64);
}

static void enqueue(struct thread *thread, bool at_head)
{
    if (at_head) {
        list_add_head(&ready_queues[thread->priority], &thread->run_link);
    } else {
        list_add_tail(&ready_queues[thread->priority], &thread->run_link);
    }
    mark_ready(thread->priority);
}

void scheduler_remove(struct thread *thread)
{
    if (!list_linked(&thread->run_link)) {
        return;
    }
    list_remove(&thread->run_link);
    if (list_empty(&ready_queues[thread->priority])) {
        ready_bitmap[thread->priority / 64] &= ~((uint64_t)1 << (thread->priority % 64));
    }
}

void scheduler_make_ready(struct thread *thread)
{
    if (thread == idle_thread || thread->state == THREAD_DEAD || !thread->started) {
        return;
    }
    if (list_linked(&thread->timeout_link)) {
        list_remove(&thread->timeout_link);
    }
    thread->state = THREAD_READY;
    if (!list_linked(&thread->run_link)) {
        enqueue(thread, false);
    }
    if (current == idle_thread || thread->priority > current->priority) {
        preemption_pending = true;
    }
}

static struct thread *pick_next(void)
{
    for (int word = BITMAP_WORDS - 1; word >= 0; word--) {
        if (ready_bitmap[word]) {
            unsigned priority = (unsigned)word * 64 + 63 - (unsigned)__builtin_clzll(ready_bitmap[word]);
            return container_of(ready_queues[priority].next, struct thread, run_link);
        }
    }
    return idle_thread;
}

static void reap_zombies(void)
{
    struct list_node *node, *next;
    list_for_each_safe(node, next, &zombies)
    {
        struct thread *zombie = container_of(node, struct thread, run_link);
        if (zombie != current) {
            list_remove(node);
            kmem_free(zombie->kernel_stack, THREAD_KERNEL_STACK_SIZE);
            kmem_free(zombie, sizeof(*zombie));
        }
    }
}

/* Frees a dead thread's stack and record once no CPU runs on them any more. */
void scheduler_bury(struct thread *thread)
{
    scheduler_remove(thread);
    list_add_tail(&zombies, &thread->run_link);
    if (thread != current) {
        reap_zombies();
    }
}

void schedule(void)
{
    struct thread *prev = current;
    if (prev->state == THREAD_RUNNING && prev != idle_thread) {
        /* Preempted: a spent slice goes to the back of the queue, a remaining one keeps its turn. */
        prev->state = THREAD_READY;
        enqueue(prev, prev->ticks_left > 0);
    }
    struct thread *next = pick_next();
    scheduler_remove(next);
    next->state = THREAD_RUNNING;
    if (next->ticks_left == 0) {
        next->ticks_left = next->time_slice;
    }
    preemption_pending = false;
    if (next != prev) {
        current = next;
        thread_context_switch(prev, next);
    }
    reap_zombies();
}

/* True if a ready thread outranks priority. */
static bool ready_above(unsigned priority)
{
    for (int word = BITMAP_WORDS - 1; word >= 0; word--) {
        if (ready_bitmap[word]) {
            return (unsigned)word * 64 + 63 - (unsigned)__builtin_clzll(ready_bitmap[word]) > priority;
        }
    }
    return false;
}

void scheduler_hand_over(struct thread *next, enum thread_state state, uint64_t deadline)
{
    if (!next->started || next->state == THREAD_DEAD || next == current || ready_above(next->priority)) {
        scheduler_make_ready(next);
        scheduler_block_current(state, deadline);
        return;
    }
    /* The IPC fast path: next leaves its wait and runs at once, the run queues untouched. */
    if (list_linked(&next->timeout_link)) {
        list_remove(&next->timeout_link);
    }
    struct thread *prev = current;
    prev->state = state;
    scheduler_set_deadline(prev, deadline);
    next->state = THREAD_RUNNING;
    if (next->ticks_left == 0) {
        next->ticks_left = next->time_slice;
    }
    current = next;
    thread_context_switch(prev, next);
    reap_zombies();
    if (list_linked(&current->timeout_link)) {
        list_remove(&current->timeout_link);
    }
}

bool scheduler_preemption_pending(void)
{
    return preemption_pending;
}

void scheduler_block_current(enum thread_state state, uint64_t deadline)
{
    current->state = state;
    scheduler_set_deadline(current, deadline);
    schedule();
    if (list_linked(&current->timeout_link)) {
        list_remove(&current->timeout_link);
    }
}

void scheduler_set_deadline(struct thread *thread, uint64_t deadline)
{
    if (list_linked(&thread->timeout_link)) {
        list_remove(&thread->timeout_link);
    }
    thread->deadline = deadline;
    if (deadline) {
        list_add_tail(&timeouts, &thread->timeout_link);
    }
}

uint64_t scheduler_deadline(uint32_t timeout_ms)
{
    if (timeout_ms == TIMEOUT_NEVER) {
        return 0;
    }
    uint64_t ticks = ((uint64_t)timeout_ms * TIMER_HZ + 999) / 1000;
    return timer_ticks() + (ticks ? ticks : 1);
}

void scheduler_wake(struct thread *thread, enum error result)
{
    thread->ipc_result = result;
    scheduler_make_ready(thread);
}

void scheduler_tick(void)
{
    uint64_t now = timer_ticks();
    current->ticks_run++;
    if (current == idle_thread) {
        idle_ticks++;
    } else if (current->ticks_left > 0 && --current->ticks_left == 0) {
        preemption_pending = true;
    }
    struct list_node *node, *next;
    list_for_each_safe(node, next, &timeouts)
    {
        struct thread *waiting = container_of(node, struct thread, timeout_link);
        if (waiting->deadline <= now) {
            list_remove(node);
            ipc_cancel(waiting, ERROR_TIMEOUT);
        }
    }
}

static void idle_loop(void)
{
    for (;;) {
        while (!preemption_pending) {
            arch_wait_for_interrupt();
        }
        schedule();
    }
}

void scheduler_init(void)
{
    for (unsigned i = 0; i < PRIORITIES; i++) {
        list_init(&ready_queues[i]);
    }
    if (thread_create(NULL, &idle_thread) != ERROR_NONE) {
        panic("cannot create the idle thread");
    }
    idle_thread->object.permanent = true;
    idle_thread->priority = 0;
    idle_thread->started = true;
    thread_context_init_kernel(idle_thread, idle_loop);
    boot_context.state = THREAD_DEAD;
    current = &boot_context;
}

void scheduler_start(void)
{
    preemption_pending = true;
    schedule();
    panic("the boot context was scheduled again");
}

enum error scheduler_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    unsigned words = MESSAGE_TAG_WORDS(tag);
    switch (MESSAGE_TAG_LABEL(tag)) {
    case SCHEDULER_RUN: {
        if (!(capability->rights & RIGHT_WRITE)) {
            return ERROR_MISSING_RIGHTS;
        }
        if (words < 3) {
            return ERROR_INVALID_ARGUMENT;
        }
        struct capability *thread_capability;
        enum error error =
            capability_lookup(capability->owner, message[0], OBJECT_THREAD, RIGHT_WRITE, &thread_capability);
        if (error != ERROR_NONE) {
            return error;
        }
        struct thread *thread = (struct thread *)thread_capability->object;
        if (message[1] >= PRIORITIES || message[2] == 0 || message[2] > 1000) {
            return ERROR_INVALID_ARGUMENT;
        }
        if (!thread->task || thread->state == THREAD_DEAD) {
            return ERROR_BUSY; /* not bound to a task yet, or dead */
        }
        bool queued = list_linked(&thread->run_link);
        scheduler_remove(thread);
        thread->priority = (uint8_t)message[1];
        thread->time_slice = (uint32_t)message[2];
        if (queued) {
            enqueue(thread, false);
        }
        if (!thread->started) {
            thread->started = true;
            scheduler_make_ready(thread);
        }
        return ERROR_NONE;
    }
    case SCHEDULER_INFO:
        if (!(capability->rights & RIGHT_READ)) {
            return ERROR_MISSING_RIGHTS;
        }
        message[0] = timer_ticks();
        message[1] = idle_ticks;
        message[2] = TIMER_HZ;
        message[3] = wall_clock_boot_seconds();
        *reply_words = 4;
        return ERROR_NONE;
    default:
        return ERROR_INVALID_OPERATION;
    }
}
