/*
 * IPC and system-call costs, measured from user mode with the time-stamp
 * counter. Under QEMU with -icount shift=0 the counter advances once per guest
 * instruction, so the same numbers are instruction counts; under plain TCG
 * they are (noisy) ticks. Prints one "bench <name> min <n> median <n>" line
 * per measurement; deploy/bench turns the lines of both runs into a table.
 */
#include "support.h"
#include <kapsel/environment.h>
#include <kapsel/vcpu_state.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static uint8_t guest_code[4096] __attribute__((aligned(4096)));
static struct vcpu_state *vcpu_state;

/* One guest exit and re-entry: VMMCALL exits to us, we skip it, the guest jumps back to it. */
static void vm_exit_round_trip(uint64_t vm)
{
    vm_run(vm, 0);
    vcpu_state->rip += vcpu_state->exit.instruction_length;
}

/* A VM whose guest (32-bit, paging off) loops on VMMCALL; 0 if this machine cannot run VMs. */
static uint64_t hypercall_loop_vm(void)
{
    static const uint8_t loop[] = {0x0f, 0x01, 0xd9, 0xeb, 0xfb}; /* vmmcall; jmp back to it */
    memcpy(guest_code, loop, sizeof(loop));
    uint64_t vm = slot_new();
    uint64_t state_address = address_new(1);
    if (factory_create_vm(resources.factory, vm, 1) != ERROR_NONE ||
        vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_code >> 12, 0, MEMORY_ALL, 0), 0x1000) != ERROR_NONE ||
        vm_vcpu_create(vm, 0, state_address) != ERROR_NONE) {
        return 0;
    }
    vcpu_state = (struct vcpu_state *)(uintptr_t)state_address;
    memset(vcpu_state, 0, sizeof(*vcpu_state));
    vcpu_state->cr0 = 0x11;
    vcpu_state->rflags = 0x2;
    vcpu_state->rip = 0x1000;
    vcpu_state->cs = (struct vcpu_segment){0x8, 0xc9b, 0xffffffff, 0};
    struct vcpu_segment data = {0x10, 0xc93, 0xffffffff, 0};
    vcpu_state->ds = vcpu_state->es = vcpu_state->fs = vcpu_state->gs = vcpu_state->ss = data;
    vcpu_state->tr = (struct vcpu_segment){0, 0x8b, 0xffff, 0};
    vcpu_state->ldtr = (struct vcpu_segment){0, 0x82, 0xffff, 0};
    vcpu_state->gdtr.limit = vcpu_state->idtr.limit = 0xffff;
    vcpu_state->pat = 0x0007040600070406ull;
    return vm;
}

static uint8_t guest_ram[2u << 20] __attribute__((aligned(2u << 20)));

/* Kernel memory one VM costs its factory: Vm object, vCPU (control block, state page), nested page tables
 * and mapping records for 2 MiB of guest RAM. Guest RAM itself is the VMM's and not counted. */
static void report_vm_kernel_memory(void)
{
    uint64_t quota, before, after;
    for (size_t offset = 0; offset < sizeof(guest_ram); offset += 4096) {
        guest_ram[offset] = 0; /* make every page present, as a VMM's guest RAM is */
    }
    factory_info(resources.factory, &quota, &before);
    uint64_t vm = slot_new();
    enum error error = factory_create_vm(resources.factory, vm, 1);
    if (error == ERROR_NONE) {
        error = vm_map(vm, ITEM_MEMORY((uint64_t)(uintptr_t)guest_ram >> 12, 9, MEMORY_ALL, 0), 0);
    }
    if (error == ERROR_NONE) {
        error = vm_vcpu_create(vm, 0, address_new(1));
    }
    if (error != ERROR_NONE) {
        printf("bench vm_kernel_bytes not measured: error %d\n", error);
        return;
    }
    factory_info(resources.factory, &quota, &after);
    printf("bench vm_kernel_bytes %llu for 1 vCPU and 2 MiB of guest RAM\n", (unsigned long long)(after - before));
    task_delete_object(APP_TASK, vm);
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

    uint64_t vm = hypercall_loop_vm();
    if (vm) {
        measure("vm_exit_round_trip", vm_exit_round_trip, vm);
        task_delete_object(APP_TASK, vm); /* a thread owns one vCPU at a time */
    } else {
        printf("bench vm_exit_round_trip skipped: this machine cannot run VMs\n");
    }
    report_vm_kernel_memory();
    printf("bench done\n");
    return 0;
}
