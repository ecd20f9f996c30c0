#include <kapsel/arch.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>

static noreturn void halt_with(const char *prefix, const char *format, va_list args)
{
    kprintf("\n%s: ", prefix);
    kvprintf(format, args);
    kprintf("\nKapsel halted.\n");
    arch_halt();
}

void panic(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    halt_with("KERNEL PANIC", format, args);
}

void boot_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    halt_with("BOOT ERROR", format, args);
}
