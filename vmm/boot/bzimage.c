#include "bzimage.h"

#include "little_endian.h"

/* Setup header fields, by image offset (boot.rst, "The Real-Mode Kernel Header"). */
enum {
    SETUP_SECTS = 0x1f1,
    SYSSIZE = 0x1f4,
    BOOT_FLAG = 0x1fe,
    JUMP = 0x200,
    HEADER_MAGIC = 0x202,
    VERSION = 0x206,
    LOADFLAGS = 0x211,
    INITRD_ADDR_MAX = 0x22c,
    KERNEL_ALIGNMENT = 0x230,
    RELOCATABLE_KERNEL = 0x234,
    XLOADFLAGS = 0x236,
    CMDLINE_SIZE = 0x238,
    PREF_ADDRESS = 0x258,
    INIT_SIZE = 0x260,
    /* Protocol 2.12's header ends after handover_offset (0x264..0x268). */
    HEADER_END_2_12 = 0x268,
};

#define BOOT_FLAG_VALUE 0xaa55u
#define HEADER_MAGIC_VALUE 0x53726448u /* "HdrS" */
#define JUMP_SHORT_OPCODE 0xebu
#define PROTOCOL_2_12 0x020cu
#define SETUP_SECTS_DEFAULT 4 /* what setup_sects == 0 means, for backwards compatibility */

static bool is_power_of_two(uint32_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

enum boot_error bzimage_parse(const uint8_t *image, size_t image_size, struct bzimage *bzimage)
{
    if (image_size < VERSION + 2) {
        return BOOT_ERROR_IMAGE_TRUNCATED;
    }
    if (load_le16(image + BOOT_FLAG) != BOOT_FLAG_VALUE || load_le32(image + HEADER_MAGIC) != HEADER_MAGIC_VALUE) {
        return BOOT_ERROR_BAD_MAGIC;
    }
    uint16_t version = load_le16(image + VERSION);
    if (version < PROTOCOL_2_12) {
        return BOOT_ERROR_PROTOCOL_TOO_OLD;
    }
    /* The short jump over the header doubles as its length: it lands on the first byte after it. */
    size_t header_end = HEADER_MAGIC + (size_t)image[JUMP + 1];
    if (image[JUMP] != JUMP_SHORT_OPCODE || image[JUMP + 1] > INT8_MAX || header_end < HEADER_END_2_12) {
        return BOOT_ERROR_BAD_HEADER_LENGTH;
    }
    if (image_size < header_end) {
        return BOOT_ERROR_IMAGE_TRUNCATED;
    }
    if (!(image[LOADFLAGS] & BZIMAGE_LOADED_HIGH)) {
        return BOOT_ERROR_NOT_BZIMAGE;
    }
    uint16_t xloadflags = load_le16(image + XLOADFLAGS);
    if (!(xloadflags & BZIMAGE_XLF_KERNEL_64)) {
        return BOOT_ERROR_NOT_64_BIT;
    }
    size_t setup_sects = image[SETUP_SECTS] ? image[SETUP_SECTS] : SETUP_SECTS_DEFAULT;
    size_t kernel_offset = (setup_sects + 1) * BZIMAGE_SECTOR_SIZE; /* the boot sector, then the setup code */
    if (kernel_offset >= image_size) {
        return BOOT_ERROR_SETUP_PAST_END;
    }
    size_t kernel_size = image_size - kernel_offset;
    if ((uint64_t)load_le32(image + SYSSIZE) * 16 > kernel_size) {
        return BOOT_ERROR_KERNEL_TRUNCATED;
    }
    bool relocatable = image[RELOCATABLE_KERNEL] != 0;
    uint32_t kernel_alignment = load_le32(image + KERNEL_ALIGNMENT);
    if (relocatable && !is_power_of_two(kernel_alignment)) {
        return BOOT_ERROR_BAD_ALIGNMENT;
    }

    *bzimage = (struct bzimage){
        .protocol_version = version,
        .loadflags = image[LOADFLAGS],
        .xloadflags = xloadflags,
        .relocatable = relocatable,
        .kernel_alignment = kernel_alignment,
        .pref_address = load_le64(image + PREF_ADDRESS),
        .init_size = load_le32(image + INIT_SIZE),
        .cmdline_size = load_le32(image + CMDLINE_SIZE),
        .initrd_addr_max = load_le32(image + INITRD_ADDR_MAX),
        .setup_header_end = header_end,
        .kernel_offset = kernel_offset,
        .kernel_size = kernel_size,
    };
    return BOOT_OK;
}
