#include "x86_port_io.h"

static uint32_t x86_in(void *context, uint16_t port, unsigned width)
{
    (void)context;
    if (width == 1) {
        uint8_t value;
        __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
        return value;
    }
    if (width == 2) {
        uint16_t value;
        __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
        return value;
    }
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static void x86_out(void *context, uint16_t port, unsigned width, uint32_t value)
{
    (void)context;
    if (width == 1) {
        __asm__ volatile("outb %0, %1" : : "a"((uint8_t)value), "Nd"(port));
    } else if (width == 2) {
        __asm__ volatile("outw %0, %1" : : "a"((uint16_t)value), "Nd"(port));
    } else {
        __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
    }
}

struct port_io x86_port_io(void)
{
    return (struct port_io){.in = x86_in, .out = x86_out, .context = 0};
}
