#include <arch/segments.h>
#include <stdint.h>
#include <string.h>

struct __attribute__((packed)) task_state_segment {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_bitmap_offset;
};

struct __attribute__((packed)) descriptor_pointer {
    uint16_t limit;
    uint64_t base;
};

#define IST_STACK_SIZE 8192

static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
/* The TSS with the I/O permission bitmap of the running task right behind it (a set bit denies a port). */
static struct __attribute__((packed, aligned(16))) {
    struct task_state_segment tss;
    uint8_t io_bitmap[IO_BITMAP_BYTES];
    uint8_t io_bitmap_end; /* the CPU may read one byte past the bitmap: it must be all ones */
} cpu_tss;
static const uint8_t *io_bitmap_loaded; /* whose bitmap is in cpu_tss.io_bitmap; NULL: all ports denied */

/* Access/flags bytes: present, DPL, code/data, long mode (code) or writable (data). */
static uint64_t gdt[] = {
    [0] = 0,
    [SELECTOR_KERNEL_CODE / 8] = 0x00af9a000000ffff,
    [SELECTOR_KERNEL_DATA / 8] = 0x00cf92000000ffff,
    [SELECTOR_USER_CODE32 / 8] = 0x00cffa000000ffff,
    [SELECTOR_USER_DATA / 8] = 0x00cff2000000ffff,
    [SELECTOR_USER_CODE / 8] = 0x00affa000000ffff,
    [SELECTOR_TSS / 8] = 0, /* 16-byte system descriptor, filled in gdt_init */
    [SELECTOR_TSS / 8 + 1] = 0,
};

static void install_tss_descriptor(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&cpu_tss;
    uint64_t limit = sizeof(cpu_tss) - 1;
    gdt[SELECTOR_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)0x89 << 40 |
                            ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    gdt[SELECTOR_TSS / 8 + 1] = base >> 32;
}

void tss_load_io_bitmap(const uint8_t *bitmap, bool changed)
{
    if (bitmap == io_bitmap_loaded && !changed) {
        return;
    }
    if (bitmap) {
        memcpy(cpu_tss.io_bitmap, bitmap, IO_BITMAP_BYTES);
    } else {
        memset(cpu_tss.io_bitmap, 0xff, IO_BITMAP_BYTES);
    }
    io_bitmap_loaded = bitmap;
}

void tss_set_kernel_stack(uint64_t stack_top)
{
    cpu_tss.tss.rsp[0] = stack_top;
}

void gdt_init(void)
{
    cpu_tss.tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(uintptr_t)(ist_stacks[0] + IST_STACK_SIZE);
    cpu_tss.tss.ist[IST_NMI - 1] = (uint64_t)(uintptr_t)(ist_stacks[1] + IST_STACK_SIZE);
    cpu_tss.tss.ist[IST_MACHINE_CHECK - 1] = (uint64_t)(uintptr_t)(ist_stacks[2] + IST_STACK_SIZE);
    /* User port access goes through the bitmap only (IOPL stays 0); it starts denying every port. */
    cpu_tss.tss.io_bitmap_offset = sizeof(struct task_state_segment);
    memset(cpu_tss.io_bitmap, 0xff, sizeof(cpu_tss.io_bitmap));
    cpu_tss.io_bitmap_end = 0xff;
    install_tss_descriptor();

    struct descriptor_pointer pointer = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss\n\t"
                     "pushq %2\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "ltr %w3"
                     :
                     : "m"(pointer), "r"((uint64_t)SELECTOR_KERNEL_DATA), "i"(SELECTOR_KERNEL_CODE),
                       "r"((uint64_t)SELECTOR_TSS)
                     : "rax", "memory");
}
