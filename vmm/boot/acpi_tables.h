/*
 * The ACPI tables a Linux guest boots with on a hardware-reduced platform
 * (ACPI 6.5): RSDP -> XSDT -> {FADT -> DSDT, MADT}. No legacy devices, no
 * fixed ACPI hardware (PM timer, SCI, PM ports): the FADT says HW_REDUCED_ACPI.
 * The MADT lists the vCPUs' local APICs and one I/O APIC; the DSDT names each
 * virtio-mmio device ("LNRO0005", which Linux's virtio_mmio driver matches)
 * with its register window and interrupt, and the PC's keyboard controller
 * ("PNP0303", a PS/2 keyboard: how Linux's i8042 driver finds it with ACPI).
 *
 * The tables are written into guest RAM, which the caller must then describe
 * as LINUX_E820_ACPI in the guest's e820 map and pass the RSDP address to the
 * loader (linux_boot_layout.acpi_rsdp_address).
 */
#ifndef VMM_BOOT_ACPI_TABLES_H
#define VMM_BOOT_ACPI_TABLES_H

#include "boot_error.h"
#include "vmm/guest_memory.h"
#include <stddef.h>
#include <stdint.h>

#define ACPI_LOCAL_APIC_ADDRESS 0xfee00000u
#define ACPI_IO_APIC_ADDRESS 0xfec00000u
/*
 * The hardware-reduced sleep and reset registers the FADT names (I/O ports the
 * VMM must serve): writing SLP_EN with the SLP_TYP of \_S5 powers off, writing
 * ACPI_RESET_VALUE to ACPI_RESET_PORT resets (the PC's port 0xCF9).
 */
#define ACPI_SLEEP_CONTROL_PORT 0x600u
#define ACPI_SLEEP_STATUS_PORT 0x601u
#define ACPI_SLEEP_TYPE_S5 5u
#define ACPI_SLEEP_CONTROL_TYPE_SHIFT 2 /* SLP_TYPx: bits 4:2 */
#define ACPI_SLEEP_CONTROL_ENABLE 0x20u /* SLP_EN */
#define ACPI_RESET_PORT 0xcf9u
#define ACPI_RESET_VALUE 0x06u
/* The 8042 keyboard controller the DSDT names (the VMM must serve it): data and command ports, ISA IRQ. */
#define ACPI_KEYBOARD_DATA_PORT 0x60u
#define ACPI_KEYBOARD_COMMAND_PORT 0x64u
#define ACPI_KEYBOARD_IRQ 1u
#define ACPI_MAX_VCPUS 255u              /* xAPIC IDs 0..254; 0xff is the broadcast ID */
#define ACPI_MAX_VIRTIO_MMIO_DEVICES 100 /* named VR00..VR99 */

struct acpi_virtio_mmio_device {
    uint64_t base; /* the register window, entirely below 4 GiB */
    uint32_t size; /* 0x200 for virtio-mmio */
    uint32_t gsi;  /* I/O APIC input (GSI base 0); edge-triggered, active-high */
};

struct acpi_config {
    uint32_t vcpu_count; /* vCPU i has APIC ID i and ACPI processor UID i */
    uint8_t io_apic_id;  /* must match what the VMM's I/O APIC reports */
    const struct acpi_virtio_mmio_device *devices;
    size_t device_count;
};

/*
 * Writes the tables into guest RAM from base_address (the RSDP first, at base_address rounded up to
 * 16 bytes, as a scan for it expects). On success *rsdp_address is the RSDP's and *used_bytes how
 * much from base_address the tables take. Nothing is written unless config is valid and all fits.
 */
enum boot_error acpi_build(const struct guest_memory *memory, uint64_t base_address, const struct acpi_config *config,
                           uint64_t *rsdp_address, uint64_t *used_bytes);

#endif
