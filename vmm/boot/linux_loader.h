/*
 * Loads a bzImage, its command line and an initrd into guest RAM and fills the
 * zero page (struct boot_params) for Linux's 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst and zero-page.rst).
 *
 * What the vCPU must then look like is the caller's part: long mode with
 * paging, the kernel's init_size range, the zero page and the command line
 * identity-mapped, a GDT with flat __BOOT_CS (0x10) and __BOOT_DS (0x18),
 * interrupts off, %rip = entry_address, %rsi = zero_page_address.
 */
#ifndef VMM_BOOT_LINUX_LOADER_H
#define VMM_BOOT_LINUX_LOADER_H

#include "boot_error.h"
#include "vmm/guest_memory.h"
#include <stddef.h>
#include <stdint.h>

/* Low addresses that stay clear of a kernel loaded at 1 MiB or above (boot.rst's suggested layout). */
#define LINUX_ZERO_PAGE_ADDRESS 0x7000u
#define LINUX_COMMAND_LINE_ADDRESS 0x20000u

#define LINUX_ZERO_PAGE_SIZE 4096u
#define LINUX_E820_MAX_ENTRIES 128u /* the zero page's e820_table */

enum linux_e820_type {
    LINUX_E820_RAM = 1,
    LINUX_E820_RESERVED = 2,
    LINUX_E820_ACPI = 3, /* ACPI tables: reclaimable once Linux has read them */
    LINUX_E820_NVS = 4,
};

struct linux_e820_entry {
    uint64_t address;
    uint64_t size;
    uint32_t type; /* enum linux_e820_type */
};

struct linux_boot_layout {
    uint64_t zero_page_address;    /* 4 KiB for struct boot_params */
    uint64_t command_line_address; /* the NUL-terminated command line */
    const struct linux_e820_entry *e820;
    size_t e820_count;
    uint64_t acpi_rsdp_address; /* 0: none (Linux then scans 0xE0000..0xFFFFF for the RSDP) */
};

struct linux_boot_entry {
    uint64_t entry_address;     /* %rip: the kernel's load address + 0x200 */
    uint64_t zero_page_address; /* %rsi */
    uint64_t kernel_address;    /* the kernel runs in [kernel_address, kernel_address + kernel_span) */
    uint64_t kernel_span;       /* max(init_size, the image's protected-mode bytes) */
    uint64_t initrd_address;    /* 0 without an initrd */
};

/*
 * Checks the image and every placement, then writes the kernel (at pref_address, or 1 MiB aligned
 * to kernel_alignment), the command line, the initrd (page-aligned, as high as e820 RAM and the
 * kernel's initrd limit allow) and the zero page into memory. Nothing is written unless all fits.
 */
enum boot_error linux_load(const struct guest_memory *memory, const uint8_t *image, size_t image_size,
                           const uint8_t *initrd, size_t initrd_size, const char *command_line,
                           const struct linux_boot_layout *layout, struct linux_boot_entry *entry);

#endif
