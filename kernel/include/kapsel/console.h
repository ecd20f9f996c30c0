/* The kernel console: where kprintf, panics and boot errors go. */
#ifndef KAPSEL_CONSOLE_H
#define KAPSEL_CONSOLE_H

#include <stddef.h>

/* Writes bytes to the console device ("\n" becomes "\r\n" on the wire). */
void console_write(const char *text, size_t length);

#endif
