#include "boot_error.h"

static const char *const messages[BOOT_ERROR_COUNT] = {
    [BOOT_OK] = "no error",
    [BOOT_ERROR_IMAGE_TRUNCATED] = "bzImage truncated: it ends inside the setup header",
    [BOOT_ERROR_BAD_MAGIC] = "not a bzImage: no 0xAA55 boot flag at 0x1fe or no \"HdrS\" at 0x202",
    [BOOT_ERROR_PROTOCOL_TOO_OLD] = "boot protocol older than 2.12: no xloadflags, so no known 64-bit entry",
    [BOOT_ERROR_BAD_HEADER_LENGTH] = "the jump at 0x200 does not span a 2.12 setup header (through 0x268)",
    [BOOT_ERROR_NOT_BZIMAGE] = "loadflags lacks LOADED_HIGH: a zImage, which must load below 1 MiB",
    [BOOT_ERROR_NOT_64_BIT] = "xloadflags lacks XLF_KERNEL_64: the kernel has no 64-bit entry point",
    [BOOT_ERROR_SETUP_PAST_END] = "setup_sects puts the protected-mode kernel at or past the end of the image",
    [BOOT_ERROR_KERNEL_TRUNCATED] = "protected-mode kernel shorter than the header's syssize",
    [BOOT_ERROR_BAD_ALIGNMENT] = "relocatable kernel whose kernel_alignment is not a power of two",
    [BOOT_ERROR_COMMAND_LINE_TOO_LONG] = "command line longer than the kernel's cmdline_size",
    [BOOT_ERROR_TOO_MANY_E820_ENTRIES] = "more e820 entries than the zero page holds (128)",
    [BOOT_ERROR_BAD_E820_ENTRY] = "e820 entry empty, wrapping past 2^64, or RAM outside guest memory",
    [BOOT_ERROR_OUTSIDE_GUEST_MEMORY] = "kernel, zero page or command line does not fit in guest memory",
    [BOOT_ERROR_KERNEL_NOT_IN_RAM] = "the kernel's init_size range is not inside one e820 RAM range",
    [BOOT_ERROR_OVERLAP] = "kernel, zero page and command line overlap each other or a non-RAM e820 range",
    [BOOT_ERROR_ABOVE_4G] = "boot data above 4 GiB for a kernel without XLF_CAN_BE_LOADED_ABOVE_4G",
    [BOOT_ERROR_NO_ROOM_FOR_INITRD] = "no free e820 RAM below the kernel's initrd limit holds the initrd",
    [BOOT_ERROR_ACPI_BAD_VCPU_COUNT] = "vCPU count must be 1..255 (xAPIC IDs 0..254)",
    [BOOT_ERROR_ACPI_TOO_MANY_DEVICES] = "more virtio-mmio devices than the DSDT names (VR00..VR99)",
    [BOOT_ERROR_ACPI_BAD_DEVICE_WINDOW] = "virtio-mmio window empty or not below 4 GiB (Memory32Fixed)",
    [BOOT_ERROR_ACPI_NO_ROOM] = "the ACPI tables do not fit in guest memory at the given base",
};

const char *boot_error_message(enum boot_error error)
{
    if ((unsigned)error >= BOOT_ERROR_COUNT) {
        return "unknown boot error";
    }
    return messages[error];
}
