#include <kapsel/acpi.h>
#include <kapsel/kernel.h>
#include <kapsel/memory.h>
#include <stdbool.h>
#include <string.h>

#define RSDP_SIGNATURE "RSD PTR "
#define MADT_SIGNATURE "APIC"
#define MCFG_SIGNATURE "MCFG"
#define MADT_ENTRIES_OFFSET 44
#define MADT_IO_APIC 1
#define MADT_INTERRUPT_OVERRIDE 2
#define TABLE_HEADER_SIZE 36
#define MAX_TABLE_SIZE 0x10000

static uint8_t checksum(const uint8_t *bytes, uint32_t length)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < length; i++) {
        sum = (uint8_t)(sum + bytes[i]);
    }
    return sum;
}

static uint32_t read32(const uint8_t *bytes)
{
    uint32_t value;
    memcpy(&value, bytes, sizeof(value));
    return value;
}

static uint64_t read64(const uint8_t *bytes)
{
    uint64_t value;
    memcpy(&value, bytes, sizeof(value));
    return value;
}

/* Firmware pointers are only followed into memory the boot memory map describes (and so the physmap maps). */
static bool described_memory(uint64_t phys, uint64_t length)
{
    const struct boot_info *info = kernel_boot_info();
    for (size_t i = 0; i < info->memory_count; i++) {
        const struct memory_region *region = &info->memory[i];
        if (phys >= region->base && phys - region->base <= region->size &&
            length <= region->size - (phys - region->base)) {
            return true;
        }
    }
    return false;
}

/* A system description table at phys, if it lies in described memory, its length is sane and its checksum holds. */
static const uint8_t *checked_table(uint64_t phys, uint32_t *length)
{
    if (!phys || !described_memory(phys, TABLE_HEADER_SIZE)) {
        return NULL;
    }
    const uint8_t *table = phys_to_virt(phys);
    *length = read32(table + 4);
    if (*length < TABLE_HEADER_SIZE || *length > MAX_TABLE_SIZE || !described_memory(phys, *length) ||
        checksum(table, *length) != 0) {
        return NULL;
    }
    return table;
}

/* The root table's entries are 8-byte (XSDT) or 4-byte (RSDT) physical addresses. */
static const uint8_t *find_table(const uint8_t *root, uint32_t root_length, unsigned entry_size, const char *signature,
                                 uint32_t *length)
{
    for (uint32_t offset = TABLE_HEADER_SIZE; offset + entry_size <= root_length; offset += entry_size) {
        uint64_t phys = entry_size == 8 ? read64(root + offset) : read32(root + offset);
        const uint8_t *table = checked_table(phys, length);
        if (table && memcmp(table, signature, 4) == 0) {
            return table;
        }
    }
    return NULL;
}

static void read_madt(const uint8_t *madt, uint32_t length, struct acpi_interrupt_controllers *controllers)
{
    uint32_t offset = MADT_ENTRIES_OFFSET;
    while (offset + 2 <= length) {
        uint8_t type = madt[offset];
        uint8_t entry_length = madt[offset + 1];
        if (entry_length < 2 || offset + entry_length > length) {
            break;
        }
        const uint8_t *entry = madt + offset;
        if (type == MADT_IO_APIC && entry_length >= 12 && controllers->io_apic_count < ACPI_MAX_IO_APICS) {
            struct acpi_io_apic *io_apic = &controllers->io_apics[controllers->io_apic_count++];
            io_apic->id = entry[2];
            io_apic->address = read32(entry + 4);
            io_apic->gsi_base = read32(entry + 8);
        } else if (type == MADT_INTERRUPT_OVERRIDE && entry_length >= 10 &&
                   controllers->override_count < ACPI_MAX_OVERRIDES) {
            struct acpi_interrupt_override *override = &controllers->overrides[controllers->override_count++];
            override->isa_irq = entry[3];
            override->gsi = read32(entry + 4);
            override->flags = (uint16_t)(entry[8] | entry[9] << 8);
        }
        offset += entry_length;
    }
}

/* The table with signature, through the RSDP's XSDT (ACPI 2.0 and later) or else its RSDT. */
static enum error find_system_table(uint64_t rsdp_phys, const char *signature, const uint8_t **table, uint32_t *length)
{
    if (!rsdp_phys || !described_memory(rsdp_phys, 36)) {
        return ERROR_NOT_FOUND;
    }
    const uint8_t *rsdp = phys_to_virt(rsdp_phys);
    if (memcmp(rsdp, RSDP_SIGNATURE, 8) != 0 || checksum(rsdp, 20) != 0) {
        return ERROR_MALFORMED;
    }
    uint32_t root_length;
    const uint8_t *xsdt = rsdp[15] >= 2 ? checked_table(read64(rsdp + 24), &root_length) : NULL;
    if (xsdt) {
        *table = find_table(xsdt, root_length, 8, signature, length);
    } else {
        const uint8_t *rsdt = checked_table(read32(rsdp + 16), &root_length);
        *table = rsdt ? find_table(rsdt, root_length, 4, signature, length) : NULL;
    }
    return *table ? ERROR_NONE : ERROR_NOT_FOUND;
}

enum error acpi_read_interrupt_controllers(uint64_t rsdp_phys, struct acpi_interrupt_controllers *controllers)
{
    memset(controllers, 0, sizeof(*controllers));
    const uint8_t *madt;
    uint32_t length;
    enum error error = find_system_table(rsdp_phys, MADT_SIGNATURE, &madt, &length);
    if (error != ERROR_NONE) {
        return error;
    }
    read_madt(madt, length, controllers);
    return controllers->io_apic_count ? ERROR_NONE : ERROR_NOT_FOUND;
}

enum error acpi_read_pci_ecam(uint64_t rsdp_phys, struct acpi_pci_ecam *regions, uint32_t capacity, uint32_t *count)
{
    *count = 0;
    const uint8_t *mcfg;
    uint32_t length;
    enum error error = find_system_table(rsdp_phys, MCFG_SIGNATURE, &mcfg, &length);
    return error == ERROR_NONE ? acpi_parse_mcfg(mcfg, length, regions, capacity, count) : error;
}
