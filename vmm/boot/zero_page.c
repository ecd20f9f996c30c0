#include "zero_page.h"

#include "little_endian.h"
#include <string.h>

/* struct boot_params offsets (zero-page.rst; the setup header's are boot.rst's, as it is copied to the same place). */
enum {
    ACPI_RSDP_ADDR = 0x070,
    EXT_RAMDISK_IMAGE = 0x0c0,
    EXT_RAMDISK_SIZE = 0x0c4,
    EXT_CMD_LINE_PTR = 0x0c8,
    E820_ENTRIES = 0x1e8,
    TYPE_OF_LOADER = 0x210,
    LOADFLAGS = 0x211,
    RAMDISK_IMAGE = 0x218,
    RAMDISK_SIZE = 0x21c,
    CMD_LINE_PTR = 0x228,
    E820_TABLE = 0x2d0,
    E820_ENTRY_SIZE = 20, /* packed { u64 addr; u64 size; u32 type; } */
};

#define LOADER_TYPE_UNDEFINED 0xff /* no assigned boot loader id */

void zero_page_fill(uint8_t *zero_page, const uint8_t *image, const struct bzimage *bzimage,
                    const struct linux_boot_layout *layout, uint64_t initrd_address, uint64_t initrd_size)
{
    /* All zero first: Linux takes a non-zero sentinel (0x1ef) for a loader that left garbage, and clears fields. */
    memset(zero_page, 0, LINUX_ZERO_PAGE_SIZE);
    memcpy(zero_page + BZIMAGE_SETUP_HEADER_START, image + BZIMAGE_SETUP_HEADER_START,
           bzimage->setup_header_end - BZIMAGE_SETUP_HEADER_START);

    zero_page[TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
    /* No real-mode setup runs, so no CAN_USE_HEAP; QUIET_FLAG clear so early messages appear. */
    zero_page[LOADFLAGS] = BZIMAGE_LOADED_HIGH;

    /* Each 64-bit address is split: low half in the setup header, high half in the ext_ field. */
    store_le32(zero_page + CMD_LINE_PTR, (uint32_t)layout->command_line_address);
    store_le32(zero_page + EXT_CMD_LINE_PTR, (uint32_t)(layout->command_line_address >> 32));
    store_le32(zero_page + RAMDISK_IMAGE, (uint32_t)initrd_address);
    store_le32(zero_page + EXT_RAMDISK_IMAGE, (uint32_t)(initrd_address >> 32));
    store_le32(zero_page + RAMDISK_SIZE, (uint32_t)initrd_size);
    store_le32(zero_page + EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));

    zero_page[E820_ENTRIES] = (uint8_t)layout->e820_count;
    for (size_t i = 0; i < layout->e820_count; i++) {
        uint8_t *entry = zero_page + E820_TABLE + i * E820_ENTRY_SIZE;
        store_le64(entry, layout->e820[i].address);
        store_le64(entry + 8, layout->e820[i].size);
        store_le32(entry + 16, layout->e820[i].type);
    }

    /*
     * acpi_rsdp_addr is a boot_params field (Linux 5.0+), not a setup header one, so the protocol
     * version says nothing about it (2.14, which briefly had it in the header, is "burnt"). Older
     * kernels ignore these bytes and scan 0xE0000..0xFFFFF instead.
     */
    store_le64(zero_page + ACPI_RSDP_ADDR, layout->acpi_rsdp_address);
}
