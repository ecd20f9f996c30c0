/* The kernel's own string routines (no libc in the kernel; the compiler may emit calls to these). */
#ifndef KAPSEL_STRING_H
#define KAPSEL_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dest, const void *restrict src, size_t size);
void *memmove(void *dest, const void *src, size_t size);
void *memset(void *dest, int byte, size_t size);
int memcmp(const void *left, const void *right, size_t size);
size_t strlen(const char *string);
int strcmp(const char *left, const char *right);
int strncmp(const char *left, const char *right, size_t size);

#endif
