/*
 * The capability list of a function: walked from the header's pointer,
 * bounded and loop-safe (at most one capability per dword above the header,
 * each visited once), recording every entry and reading the ones the PCI bus
 * app cares about: MSI (0x05), MSI-X (0x11) and, on virtio devices, the
 * vendor capabilities (0x09) that place virtio's structures in BARs.
 */
#ifndef DRIVERS_PCI_PCI_CAPABILITY_H
#define DRIVERS_PCI_PCI_CAPABILITY_H

#include "pci_config.h"
#include "pci_function.h"
#include "pci_problem.h"

/*
 * Reads fn's capabilities (fn's header, status and vendor/device already
 * read) into fn->capabilities, fn->msi, fn->msix and fn->virtio. A pointer
 * into the header or back to a capability already seen ends the walk; a
 * capability that runs past the end of the space, a second MSI or MSI-X, or
 * reserved values in one are reported and that capability left out.
 */
void pci_capabilities_read(const struct pci_config *config, struct pci_function *fn, struct pci_problems *problems);

#endif
