/* Small bzImages made in memory, valid until a test changes a field, with the boot.rst offsets tests need. */
#ifndef VMM_BOOT_SYNTHETIC_BZIMAGE_H
#define VMM_BOOT_SYNTHETIC_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Setup header offsets in the image, straight from Documentation/arch/x86/boot.rst. */
enum {
    HDR_SETUP_SECTS = 0x1f1,
    HDR_SYSSIZE = 0x1f4,
    HDR_BOOT_FLAG = 0x1fe,
    HDR_JUMP = 0x200,
    HDR_MAGIC = 0x202,
    HDR_VERSION = 0x206,
    HDR_TYPE_OF_LOADER = 0x210,
    HDR_LOADFLAGS = 0x211,
    HDR_RAMDISK_IMAGE = 0x218,
    HDR_RAMDISK_SIZE = 0x21c,
    HDR_CMD_LINE_PTR = 0x228,
    HDR_INITRD_ADDR_MAX = 0x22c,
    HDR_KERNEL_ALIGNMENT = 0x230,
    HDR_RELOCATABLE_KERNEL = 0x234,
    HDR_XLOADFLAGS = 0x236,
    HDR_CMDLINE_SIZE = 0x238,
    HDR_PREF_ADDRESS = 0x258,
    HDR_INIT_SIZE = 0x260,
    HDR_END_2_15 = 0x26c, /* after kernel_info_offset */
};

/* What synthetic_bzimage() makes: protocol 2.15, 64-bit, relocatable, loading at 2 MiB. */
#define SYNTHETIC_SETUP_SECTS 4
#define SYNTHETIC_KERNEL_OFFSET ((SYNTHETIC_SETUP_SECTS + 1) * 512)
#define SYNTHETIC_KERNEL_SIZE 0x3000u
#define SYNTHETIC_IMAGE_SIZE (SYNTHETIC_KERNEL_OFFSET + SYNTHETIC_KERNEL_SIZE)
#define SYNTHETIC_PREF_ADDRESS 0x200000u
#define SYNTHETIC_ALIGNMENT 0x200000u
#define SYNTHETIC_INIT_SIZE 0x10000u
#define SYNTHETIC_CMDLINE_SIZE 255u
#define SYNTHETIC_INITRD_ADDR_MAX 0x7fffffffu

/* A new image of SYNTHETIC_IMAGE_SIZE bytes (free() it); its kernel bytes are (offset * 7) & 0xff. */
uint8_t *synthetic_bzimage(void);

void put16(uint8_t *image, size_t offset, uint16_t value);
void put32(uint8_t *image, size_t offset, uint32_t value);
void put64(uint8_t *image, size_t offset, uint64_t value);
uint16_t get16(const uint8_t *bytes, size_t offset);
uint32_t get32(const uint8_t *bytes, size_t offset);
uint64_t get64(const uint8_t *bytes, size_t offset);

#endif
