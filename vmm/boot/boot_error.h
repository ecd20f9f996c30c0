/*
 * Why loading a Linux guest or building its ACPI tables failed. Each value
 * names one precise reason, so that the VMM can tell the user what is wrong
 * with the image or the machine description.
 */
#ifndef VMM_BOOT_BOOT_ERROR_H
#define VMM_BOOT_BOOT_ERROR_H

enum boot_error {
    BOOT_OK = 0,
    /* The bzImage */
    BOOT_ERROR_IMAGE_TRUNCATED,
    BOOT_ERROR_BAD_MAGIC,
    BOOT_ERROR_PROTOCOL_TOO_OLD,
    BOOT_ERROR_BAD_HEADER_LENGTH,
    BOOT_ERROR_NOT_BZIMAGE,
    BOOT_ERROR_NOT_64_BIT,
    BOOT_ERROR_SETUP_PAST_END,
    BOOT_ERROR_KERNEL_TRUNCATED,
    BOOT_ERROR_BAD_ALIGNMENT,
    /* Placing the kernel, its boot data and the initrd in guest RAM */
    BOOT_ERROR_COMMAND_LINE_TOO_LONG,
    BOOT_ERROR_TOO_MANY_E820_ENTRIES,
    BOOT_ERROR_BAD_E820_ENTRY,
    BOOT_ERROR_OUTSIDE_GUEST_MEMORY,
    BOOT_ERROR_KERNEL_NOT_IN_RAM,
    BOOT_ERROR_OVERLAP,
    BOOT_ERROR_ABOVE_4G,
    BOOT_ERROR_NO_ROOM_FOR_INITRD,
    /* The ACPI tables */
    BOOT_ERROR_ACPI_BAD_VCPU_COUNT,
    BOOT_ERROR_ACPI_TOO_MANY_DEVICES,
    BOOT_ERROR_ACPI_BAD_DEVICE_WINDOW,
    BOOT_ERROR_ACPI_NO_ROOM,
    BOOT_ERROR_COUNT
};

/* A one-line explanation of error ("unknown boot error" for anything else). */
const char *boot_error_message(enum boot_error error);

#endif
