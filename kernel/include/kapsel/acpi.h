/*
 * The little ACPI the kernel reads: the MADT, for the I/O APICs and the ISA
 * interrupt overrides. Firmware tables are checked (signatures, lengths,
 * checksums) before any field is used; anything odd means "no MADT".
 */
#ifndef KAPSEL_ACPI_H
#define KAPSEL_ACPI_H

#include <kapsel/error.h>
#include <stdint.h>

#define ACPI_MAX_IO_APICS 4
#define ACPI_MAX_OVERRIDES 16

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

/* Finds and checks the MADT through the RSDP at rsdp_phys; ERROR_NOT_FOUND or ERROR_MALFORMED otherwise. */
enum error acpi_read_interrupt_controllers(uint64_t rsdp_phys, struct acpi_interrupt_controllers *controllers);

#endif
