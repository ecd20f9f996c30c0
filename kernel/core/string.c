#include <stdint.h>
#include <string.h>

void *memcpy(void *restrict dest, const void *restrict src, size_t size)
{
    unsigned char *to = dest;
    const unsigned char *from = src;
    while (size--) {
        *to++ = *from++;
    }
    return dest;
}

void *memmove(void *dest, const void *src, size_t size)
{
    unsigned char *to = dest;
    const unsigned char *from = src;
    if (to < from || to >= from + size) {
        return memcpy(dest, src, size);
    }
    while (size--) {
        to[size] = from[size];
    }
    return dest;
}

void *memset(void *dest, int byte, size_t size)
{
    unsigned char *to = dest;
    while (size--) {
        *to++ = (unsigned char)byte;
    }
    return dest;
}

int memcmp(const void *left, const void *right, size_t size)
{
    const unsigned char *a = left;
    const unsigned char *b = right;
    for (size_t i = 0; i < size; i++) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *string)
{
    size_t length = 0;
    while (string[length]) {
        length++;
    }
    return length;
}

int strncmp(const char *left, const char *right, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        unsigned char a = (unsigned char)left[i];
        unsigned char b = (unsigned char)right[i];
        if (a != b) {
            return a < b ? -1 : 1;
        }
        if (a == 0) {
            break;
        }
    }
    return 0;
}

int strcmp(const char *left, const char *right)
{
    return strncmp(left, right, SIZE_MAX);
}
