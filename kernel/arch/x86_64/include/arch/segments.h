/* GDT selectors. The order is fixed by syscall/sysret (see STAR in the AMD APM vol. 2, 6.1.1). */
#ifndef ARCH_SEGMENTS_H
#define ARCH_SEGMENTS_H

#define SELECTOR_KERNEL_CODE 0x08
#define SELECTOR_KERNEL_DATA 0x10
#define SELECTOR_USER_CODE32 0x18
#define SELECTOR_USER_DATA 0x20
#define SELECTOR_USER_CODE 0x28
#define SELECTOR_TSS 0x30

/* Interrupt stack table slots: these exceptions always get a known-good stack. */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

/* Loads the kernel GDT and TSS (with the IST stacks) on this CPU. */
void gdt_init(void);

#define IO_BITMAP_BYTES 8192 /* one bit per port, 65536 ports */

/* Makes bitmap (a task's, one bit per port, set = denied; NULL = deny all) the one the CPU checks. */
void tss_load_io_bitmap(const uint8_t *bitmap, bool changed);

/* The stack the CPU switches to on an interrupt or exception from user mode. */
void tss_set_kernel_stack(uint64_t stack_top);
#endif

#endif
