/*
 * PCI Express's enhanced configuration access mechanism (ECAM): each
 * function's 4 KiB of configuration space is memory, at bus << 20 |
 * device << 15 | function << 12 from where the firmware's ACPI MCFG puts the
 * segment. It reaches the extended space past the first 256 bytes, which the
 * legacy ports cannot. A bus's 1 MiB is mapped on its first access, through a
 * callback (the device-memory capability in the app, plain memory in the
 * host tests), so that only buses that exist cost page tables.
 */
#ifndef DRIVERS_PCI_PCI_ECAM_H
#define DRIVERS_PCI_PCI_ECAM_H

#include "pci_config.h"

#include <stdbool.h>
#include <stdint.h>

#define PCI_ECAM_BUS_SHIFT 20
#define PCI_ECAM_BUS_SIZE (1ull << PCI_ECAM_BUS_SHIFT)

struct pci_ecam {
    uint8_t *window; /* where bus first_bus's space is mapped; bus b at window + ((b - first_bus) << 20) */
    uint8_t first_bus;
    uint8_t last_bus;
    /* Maps bus's 1 MiB of configuration space at address; called once per bus, before its first access. */
    enum error (*map_bus)(void *context, uint8_t bus, void *address);
    void *map_context;
    uint64_t mapped[PCI_BUSES / 64]; /* a bit per bus whose space is mapped */
};

/*
 * A configuration-space accessor over ecam (4096 bytes a function); ecam must outlive it. A bus outside
 * first_bus..last_bus reads and writes ERROR_NOT_FOUND, one whose mapping failed the callback's error.
 */
struct pci_config pci_ecam_config(struct pci_ecam *ecam);

#endif
