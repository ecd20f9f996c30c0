#include <arch/segments.h>
#include <arch/trap.h>

struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attributes;
    uint16_t offset_middle;
    uint32_t offset_high;
    uint32_t reserved;
};

struct __attribute__((packed)) idt_pointer {
    uint16_t limit;
    uint64_t base;
};

#define GATE_INTERRUPT_KERNEL 0x8e /* present, DPL 0, 64-bit interrupt gate (IF cleared on entry) */
#define TRAP_STUB_SIZE 16
#define VECTOR_NMI 2
#define VECTOR_DOUBLE_FAULT 8
#define VECTOR_MACHINE_CHECK 18

extern const char trap_stubs[];
static struct idt_gate idt[256];

static uint8_t ist_for(unsigned vector)
{
    switch (vector) {
    case VECTOR_DOUBLE_FAULT:
        return IST_DOUBLE_FAULT;
    case VECTOR_NMI:
        return IST_NMI;
    case VECTOR_MACHINE_CHECK:
        return IST_MACHINE_CHECK;
    default:
        return 0;
    }
}

void idt_init(void)
{
    for (unsigned vector = 0; vector < 256; vector++) {
        uint64_t handler = (uint64_t)(uintptr_t)(trap_stubs + vector * TRAP_STUB_SIZE);
        idt[vector] = (struct idt_gate){
            .offset_low = (uint16_t)handler,
            .selector = SELECTOR_KERNEL_CODE,
            .ist = ist_for(vector),
            .type_attributes = GATE_INTERRUPT_KERNEL,
            .offset_middle = (uint16_t)(handler >> 16),
            .offset_high = (uint32_t)(handler >> 32),
        };
    }
    struct idt_pointer pointer = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(pointer));
}
