/* The DSDT's AML: the devices the guest cannot discover by itself. */
#ifndef VMM_BOOT_ACPI_DSDT_H
#define VMM_BOOT_ACPI_DSDT_H

#include "acpi_tables.h"
#include "aml_writer.h"

/*
 * The definition block's body: Scope(\_SB) with, per virtio-mmio device n, Device(VRnn) naming
 * _HID "LNRO0005", _UID n and _CRS { Memory32Fixed(ReadWrite, base, size), Interrupt(ResourceConsumer,
 * Edge, ActiveHigh, Exclusive) { gsi } }, then Device(PS2K) naming _HID "PNP0303" and _CRS { IO(Decode16) for
 * the keyboard controller's data and command ports, IRQNoFlags() { its ISA IRQ } }. config must be valid (acpi_build
 * checks it).
 */
void acpi_dsdt_write_aml(struct aml_writer *writer, const struct acpi_config *config);

#endif
