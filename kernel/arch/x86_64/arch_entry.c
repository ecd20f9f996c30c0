/* First C code on x86-64: console, CPU tables, boot information, then the portable kernel. */
#include <arch/cpu.h>
#include <arch/cpu_local.h>
#include <arch/pvh.h>
#include <arch/segments.h>
#include <arch/serial.h>
#include <arch/trap.h>
#include <kapsel/arch.h>
#include <kapsel/kernel.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>

void x86_64_kernel_entry(uint64_t start_info_phys);

static struct boot_info boot_info;

void x86_64_kernel_entry(uint64_t start_info_phys)
{
    serial_init();
    kprintf("\nKapsel microkernel (x86-64)\n");
    gdt_init();
    idt_init();
    cpu_local_init();
    const char *reason = NULL;
    if (pvh_read_boot_info(start_info_phys, &boot_info, &reason) != ERROR_NONE) {
        boot_fail("%s", reason);
    }
    kernel_start(&boot_info);
}

void arch_halt(void)
{
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

void arch_wait_for_interrupt(void)
{
    /* Interrupts stay off in the kernel; they are let in only while halted. */
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}

uint64_t arch_cycle_counter(void)
{
    return read_tsc();
}

void arch_reset_abruptly(void)
{
    /* An empty IDT turns the next exception into a triple fault, which resets the machine. */
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    arch_halt();
}
