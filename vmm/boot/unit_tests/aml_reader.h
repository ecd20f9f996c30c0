/*
 * A strict reader, for tests only, of the AML that acpi_dsdt.c writes: it
 * decodes the bytes independently of the writer and refuses anything else.
 */
#ifndef VMM_BOOT_AML_READER_H
#define VMM_BOOT_AML_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml_device {
    char name[5];
    char hid[16];
    uint64_t uid;
    bool memory_writable;
    uint32_t memory_base;
    uint32_t memory_size;
    uint8_t interrupt_flags;
    uint32_t interrupt;
};

/*
 * Decodes Name(_S5_, Package(2) { SLP_TYPa, SLP_TYPb }) into s5[0..1], then Scope(\_SB_) { Device(name) { Name(_HID,
 * string) Name(_UID, integer) Name(_CRS, Buffer { Memory32Fixed, one-interrupt Extended Interrupt, End Tag }) } ... },
 * which must fill aml exactly, with every PkgLength in its shortest form. Returns the device count, or -1 and *error if
 * it is not that.
 */
int aml_read_devices(const uint8_t *aml, size_t length, uint64_t s5[2], struct aml_device *devices, int max_devices,
                     const char **error);

#endif
