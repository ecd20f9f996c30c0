/*
 * IPC and system-call costs, measured from user mode with the time-stamp
 * counter. Under QEMU with -icount shift=0 the counter advances once per guest
 * instruction, so the same numbers are instruction counts; under plain TCG
 * they are (noisy) ticks. Prints one "bench <name> min <n> median <n>" line
 * per measurement; deploy/bench turns the lines of both runs into a table.
 */
#include "support.h"
#include <kapsel/environment.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERATIONS 10000
#define WARM_UP 100

static uint64_t samples[ITERATIONS];

static inline uint64_t timestamp(void)
{
    uint32_t low, high;
    __asm__ volatile("lfence; rdtsc" : "=a"(low), "=d"(high) : : "memory");
    return (uint64_t)high << 32 | low;
}

static int compare(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;
    return a < b ? -1 : a > b;
}

/* Runs operation ITERATIONS times (after a warm-up), one timestamp pair each, and reports min and median. */
static void measure(const char *name, void (*operation)(uint64_t), uint64_t argument)
{
    for (int i = 0; i < WARM_UP; i++) {
        operation(argument);
    }
    uint64_t overhead = UINT64_MAX;
    for (int i = 0; i < 1000; i++) {
        uint64_t start = timestamp();
        uint64_t end = timestamp();
        overhead = end - start < overhead ? end - start : overhead;
    }
    for (int i = 0; i < ITERATIONS; i++) {
        uint64_t start = timestamp();
        operation(argument);
        uint64_t end = timestamp();
        samples[i] = end - start - overhead;
    }
    qsort(samples, ITERATIONS, sizeof(samples[0]), compare);
    printf("bench %s min %llu median %llu iterations %d\n", name, (unsigned long long)samples[0],
           (unsigned long long)samples[ITERATIONS / 2], ITERATIONS);
}

/* The cheapest complete system call: an open wait that polls and finds nothing. */
static void null_syscall(uint64_t unused)
{
    (void)unused;
    invoke(SELECTOR(0, IPC_WAIT), 0, TIMEOUTS(0, TIMEOUT_POLL));
}

static void call_empty(uint64_t gate)
{
    ipc_call(gate, MESSAGE_TAG(0, 0, 0), NEVER);
}

static void echo_server(void)
{
    ipc_wait(NEVER);
    for (;;) {
        ipc_reply_and_wait(MESSAGE_TAG(0, 0, 0), NEVER);
    }
}

int main(void)
{
    if (!support_init(10)) {
        printf("ipc_bench needs capabilities named factory and scheduler\n");
        return 1;
    }
    measure("null_syscall", null_syscall, 0);

    uint64_t local_server = thread_start(echo_server, resources.priority);
    uint64_t local_gate = gate_new(local_server, 1);
    measure("ipc_call_reply_same_task", call_empty, local_gate);

    uint64_t task = task_sharing_image();
    uint64_t remote_server = thread_start_in(task, echo_server, resources.priority, 0);
    uint64_t remote_gate = gate_new(remote_server, 2);
    measure("ipc_call_reply_two_tasks", call_empty, remote_gate);
    printf("bench done\n");
    return 0;
}
