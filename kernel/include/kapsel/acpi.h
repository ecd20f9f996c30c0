/*
 * The little ACPI the kernel reads: the MADT, for the I/O APICs and the ISA
 * interrupt overrides, and the MCFG, for where PCI Express configuration
 * space (ECAM) lies, which the device-memory object reports to the PCI bus
 * app. Firmware tables are checked (signatures, lengths, checksums) before
 * any field is used; anything odd means "no such table".
 */
#ifndef KAPSEL_ACPI_H
#define KAPSEL_ACPI_H

#include <kapsel/error.h>
#include <stdint.h>

#define ACPI_MAX_IO_APICS 4
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_PCI_ECAM 8
#define ACPI_MCFG_ENTRIES_OFFSET 44 /* the header and 8 reserved bytes */
#define ACPI_MCFG_ENTRY_SIZE 16
#define ACPI_PCI_ECAM_BUS_SHIFT 20 /* 1 MiB of configuration space a bus */

struct acpi_io_apic {
    uint8_t id;
    uint32_t address;
    uint32_t gsi_base;
};

struct acpi_interrupt_override {
    uint8_t isa_irq;
    uint32_t gsi;
    uint16_t flags; /* MPS INTI flags: polarity bits 0-1, trigger mode bits 2-3 */
};

struct acpi_interrupt_controllers {
    uint32_t io_apic_count;
    struct acpi_io_apic io_apics[ACPI_MAX_IO_APICS];
    uint32_t override_count;
    struct acpi_interrupt_override overrides[ACPI_MAX_OVERRIDES];
};

/* One MCFG allocation: bus b of the segment (first_bus <= b <= last_bus) at base + (b << 20). */
struct acpi_pci_ecam {
    uint64_t base; /* where bus 0's space would be, as the PCI Firmware Specification defines it */
    uint16_t segment;
    uint8_t first_bus;
    uint8_t last_bus;
};

/*
 * The allocations of a checksummed MCFG of length bytes, at most capacity of
 * them; an entry with its buses reversed, a base not aligned to 1 MiB or a
 * range past 2^64 is skipped. ERROR_MALFORMED when the table cannot hold its
 * own header or its length is not a whole number of entries.
 */
enum error acpi_parse_mcfg(const uint8_t *mcfg, uint32_t length, struct acpi_pci_ecam *regions, uint32_t capacity,
                           uint32_t *count);

/* The MCFG's allocations through the RSDP at rsdp_phys: ERROR_NOT_FOUND without one, else as acpi_parse_mcfg. */
enum error acpi_read_pci_ecam(uint64_t rsdp_phys, struct acpi_pci_ecam *regions, uint32_t capacity, uint32_t *count);

/* Finds and checks the MADT through the RSDP at rsdp_phys; ERROR_NOT_FOUND or ERROR_MALFORMED otherwise. */
enum error acpi_read_interrupt_controllers(uint64_t rsdp_phys, struct acpi_interrupt_controllers *controllers);

#endif
