#include <kapsel/arch.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>

static void print_halt_message(const char *prefix, const char *format, va_list args)
{
    kprintf("\n%s: ", prefix);
    kvprintf(format, args);
    kprintf("\nKapsel halted.\n");
}

void panic(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    print_halt_message("KERNEL PANIC", format, args);
    va_end(args);
    arch_halt();
}

void boot_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    print_halt_message("BOOT ERROR", format, args);
    va_end(args);
    arch_halt();
}
