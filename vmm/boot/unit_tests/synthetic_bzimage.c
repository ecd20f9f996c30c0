#include "synthetic_bzimage.h"

#include <stdlib.h>

void put16(uint8_t *image, size_t offset, uint16_t value)
{
    image[offset] = (uint8_t)value;
    image[offset + 1] = (uint8_t)(value >> 8);
}

void put32(uint8_t *image, size_t offset, uint32_t value)
{
    put16(image, offset, (uint16_t)value);
    put16(image, offset + 2, (uint16_t)(value >> 16));
}

void put64(uint8_t *image, size_t offset, uint64_t value)
{
    put32(image, offset, (uint32_t)value);
    put32(image, offset + 4, (uint32_t)(value >> 32));
}

uint16_t get16(const uint8_t *bytes, size_t offset)
{
    return (uint16_t)(bytes[offset] | bytes[offset + 1] << 8);
}

uint32_t get32(const uint8_t *bytes, size_t offset)
{
    return get16(bytes, offset) | (uint32_t)get16(bytes, offset + 2) << 16;
}

uint64_t get64(const uint8_t *bytes, size_t offset)
{
    return get32(bytes, offset) | (uint64_t)get32(bytes, offset + 4) << 32;
}

uint8_t *synthetic_bzimage(void)
{
    uint8_t *image = calloc(1, SYNTHETIC_IMAGE_SIZE);
    if (image == NULL) {
        abort();
    }
    image[HDR_SETUP_SECTS] = SYNTHETIC_SETUP_SECTS;
    put32(image, HDR_SYSSIZE, SYNTHETIC_KERNEL_SIZE / 16);
    put16(image, HDR_BOOT_FLAG, 0xaa55);
    image[HDR_JUMP] = 0xeb;
    image[HDR_JUMP + 1] = HDR_END_2_15 - 0x202;
    put32(image, HDR_MAGIC, 0x53726448); /* "HdrS" */
    put16(image, HDR_VERSION, 0x020f);
    image[HDR_LOADFLAGS] = 0x01; /* LOADED_HIGH */
    put32(image, HDR_INITRD_ADDR_MAX, SYNTHETIC_INITRD_ADDR_MAX);
    put32(image, HDR_KERNEL_ALIGNMENT, SYNTHETIC_ALIGNMENT);
    image[HDR_RELOCATABLE_KERNEL] = 1;
    put16(image, HDR_XLOADFLAGS, 0x01); /* XLF_KERNEL_64 */
    put32(image, HDR_CMDLINE_SIZE, SYNTHETIC_CMDLINE_SIZE);
    put64(image, HDR_PREF_ADDRESS, SYNTHETIC_PREF_ADDRESS);
    put32(image, HDR_INIT_SIZE, SYNTHETIC_INIT_SIZE);
    /* Fields the loader must copy verbatim, and the header's last one, so copying too little shows. */
    put16(image, 0x1fa, 0xffff);     /* vid_mode */
    put32(image, 0x268, 0x12345678); /* kernel_info_offset */
    for (size_t i = 0; i < SYNTHETIC_KERNEL_SIZE; i++) {
        image[SYNTHETIC_KERNEL_OFFSET + i] = (uint8_t)(i * 7);
    }
    return image;
}
