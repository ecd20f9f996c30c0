#include <kapsel/acpi.h>
#include <kapsel/address_space.h>
#include <kapsel/arch.h>
#include <kapsel/device_memory.h>
#include <kapsel/kernel.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/task.h>

#define MAX_DEVICE_ORDER 18 /* 1 GiB at once, as for any map */

static struct object device_memory = {.type = OBJECT_DEVICE_MEMORY, .permanent = true};

struct object *device_memory_object(void)
{
    return &device_memory;
}

/*
 * DEVICE_MEMORY_MAP: every argument is checked before anything is mapped. The
 * item names the destination in the caller (rights read or read-write, no
 * flags); the physical range must be aligned to its size, decodable by the CPU,
 * no RAM or boot reservation (physical_memory_check_device_range) and none of
 * the kernel's own registers (arch_kernel_device_range).
 */
static enum error map(struct task *caller, uint64_t item, uint64_t phys)
{
    unsigned order = ITEM_ORDER(item);
    unsigned rights = ITEM_RIGHTS(item);
    uint64_t virt = ITEM_BASE(item) << PAGE_SHIFT_BITS;
    if (ITEM_TYPE(item) != ITEM_TYPE_MEMORY || ITEM_FLAGS(item) != 0 || order > MAX_DEVICE_ORDER ||
        !(rights & MEMORY_READ) || (rights & ~(MEMORY_READ | MEMORY_WRITE))) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t size = (uint64_t)FRAME_SIZE << order;
    if (virt % size != 0 || !address_space_valid_user_range(virt, size) || phys % size != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    uint64_t limit = (uint64_t)1 << arch_physical_address_bits();
    if (phys >= limit || size > limit - phys) {
        return ERROR_OUT_OF_RANGE;
    }
    enum error error = physical_memory_check_device_range(phys, phys + size);
    if (error != ERROR_NONE) {
        return error;
    }
    if (arch_kernel_device_range(phys, phys + size)) {
        return ERROR_NOT_DEVICE_MEMORY;
    }
    return memory_map_device(&caller->space, virt, order, rights, phys);
}

/* DEVICE_MEMORY_PCI_ECAM: the MCFG is read once (firmware tables do not change); no MCFG, no regions. */
static enum error pci_ecam(uint64_t index, uint64_t *message, unsigned *reply_words)
{
    static struct acpi_pci_ecam regions[ACPI_MAX_PCI_ECAM];
    static uint32_t count;
    static bool read;
    if (!read) {
        if (acpi_read_pci_ecam(kernel_boot_info()->acpi_rsdp, regions, ACPI_MAX_PCI_ECAM, &count) != ERROR_NONE) {
            count = 0;
        }
        read = true;
    }
    if (index >= count) {
        return ERROR_NOT_FOUND;
    }
    message[0] = regions[index].base;
    message[1] = regions[index].segment;
    message[2] = regions[index].first_bus;
    message[3] = regions[index].last_bus;
    *reply_words = 4;
    return ERROR_NONE;
}

enum error device_memory_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    static const unsigned minimum_words[] = {
        [DEVICE_MEMORY_MAP] = 2, [DEVICE_MEMORY_INFO] = 0, [DEVICE_MEMORY_PCI_ECAM] = 1};
    enum error error = capability_check_invocation(capability, tag, DEVICE_MEMORY_MAP, DEVICE_MEMORY_PCI_ECAM,
                                                   DEVICE_MEMORY_INFO, minimum_words);
    if (error != ERROR_NONE) {
        return error;
    }
    if (MESSAGE_TAG_LABEL(tag) == DEVICE_MEMORY_MAP) {
        return map(capability->owner, message[0], message[1]);
    }
    if (MESSAGE_TAG_LABEL(tag) == DEVICE_MEMORY_PCI_ECAM) {
        return pci_ecam(message[0], message, reply_words);
    }
    message[0] = arch_physical_address_bits();
    memory_device_info(&message[1], &message[2]);
    *reply_words = 3;
    return ERROR_NONE;
}
