#include <arch/cpu.h>
#include <arch/cpu_local.h>
#include <arch/paging.h>
#include <arch/segments.h>
#include <arch/trap.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <string.h>

#define RFLAGS_INTERRUPTS 0x200
#define RFLAGS_RESERVED 0x2
#define SWITCH_FRAME_REGISTERS 6 /* rbp rbx r12 r13 r14 r15, as context_switch_stacks pushes them */

void context_switch_stacks(uint64_t *save_rsp, uint64_t load_rsp);
extern char thread_first_return[];
extern char kernel_thread_start[];

/* Clean FPU/SSE state (default control words) that every new thread starts from. */
static uint8_t initial_fpu_state[512] __attribute__((aligned(16)));

static uint64_t stack_top(const struct thread *thread)
{
    return (uint64_t)(uintptr_t)thread->kernel_stack + THREAD_KERNEL_STACK_SIZE;
}

struct trap_frame *thread_user_frame(struct thread *thread)
{
    return (struct trap_frame *)(uintptr_t)(stack_top(thread) - sizeof(struct trap_frame));
}

/* Lays out a switch frame below frame_top whose registers are zero except rbx, returning into resume. */
static void push_switch_frame(struct thread *thread, uint64_t frame_top, void *resume, uint64_t rbx)
{
    uint64_t *stack = (uint64_t *)(uintptr_t)frame_top;
    *--stack = (uint64_t)(uintptr_t)resume;
    for (int i = 0; i < SWITCH_FRAME_REGISTERS; i++) {
        *--stack = 0;
    }
    stack[4] = rbx; /* popped order: r15 r14 r13 r12 rbx rbp */
    thread->context.kernel_rsp = (uint64_t)(uintptr_t)stack;
    memcpy(thread->context.fpu_state, initial_fpu_state, sizeof(initial_fpu_state));
}

void thread_context_init(struct thread *thread)
{
    struct trap_frame *frame = thread_user_frame(thread);
    memset(frame, 0, sizeof(*frame));
    frame->cs = SELECTOR_USER_CODE | 3;
    frame->ss = SELECTOR_USER_DATA | 3;
    frame->rflags = RFLAGS_INTERRUPTS | RFLAGS_RESERVED;
    push_switch_frame(thread, (uint64_t)(uintptr_t)frame, thread_first_return, 0);
}

void thread_set_user_argument(struct thread *thread, uint64_t value)
{
    thread_user_frame(thread)->rdi = value;
}

void thread_context_init_kernel(struct thread *thread, void (*entry)(void))
{
    push_switch_frame(thread, stack_top(thread), kernel_thread_start, (uint64_t)(uintptr_t)entry);
}

void thread_context_switch(struct thread *prev, struct thread *next)
{
    __asm__ volatile("fxsave64 %0" : "=m"(prev->context.fpu_state));
    __asm__ volatile("fxrstor64 %0" : : "m"(next->context.fpu_state));
    if (next->task) {
        uint64_t root = next->task->space.root;
        if ((read_cr3() & PTE_ADDRESS_MASK) != root) {
            write_cr3(root);
        }
        msr_write(MSR_FS_BASE, next->utcb_address);
        tss_load_io_bitmap(next->task->io_bitmap, false);
    }
    tss_set_kernel_stack(stack_top(next));
    cpu_local_set_kernel_stack(stack_top(next));
    context_switch_stacks(&prev->context.kernel_rsp, next->context.kernel_rsp);
}

void thread_context_save_initial_fpu(void)
{
    __asm__ volatile("fninit");
    uint32_t mxcsr = 0x1f80; /* all SIMD exceptions masked, round to nearest */
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fxsave64 %0" : "=m"(initial_fpu_state));
}
