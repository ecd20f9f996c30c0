/*
 * A strict reader, for tests only, of the AML that acpi_dsdt.c writes: it
 * decodes the bytes independently of the writer and refuses anything else.
 */
#ifndef VMM_BOOT_AML_READER_H
#define VMM_BOOT_AML_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_DEVICE_MAX_IO_RANGES 2

struct aml_io_range {
    uint16_t base; /* the minimum and maximum base, which must be equal */
    uint8_t alignment;
    uint8_t length;
};

struct aml_device {
    char name[5];
    char hid[16];
    bool has_uid;
    uint64_t uid;
    bool has_memory; /* Memory32Fixed */
    bool memory_writable;
    uint32_t memory_base;
    uint32_t memory_size;
    bool has_interrupt; /* Extended Interrupt with one number */
    uint8_t interrupt_flags;
    uint32_t interrupt;
    struct aml_io_range io[AML_DEVICE_MAX_IO_RANGES]; /* IO (Decode16), in order */
    unsigned io_count;
    uint16_t isa_irq_mask; /* IRQNoFlags; 0: none */
};

/*
 * Decodes Name(_S5_, Package(2) { SLP_TYPa, SLP_TYPb }) into s5[0..1], then Scope(\_SB_) { Device(name) { Name(_HID,
 * string) [Name(_UID, integer)] Name(_CRS, Buffer { descriptors, End Tag }) } ... }, which must fill aml exactly, with
 * every PkgLength in its shortest form; the descriptors are Memory32Fixed, one-interrupt Extended Interrupt, IO with
 * 16-bit decoding and a fixed base, and IRQNoFlags, each at most once (IO up to AML_DEVICE_MAX_IO_RANGES times).
 * Returns the device count, or -1 and *error if it is not that.
 */
int aml_read_devices(const uint8_t *aml, size_t length, uint64_t s5[2], struct aml_device *devices, int max_devices,
                     const char **error);

#endif
