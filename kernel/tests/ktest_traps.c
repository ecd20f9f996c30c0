/* CPU exceptions reach the kernel's handler with the right vector, error code and address. */
#include <arch/trap.h>
#include <kapsel/ktest.h>

#define VECTOR_BREAKPOINT 3
#define VECTOR_INVALID_OPCODE 6
#define PAGE_FAULT_PROTECTION 1u
#define PAGE_FAULT_WRITE 2u

extern char __kernel_text_start[];

KTEST(trap_breakpoint_is_delivered)
{
    trap_expect(VECTOR_BREAKPOINT, 0);
    __asm__ volatile("int3");
    KTEST_EXPECT(trap_expectation_result().seen);
}

KTEST(trap_invalid_opcode_is_delivered)
{
    trap_expect(VECTOR_INVALID_OPCODE, 2); /* ud2 is two bytes */
    __asm__ volatile("ud2");
    KTEST_EXPECT(trap_expectation_result().seen);
}

KTEST(trap_page_fault_reports_address_and_cause)
{
    uint64_t address = 0xdead0000;
    trap_expect(VECTOR_PAGE_FAULT, 3); /* mov (%rax), %rax is 48 8b 00 */
    __asm__ volatile("mov (%%rax), %%rax" : "+a"(address) : : "memory");
    struct trap_record record = trap_expectation_result();
    KTEST_EXPECT(record.seen);
    KTEST_EXPECT(record.fault_address == 0xdead0000);
    KTEST_EXPECT(!(record.error_code & PAGE_FAULT_PROTECTION));
    KTEST_EXPECT(!(record.error_code & PAGE_FAULT_WRITE));
}

KTEST(trap_write_to_kernel_text_faults)
{
    uint64_t target = (uint64_t)(uintptr_t)__kernel_text_start;
    uint64_t value = 0;
    trap_expect(VECTOR_PAGE_FAULT, 3); /* mov %rcx, (%rax) is 48 89 08 */
    __asm__ volatile("mov %%rcx, (%%rax)" : : "a"(target), "c"(value) : "memory");
    struct trap_record record = trap_expectation_result();
    KTEST_EXPECT(record.seen);
    KTEST_EXPECT(record.fault_address == target);
    KTEST_EXPECT(record.error_code & PAGE_FAULT_PROTECTION);
    KTEST_EXPECT(record.error_code & PAGE_FAULT_WRITE);
}
