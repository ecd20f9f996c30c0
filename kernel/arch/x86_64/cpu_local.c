#include <arch/cpu.h>
#include <arch/cpu_local.h>
#include <arch/segments.h>

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SYSCALL (1u << 0)

#define RFLAGS_TRAP 0x100
#define RFLAGS_INTERRUPTS 0x200
#define RFLAGS_DIRECTION 0x400
#define RFLAGS_NESTED_TASK 0x4000
#define RFLAGS_ALIGNMENT_CHECK 0x40000

#define CR0_MONITOR_COPROCESSOR (1ull << 1)
#define CR0_EMULATION (1ull << 2)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

void syscall_entry(void);
void thread_context_save_initial_fpu(void);

static struct cpu_local boot_cpu;

void cpu_local_set_kernel_stack(uint64_t stack_top)
{
    boot_cpu.kernel_stack_top = stack_top;
}

static void enable_sse(void)
{
    uint64_t cr0 = (read_cr0() & ~CR0_EMULATION) | CR0_MONITOR_COPROCESSOR;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    __asm__ volatile("mov %0, %%cr4" : : "r"(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT));
    thread_context_save_initial_fpu();
}

void cpu_local_init(void)
{
    /* The kernel runs with its %gs base; user mode gets 0 (swapped in on the way out). */
    msr_write(MSR_GS_BASE, (uint64_t)(uintptr_t)&boot_cpu);
    msr_write(MSR_KERNEL_GS_BASE, 0);

    msr_write(MSR_EFER, msr_read(MSR_EFER) | EFER_SYSCALL);
    msr_write(MSR_STAR, (uint64_t)(SELECTOR_USER_CODE32 | 3) << 48 | (uint64_t)SELECTOR_KERNEL_CODE << 32);
    msr_write(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    /* Entered with interrupts off and a sane direction flag; user mode cannot smuggle TF/AC/NT in. */
    msr_write(MSR_SYSCALL_MASK,
              RFLAGS_TRAP | RFLAGS_INTERRUPTS | RFLAGS_DIRECTION | RFLAGS_NESTED_TASK | RFLAGS_ALIGNMENT_CHECK);
    enable_sse();
}
