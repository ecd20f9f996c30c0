/*
 * PCI configuration mechanism #1, the legacy one every PC chipset has: the
 * dword address of a register goes to port 0xCF8 (enable bit, bus, device,
 * function, offset), its bytes are then read or written at 0xCFC..0xCFF. It
 * reaches the first 256 bytes of each function (no PCI Express extended
 * space: that needs ECAM). Not safe against another user of the same ports:
 * the PCI bus app owns them alone.
 */
#ifndef DRIVERS_PCI_PCI_LEGACY_H
#define DRIVERS_PCI_PCI_LEGACY_H

#include "pci_config.h"
#include "port_io.h"

#include <stdbool.h>
#include <stdint.h>

#define PCI_LEGACY_ADDRESS_PORT 0xcf8u
#define PCI_LEGACY_DATA_PORT 0xcfcu
#define PCI_LEGACY_FIRST_PORT PCI_LEGACY_ADDRESS_PORT
#define PCI_LEGACY_PORT_COUNT 8u /* 0xCF8..0xCFF: what the task must be granted */
#define PCI_LEGACY_ENABLE 0x80000000u

struct pci_legacy {
    struct port_io ports;
};

/* The address port's value for the dword holding offset (0..255) of the function at address. */
uint32_t pci_legacy_address(struct pci_address address, uint16_t offset);

/*
 * Whether mechanism #1 answers: the address port keeps PCI_LEGACY_ENABLE when
 * written (no chipset: it reads all ones). The port's old value is put back.
 */
bool pci_legacy_present(const struct port_io *ports);

/* A configuration-space accessor over legacy->ports (256 bytes a function); legacy must outlive it. */
struct pci_config pci_legacy_config(struct pci_legacy *legacy);

#endif
