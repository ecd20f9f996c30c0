#include <kapsel/console.h>
#include <kapsel/print.h>

void kvprintf(const char *format, va_list args)
{
    char line[256];
    size_t length = format_string(line, sizeof(line), format, args);
    console_write(line, length < sizeof(line) ? length : sizeof(line) - 1);
}

void kprintf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    kvprintf(format, args);
    va_end(args);
}
