/*
 * The Linux/x86 bzImage as a boot loader sees it (Documentation/arch/x86/boot.rst):
 * a real-mode setup part whose setup header describes the kernel, followed by
 * the protected-mode kernel. Only kernels with the 64-bit entry point (boot
 * protocol 2.12+ with XLF_KERNEL_64) are accepted: the VMM enters the guest in
 * long mode and never runs the real-mode setup code.
 */
#ifndef VMM_BOOT_BZIMAGE_H
#define VMM_BOOT_BZIMAGE_H

#include "boot_error.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets in the image (and, for the setup header, in the zero page). */
#define BZIMAGE_SETUP_HEADER_START 0x1f1 /* setup_sects, the first setup header field */
#define BZIMAGE_ENTRY_64_OFFSET 0x200    /* 64-bit entry, from the protected-mode kernel's start */
#define BZIMAGE_SECTOR_SIZE 512

#define BZIMAGE_LOADED_HIGH 0x01u                /* loadflags: protected-mode kernel at 1 MiB */
#define BZIMAGE_XLF_KERNEL_64 0x01u              /* xloadflags: 64-bit entry at +0x200 */
#define BZIMAGE_XLF_CAN_BE_LOADED_ABOVE_4G 0x02u /* xloadflags: boot data may live above 4 GiB */

struct bzimage {
    uint16_t protocol_version; /* (major << 8) | minor */
    uint8_t loadflags;
    uint16_t xloadflags;
    bool relocatable;
    uint32_t kernel_alignment;
    uint64_t pref_address;
    uint32_t init_size;       /* bytes the kernel needs from its load address before it reads the e820 map */
    uint32_t cmdline_size;    /* longest command line, without the NUL */
    uint32_t initrd_addr_max; /* highest address the initrd may occupy */
    size_t setup_header_end;  /* image offset just past the setup header */
    size_t kernel_offset;     /* image offset of the protected-mode kernel */
    size_t kernel_size;       /* its bytes in the image */
};

/* Checks that image is a bzImage this loader can start in 64-bit mode and describes it. */
enum boot_error bzimage_parse(const uint8_t *image, size_t image_size, struct bzimage *bzimage);

#endif
