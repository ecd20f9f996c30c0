/* The MCFG's allocation entries, apart from finding the table, so that the host tests can feed it any bytes. */
#include <kapsel/acpi.h>
#include <stdbool.h>
#include <string.h>

#define MCFG_BASE 0
#define MCFG_SEGMENT 8
#define MCFG_FIRST_BUS 10
#define MCFG_LAST_BUS 11
#define ECAM_ALIGNMENT (1ull << ACPI_PCI_ECAM_BUS_SHIFT)

static bool entry_valid(const struct acpi_pci_ecam *entry)
{
    uint64_t end_offset = ((uint64_t)entry->last_bus + 1) << ACPI_PCI_ECAM_BUS_SHIFT;
    return entry->first_bus <= entry->last_bus && entry->base % ECAM_ALIGNMENT == 0 &&
           entry->base <= UINT64_MAX - end_offset + 1;
}

enum error acpi_parse_mcfg(const uint8_t *mcfg, uint32_t length, struct acpi_pci_ecam *regions, uint32_t capacity,
                           uint32_t *count)
{
    *count = 0;
    if (length < ACPI_MCFG_ENTRIES_OFFSET || (length - ACPI_MCFG_ENTRIES_OFFSET) % ACPI_MCFG_ENTRY_SIZE != 0) {
        return ERROR_MALFORMED;
    }
    for (uint32_t offset = ACPI_MCFG_ENTRIES_OFFSET; offset < length && *count < capacity;
         offset += ACPI_MCFG_ENTRY_SIZE) {
        const uint8_t *bytes = mcfg + offset;
        struct acpi_pci_ecam entry;
        memcpy(&entry.base, bytes + MCFG_BASE, sizeof(entry.base));
        memcpy(&entry.segment, bytes + MCFG_SEGMENT, sizeof(entry.segment));
        entry.first_bus = bytes[MCFG_FIRST_BUS];
        entry.last_bus = bytes[MCFG_LAST_BUS];
        if (entry_valid(&entry)) {
            regions[(*count)++] = entry;
        }
    }
    return ERROR_NONE;
}
