/* Formatted output: the kernel console and a bounded string formatter shared with tests. */
#ifndef KAPSEL_PRINT_H
#define KAPSEL_PRINT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * printf-style formatting into buf (always NUL-terminated when size > 0).
 * Supports %c %s %d %i %u %x %X %p %%, the flags '0', '-' and '#', a field width,
 * and the length modifiers l, ll, z. Returns the length the full output needs,
 * which is >= size when it was truncated.
 */
size_t format_string(char *buf, size_t size, const char *format, va_list args);
size_t format_string_to(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Writes to the kernel console; lines longer than 255 bytes are truncated. */
void kprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *format, va_list args);

#endif
