/* The zero page (struct boot_params): what the boot loader tells Linux, at the offsets zero-page.rst documents. */
#ifndef VMM_BOOT_ZERO_PAGE_H
#define VMM_BOOT_ZERO_PAGE_H

#include "bzimage.h"
#include "linux_loader.h"
#include <stdint.h>

/*
 * Writes the whole 4 KiB zero_page: zeroes, the image's setup header, the loader's fields, the
 * command line and initrd addresses, layout's e820 map (at most LINUX_E820_MAX_ENTRIES, checked by
 * the caller) and its RSDP address. initrd_size 0 means no initrd.
 */
void zero_page_fill(uint8_t *zero_page, const uint8_t *image, const struct bzimage *bzimage,
                    const struct linux_boot_layout *layout, uint64_t initrd_address, uint64_t initrd_size);

#endif
