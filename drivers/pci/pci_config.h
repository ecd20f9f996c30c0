/*
 * Access to PCI configuration space, behind one interface: a mechanism (the
 * legacy ports 0xCF8/0xCFC today, ECAM from ACPI's MCFG later) supplies read
 * and write of 1, 2 or 4 bytes at (bus, device, function, offset), and
 * everything above it (enumeration, BARs, capabilities) uses only these
 * checked wrappers. Pure C (no system calls): unit-tested on the host.
 */
#ifndef DRIVERS_PCI_PCI_CONFIG_H
#define DRIVERS_PCI_PCI_CONFIG_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_DEVICES_PER_BUS 32
#define PCI_FUNCTIONS_PER_DEVICE 8
#define PCI_BUSES 256
#define PCI_CONFIG_SIZE 256u           /* what mechanism #1 reaches of each function */
#define PCI_CONFIG_EXTENDED_SIZE 4096u /* PCI Express, through ECAM */

struct pci_address {
    uint8_t bus;
    uint8_t device;   /* 0..31 */
    uint8_t function; /* 0..7 */
};

/*
 * A mechanism. The wrappers below call it only with device < 32, function < 8,
 * width 1, 2 or 4, offset aligned to width and offset + width <= size; a read
 * returns the value in the low width bytes of *value.
 */
struct pci_config_ops {
    enum error (*read)(void *context, struct pci_address address, uint16_t offset, unsigned width, uint32_t *value);
    enum error (*write)(void *context, struct pci_address address, uint16_t offset, unsigned width, uint32_t value);
};

struct pci_config {
    const struct pci_config_ops *ops;
    void *context;
    uint16_t size; /* bytes of each function's space the mechanism reaches: PCI_CONFIG_SIZE or _EXTENDED_SIZE */
};

/*
 * Reads width bytes at offset. ERROR_INVALID_ARGUMENT for an address outside
 * the bus or a misaligned offset, ERROR_OUT_OF_RANGE beyond the space, or the
 * mechanism's own error; on any error *value is all ones, as an absent
 * function reads, so a careless caller still sees "nothing there".
 */
enum error pci_config_read8(const struct pci_config *config, struct pci_address address, uint16_t offset,
                            uint8_t *value);
enum error pci_config_read16(const struct pci_config *config, struct pci_address address, uint16_t offset,
                             uint16_t *value);
enum error pci_config_read32(const struct pci_config *config, struct pci_address address, uint16_t offset,
                             uint32_t *value);

/* Writes width bytes at offset; the same checks as the reads, nothing written on an error. */
enum error pci_config_write8(const struct pci_config *config, struct pci_address address, uint16_t offset,
                             uint8_t value);
enum error pci_config_write16(const struct pci_config *config, struct pci_address address, uint16_t offset,
                              uint16_t value);
enum error pci_config_write32(const struct pci_config *config, struct pci_address address, uint16_t offset,
                              uint32_t value);

/* Whether device and function are inside a bus (every bus number is). */
bool pci_address_valid(struct pci_address address);

#endif
