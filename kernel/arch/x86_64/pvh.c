#include <arch/memory_layout.h>
#include <arch/pvh.h>
#include <string.h>

/* The boot page tables map exactly this much physical memory. */
#define BOOT_MAPPED_END 0x100000000ull

static bool boot_mapped(uint64_t phys, uint64_t size)
{
    return phys < BOOT_MAPPED_END && size <= BOOT_MAPPED_END - phys;
}

/* Copies a NUL-terminated string from physical memory, truncating to size - 1 bytes. */
static void copy_string(uint64_t phys, char *out, size_t size)
{
    size_t length = 0;
    if (phys != 0) {
        const char *source = phys_to_virt(phys);
        while (length + 1 < size && boot_mapped(phys + length, 1) && source[length]) {
            out[length] = source[length];
            length++;
        }
    }
    out[length] = '\0';
}

static enum error refuse(const char **reason, const char *why)
{
    *reason = why;
    return ERROR_MALFORMED;
}

enum error pvh_read_boot_info(uint64_t start_info_phys, struct boot_info *info, const char **reason)
{
    memset(info, 0, sizeof(*info));
    if (!boot_mapped(start_info_phys, sizeof(struct pvh_start_info))) {
        return refuse(reason, "PVH start_info lies above 4 GiB");
    }
    const struct pvh_start_info *start = phys_to_virt(start_info_phys);
    if (start->magic != PVH_START_INFO_MAGIC) {
        return refuse(reason, "PVH start_info has a bad magic number (not booted through PVH?)");
    }
    info->loader_data[info->loader_data_count++] =
        (struct phys_range){start_info_phys, start_info_phys + sizeof(*start)};
    copy_string(start->command_line_phys, info->command_line, sizeof(info->command_line));
    info->acpi_rsdp = start->rsdp_phys;

    if (start->version >= 1 && start->memory_map_count > 0) {
        uint64_t size = (uint64_t)start->memory_map_count * sizeof(struct pvh_memory_map_entry);
        if (start->memory_map_count > BOOT_MAX_MEMORY_REGIONS) {
            *reason = "PVH memory map has more entries than the kernel supports";
            return ERROR_TOO_MANY;
        }
        if (!boot_mapped(start->memory_map_phys, size)) {
            return refuse(reason, "PVH memory map lies above 4 GiB");
        }
        const struct pvh_memory_map_entry *entries = phys_to_virt(start->memory_map_phys);
        for (uint32_t i = 0; i < start->memory_map_count; i++) {
            info->memory[i] =
                (struct memory_region){entries[i].base, entries[i].size, (enum memory_region_type)entries[i].type};
        }
        info->memory_count = start->memory_map_count;
        info->loader_data[info->loader_data_count++] =
            (struct phys_range){start->memory_map_phys, start->memory_map_phys + size};
    }

    if (start->module_count > 0) {
        uint64_t size = (uint64_t)start->module_count * sizeof(struct pvh_module);
        if (start->module_count > BOOT_MAX_MODULES) {
            *reason = "more boot modules than the kernel supports";
            return ERROR_TOO_MANY;
        }
        if (!boot_mapped(start->module_list_phys, size)) {
            return refuse(reason, "PVH module list lies above 4 GiB");
        }
        const struct pvh_module *modules = phys_to_virt(start->module_list_phys);
        for (uint32_t i = 0; i < start->module_count; i++) {
            if (!boot_mapped(modules[i].phys, modules[i].size)) {
                return refuse(reason, "a boot module lies above 4 GiB");
            }
            info->modules[i].phys = modules[i].phys;
            info->modules[i].size = modules[i].size;
            copy_string(modules[i].command_line_phys, info->modules[i].name, sizeof(info->modules[i].name));
            if (info->modules[i].name[0] == '\0') {
                memcpy(info->modules[i].name, "module", sizeof("module"));
            }
        }
        info->module_count = start->module_count;
        info->loader_data[info->loader_data_count++] =
            (struct phys_range){start->module_list_phys, start->module_list_phys + size};
    }
    return ERROR_NONE;
}
