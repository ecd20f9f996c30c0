/*
 * What the boot loader told us, in one loader-independent form. The arch code
 * fills it (from PVH start_info today; multiboot2 or a device tree later) and
 * the core validates it before trusting any of it.
 */
#ifndef KAPSEL_BOOT_INFO_H
#define KAPSEL_BOOT_INFO_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_MAX_MEMORY_REGIONS 128
#define BOOT_MAX_MODULES 32
#define BOOT_MODULE_NAME_SIZE 64
#define BOOT_COMMAND_LINE_SIZE 256

enum memory_region_type {
    MEMORY_USABLE = 1,
    MEMORY_RESERVED = 2,
    MEMORY_ACPI_RECLAIMABLE = 3,
    MEMORY_ACPI_NVS = 4,
    MEMORY_BAD = 5,
};

struct memory_region {
    uint64_t base;
    uint64_t size;
    enum memory_region_type type;
};

/* A half-open physical range [base, end). */
struct phys_range {
    uint64_t base;
    uint64_t end;
};

struct boot_module {
    uint64_t phys;
    uint64_t size;
    char name[BOOT_MODULE_NAME_SIZE];
};

struct boot_info {
    struct memory_region memory[BOOT_MAX_MEMORY_REGIONS];
    size_t memory_count;
    struct boot_module modules[BOOT_MAX_MODULES];
    size_t module_count;
    char command_line[BOOT_COMMAND_LINE_SIZE];
    uint64_t acpi_rsdp; /* physical address of the ACPI RSDP, 0 if the loader gave none */
    /* Physical ranges the loader's own data occupies (start_info, module list, ...): never handed out. */
    struct phys_range loader_data[4];
    size_t loader_data_count;
};

/*
 * Checks that the boot information is usable: a memory map with usable RAM,
 * modules non-empty, inside usable RAM, not overlapping each other or the
 * kernel image. On failure returns the error and points *reason at a message.
 */
enum error boot_info_validate(const struct boot_info *info, struct phys_range kernel_image, const char **reason);

/* True if the command line contains the word (space-separated). */
bool boot_command_line_has(const struct boot_info *info, const char *word);

/* The value of "key=value" on the command line, copied into value; ERROR_NOT_FOUND if absent. */
enum error boot_command_line_value(const struct boot_info *info, const char *key, char *value, size_t size);

#endif
