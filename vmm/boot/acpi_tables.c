#include "acpi_tables.h"

#include "acpi_dsdt.h"
#include "little_endian.h"
#include <string.h>

/* Sizes and revisions (ACPI 6.5, 5.2 "ACPI System Description Tables"). */
enum {
    RSDP_SIZE = 36,
    RSDP_V1_SIZE = 20, /* what the first checksum covers */
    RSDP_REVISION = 2, /* ACPI 2.0+: has the XSDT address */
    HEADER_SIZE = 36,  /* every table but the RSDP starts with it */
    XSDT_REVISION = 1,
    XSDT_ENTRIES = 2, /* FADT, MADT */
    FADT_SIZE = 276,
    FADT_REVISION = 6,
    FADT_MINOR_REVISION = 5,
    MADT_REVISION = 5,
    MADT_FIXED_SIZE = HEADER_SIZE + 8, /* + local APIC address, flags */
    MADT_LOCAL_APIC_SIZE = 8,
    MADT_IO_APIC_SIZE = 12,
    DSDT_REVISION = 2, /* 64-bit AML integers */
};

/* Table header fields (5.2.6). */
enum {
    HEADER_LENGTH = 4,
    HEADER_REVISION = 8,
    HEADER_CHECKSUM = 9,
    HEADER_OEM_ID = 10,
    HEADER_OEM_TABLE_ID = 16,
    HEADER_OEM_REVISION = 24,
    HEADER_CREATOR_ID = 28,
    HEADER_CREATOR_REVISION = 32,
};

/* RSDP fields (5.2.5.3). */
enum {
    RSDP_CHECKSUM = 8,
    RSDP_OEM_ID = 9,
    RSDP_REVISION_FIELD = 15,
    RSDP_LENGTH = 20,
    RSDP_XSDT_ADDRESS = 24,
    RSDP_EXTENDED_CHECKSUM = 32,
};

/* FADT fields (5.2.9) and flags. */
enum {
    FADT_DSDT = 40,
    FADT_IAPC_BOOT_ARCH = 109,
    FADT_FLAGS = 112,
    FADT_RESET_REGISTER = 116,
    FADT_RESET_VALUE = 128,
    FADT_MINOR_VERSION = 131,
    FADT_X_DSDT = 140,
    FADT_SLEEP_CONTROL_REGISTER = 244,
    FADT_SLEEP_STATUS_REGISTER = 256,
};
#define FADT_BOOT_NO_VGA (1u << 2)      /* not safe to probe for VGA */
#define FADT_BOOT_NO_CMOS_RTC (1u << 5) /* no RTC at ports 0x70/0x71 */
#define FADT_POWER_BUTTON (1u << 4)     /* no fixed-feature power button */
#define FADT_SLEEP_BUTTON (1u << 5)     /* no fixed-feature sleep button */
#define FADT_RESET_REGISTER_SUPPORTED (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20) /* no fixed ACPI hardware: PM timer, SCI, PM1 blocks, GPEs */

/* Generic Address Structure (5.2.3.2) of a one-byte I/O port. */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* MADT structures (5.2.12). */
enum {
    MADT_LOCAL_APIC_ADDRESS = 36,
    MADT_TYPE_LOCAL_APIC = 0,
    MADT_TYPE_IO_APIC = 1,
};
#define MADT_LOCAL_APIC_ENABLED 1u

/* Who made the tables, as every header says. */
#define OEM_ID "KAPSEL"         /* 6 characters */
#define OEM_TABLE_ID "KAPSELVM" /* 8 */
#define OEM_REVISION 1u
#define CREATOR_ID "KAPS" /* 4 */
#define CREATOR_REVISION 1u

#define FOUR_GIB 0x100000000ull

/* Offsets from the base address, decided before anything is written. */
struct acpi_layout {
    size_t rsdp;
    size_t xsdt;
    size_t fadt;
    size_t madt;
    size_t madt_size;
    size_t dsdt;
    size_t dsdt_size;
    size_t end;
};

static size_t align_up(size_t offset, size_t alignment)
{
    return (offset + alignment - 1) & ~(alignment - 1);
}

static enum boot_error check_config(const struct acpi_config *config)
{
    if (config->vcpu_count == 0 || config->vcpu_count > ACPI_MAX_VCPUS) {
        return BOOT_ERROR_ACPI_BAD_VCPU_COUNT;
    }
    if (config->device_count > ACPI_MAX_VIRTIO_MMIO_DEVICES) {
        return BOOT_ERROR_ACPI_TOO_MANY_DEVICES;
    }
    for (size_t i = 0; i < config->device_count; i++) {
        const struct acpi_virtio_mmio_device *device = &config->devices[i];
        if (device->size == 0 || device->base > FOUR_GIB - device->size) {
            return BOOT_ERROR_ACPI_BAD_DEVICE_WINDOW;
        }
    }
    return BOOT_OK;
}

/*
 * RSDP, XSDT, FADT, MADT, then the DSDT, whose AML is measured first. The RSDP is 16-byte aligned
 * (a scan of 0xE0000..0xFFFFF looks only there); the tables are 8-byte aligned.
 */
static struct acpi_layout plan(uint64_t base_address, const struct acpi_config *config)
{
    struct aml_writer measure;
    aml_writer_init(&measure, NULL, 0);
    acpi_dsdt_write_aml(&measure, config); /* a few KiB at most: far below PkgLength's limit, cannot fail */

    struct acpi_layout layout;
    layout.rsdp = (size_t)(-base_address & 15);
    layout.xsdt = align_up(layout.rsdp + RSDP_SIZE, 8);
    layout.fadt = align_up(layout.xsdt + HEADER_SIZE + 8 * XSDT_ENTRIES, 8);
    layout.madt = align_up(layout.fadt + FADT_SIZE, 8);
    layout.madt_size = MADT_FIXED_SIZE + MADT_LOCAL_APIC_SIZE * config->vcpu_count + MADT_IO_APIC_SIZE;
    layout.dsdt = align_up(layout.madt + layout.madt_size, 8);
    layout.dsdt_size = HEADER_SIZE + measure.length;
    layout.end = layout.dsdt + layout.dsdt_size;
    return layout;
}

/* The byte that makes bytes[0, length) sum to zero (mod 256), as every ACPI checksum must. */
static uint8_t checksum(const uint8_t *bytes, size_t length)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++) {
        sum = (uint8_t)(sum + bytes[i]);
    }
    return (uint8_t)-sum;
}

static void write_header(uint8_t *table, const char signature[4], size_t length, uint8_t revision)
{
    memcpy(table, signature, 4);
    store_le32(table + HEADER_LENGTH, (uint32_t)length);
    table[HEADER_REVISION] = revision;
    memcpy(table + HEADER_OEM_ID, OEM_ID, 6);
    memcpy(table + HEADER_OEM_TABLE_ID, OEM_TABLE_ID, 8);
    store_le32(table + HEADER_OEM_REVISION, OEM_REVISION);
    memcpy(table + HEADER_CREATOR_ID, CREATOR_ID, 4);
    store_le32(table + HEADER_CREATOR_REVISION, CREATOR_REVISION);
}

/* Sets the checksum of a finished table (its checksum byte still zero). */
static void seal(uint8_t *table, size_t length)
{
    table[HEADER_CHECKSUM] = checksum(table, length);
}

static void write_rsdp(uint8_t *rsdp, uint64_t xsdt_address)
{
    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + RSDP_OEM_ID, OEM_ID, 6);
    rsdp[RSDP_REVISION_FIELD] = RSDP_REVISION;
    /* RsdtAddress stays 0: a revision 2 RSDP with an XSDT needs no RSDT. */
    store_le32(rsdp + RSDP_LENGTH, RSDP_SIZE);
    store_le64(rsdp + RSDP_XSDT_ADDRESS, xsdt_address);
    rsdp[RSDP_CHECKSUM] = checksum(rsdp, RSDP_V1_SIZE);
    rsdp[RSDP_EXTENDED_CHECKSUM] = checksum(rsdp, RSDP_SIZE);
}

static void write_xsdt(uint8_t *xsdt, uint64_t fadt_address, uint64_t madt_address)
{
    write_header(xsdt, "XSDT", HEADER_SIZE + 8 * XSDT_ENTRIES, XSDT_REVISION);
    store_le64(xsdt + HEADER_SIZE, fadt_address);
    store_le64(xsdt + HEADER_SIZE + 8, madt_address);
    seal(xsdt, HEADER_SIZE + 8 * XSDT_ENTRIES);
}

/*
 * Hardware-reduced: every fixed-hardware block, the SCI and the FACS stay 0, which Linux accepts when
 * HW_REDUCED_ACPI is set (it then also skips the PIT/HPET timer setup and the 8259 PICs). It still
 * needs the DSDT. Power-off and reset go through the sleep control and reset registers (I/O ports).
 */
static void write_io_port_address(uint8_t *gas, uint16_t port)
{
    gas[0] = GAS_SYSTEM_IO;
    gas[1] = 8; /* register bit width */
    gas[2] = 0; /* bit offset */
    gas[3] = GAS_ACCESS_BYTE;
    store_le64(gas + 4, port);
}

static void write_fadt(uint8_t *fadt, uint64_t dsdt_address)
{
    write_header(fadt, "FACP", FADT_SIZE, FADT_REVISION);
    /* The 32-bit DSDT field only where the address fits; X_DSDT is what ACPI 2.0+ readers use. */
    store_le32(fadt + FADT_DSDT, dsdt_address < FOUR_GIB ? (uint32_t)dsdt_address : 0);
    /* Neither LEGACY_DEVICES nor 8042: Linux then probes no ISA devices and no PS/2 controller. */
    store_le16(fadt + FADT_IAPC_BOOT_ARCH, FADT_BOOT_NO_VGA | FADT_BOOT_NO_CMOS_RTC);
    store_le32(fadt + FADT_FLAGS,
               FADT_HW_REDUCED_ACPI | FADT_POWER_BUTTON | FADT_SLEEP_BUTTON | FADT_RESET_REGISTER_SUPPORTED);
    write_io_port_address(fadt + FADT_RESET_REGISTER, ACPI_RESET_PORT);
    fadt[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
    write_io_port_address(fadt + FADT_SLEEP_CONTROL_REGISTER, ACPI_SLEEP_CONTROL_PORT);
    write_io_port_address(fadt + FADT_SLEEP_STATUS_REGISTER, ACPI_SLEEP_STATUS_PORT);
    fadt[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
    store_le64(fadt + FADT_X_DSDT, dsdt_address);
    seal(fadt, FADT_SIZE);
}

/* MADT flags stay 0: no PCAT_COMPAT, as there are no 8259 PICs for Linux to mask. */
static void write_madt(uint8_t *madt, size_t size, const struct acpi_config *config)
{
    write_header(madt, "APIC", size, MADT_REVISION);
    store_le32(madt + MADT_LOCAL_APIC_ADDRESS, ACPI_LOCAL_APIC_ADDRESS);
    uint8_t *entry = madt + MADT_FIXED_SIZE;
    for (uint32_t vcpu = 0; vcpu < config->vcpu_count; vcpu++) {
        entry[0] = MADT_TYPE_LOCAL_APIC;
        entry[1] = MADT_LOCAL_APIC_SIZE;
        entry[2] = (uint8_t)vcpu; /* ACPI processor UID */
        entry[3] = (uint8_t)vcpu; /* APIC ID */
        store_le32(entry + 4, MADT_LOCAL_APIC_ENABLED);
        entry += MADT_LOCAL_APIC_SIZE;
    }
    entry[0] = MADT_TYPE_IO_APIC;
    entry[1] = MADT_IO_APIC_SIZE;
    entry[2] = config->io_apic_id;
    store_le32(entry + 4, ACPI_IO_APIC_ADDRESS);
    store_le32(entry + 8, 0); /* its first input is GSI 0 */
    seal(madt, size);
}

static void write_dsdt(uint8_t *dsdt, size_t size, const struct acpi_config *config)
{
    write_header(dsdt, "DSDT", size, DSDT_REVISION);
    struct aml_writer writer;
    aml_writer_init(&writer, dsdt + HEADER_SIZE, size - HEADER_SIZE);
    acpi_dsdt_write_aml(&writer, config); /* exactly the measured length */
    seal(dsdt, size);
}

enum boot_error acpi_build(const struct guest_memory *memory, uint64_t base_address, const struct acpi_config *config,
                           uint64_t *rsdp_address, uint64_t *used_bytes)
{
    enum boot_error error = check_config(config);
    if (error != BOOT_OK) {
        return error;
    }
    struct acpi_layout layout = plan(base_address, config);
    uint8_t *region = guest_memory_at(memory, base_address, layout.end);
    if (region == NULL) {
        return BOOT_ERROR_ACPI_NO_ROOM;
    }

    memset(region, 0, layout.end); /* reserved fields and padding */
    write_rsdp(region + layout.rsdp, base_address + layout.xsdt);
    write_xsdt(region + layout.xsdt, base_address + layout.fadt, base_address + layout.madt);
    write_fadt(region + layout.fadt, base_address + layout.dsdt);
    write_madt(region + layout.madt, layout.madt_size, config);
    write_dsdt(region + layout.dsdt, layout.dsdt_size, config);

    *rsdp_address = base_address + layout.rsdp;
    *used_bytes = layout.end;
    return BOOT_OK;
}
