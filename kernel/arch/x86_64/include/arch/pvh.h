/* The Xen PVH boot ABI (xen/include/public/arch-x86/hvm/start_info.h), as QEMU implements it. */
#ifndef ARCH_PVH_H
#define ARCH_PVH_H

#include <kapsel/boot_info.h>
#include <stdint.h>

#define PVH_START_INFO_MAGIC 0x336ec578

struct pvh_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t module_count;
    uint64_t module_list_phys;
    uint64_t command_line_phys;
    uint64_t rsdp_phys;
    uint64_t memory_map_phys; /* version >= 1 */
    uint32_t memory_map_count;
    uint32_t reserved;
};

struct pvh_module {
    uint64_t phys;
    uint64_t size;
    uint64_t command_line_phys;
    uint64_t reserved;
};

struct pvh_memory_map_entry {
    uint64_t base;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

/*
 * Copies what the PVH start_info says into info. Only the first 4 GiB are
 * reachable this early; anything outside it, or a bad magic, is refused with
 * *reason.
 */
enum error pvh_read_boot_info(uint64_t start_info_phys, struct boot_info *info, const char **reason);

#endif
