/*
 * The device model: what the enumeration learns about one PCI function, all
 * of it read from configuration space and validated (a malformed part is
 * reported as a pci_problem, counted in problems, and left out or marked not
 * valid). The next step hands exactly one function to its driver.
 */
#ifndef DRIVERS_PCI_PCI_FUNCTION_H
#define DRIVERS_PCI_PCI_FUNCTION_H

#include "pci_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_MAX_BARS 6
#define PCI_MAX_CAPABILITIES 48 /* (256 - 64) / 4: at most one capability per dword above the header */
#define PCI_MAX_VIRTIO_CAPABILITIES 8

enum pci_bar_kind {
    PCI_BAR_UNUSED = 0, /* not implemented (sizes to nothing) */
    PCI_BAR_IO,
    PCI_BAR_MEMORY32,
    PCI_BAR_MEMORY64,
    PCI_BAR_UPPER_HALF, /* the upper half of the 64-bit BAR in the slot before */
    PCI_BAR_INVALID,    /* it read as nonsense (reported): never to be used */
};

struct pci_bar {
    enum pci_bar_kind kind;
    bool prefetchable; /* memory only */
    uint64_t address;  /* as firmware left it; 0: not assigned */
    uint64_t size;     /* bytes, a power of two (0 unless IO, MEMORY32 or MEMORY64) */
};

struct pci_msi {
    bool present;    /* the first MSI capability, read and valid */
    uint8_t offset;  /* of the capability */
    bool address64;  /* takes a 64-bit message address */
    bool masking;    /* per-vector masking */
    uint8_t vectors; /* it can request 1, 2, 4, 8, 16 or 32 */
};

struct pci_msix {
    bool present; /* the first MSI-X capability, read and valid (its table and PBA inside memory BARs) */
    uint8_t offset;
    uint16_t vectors; /* table entries, 1..2048 */
    uint8_t table_bar;
    uint32_t table_offset;
    uint8_t pba_bar; /* pending bit array */
    uint32_t pba_offset;
};

/* A virtio vendor capability (struct virtio_pci_cap, VIRTIO 1.2 section 4.1.4). */
struct pci_virtio_capability {
    uint8_t offset;   /* of the capability */
    uint8_t cfg_type; /* VIRTIO_PCI_CAP_* (unknown types are kept: a driver ignores them) */
    uint8_t bar;      /* 0..5 */
    uint8_t id;
    uint64_t region_offset; /* in the BAR (64 bits for shared memory regions) */
    uint64_t length;
    uint32_t notify_multiplier; /* notify_off_multiplier: notify only */
    bool valid;                 /* the region lies inside its BAR (always true for VIRTIO_PCI_CAP_PCI_CFG) */
};

struct pci_capability {
    uint8_t id;
    uint8_t offset;
};

struct pci_function {
    struct pci_address address;
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint8_t class_code;
    uint8_t subclass;
    uint8_t prog_if;
    uint8_t header_type; /* PCI_HEADER_DEVICE, _BRIDGE, _CARDBUS or unknown (multi-function bit removed) */
    bool multi_function; /* its device's function 0 says there are functions 1..7 */
    uint16_t command;    /* as found, and as left after sizing */
    uint16_t status;
    uint8_t interrupt_pin; /* 0: none, 1..4: INTA#..INTD# */
    uint8_t interrupt_line;
    uint8_t bar_count; /* 6 for a device, 2 for a bridge, 0 otherwise */
    struct pci_bar bars[PCI_MAX_BARS];
    uint8_t secondary_bus; /* bridges: as firmware left them */
    uint8_t subordinate_bus;
    size_t capability_count;
    struct pci_capability capabilities[PCI_MAX_CAPABILITIES]; /* in list order */
    struct pci_msi msi;
    struct pci_msix msix;
    size_t virtio_count;
    struct pci_virtio_capability virtio[PCI_MAX_VIRTIO_CAPABILITIES];
    unsigned problems; /* malformed things reported against it */
};

/* Whether fn is a virtio device (transitional or modern). */
bool pci_function_is_virtio(const struct pci_function *fn);

struct pci_problems;

/*
 * Reads everything about the function at address, which answered with a valid
 * vendor ID, into *fn: IDs, class, header, interrupt pin and line, bridge bus
 * numbers, sized BARs, capabilities, and the regions those place in BARs.
 * multi_function: function 0 of its device said so. Problems go to problems
 * (and fn->problems). False if its header could not be read (reported): *fn
 * then holds nothing worth keeping.
 */
bool pci_function_probe(const struct pci_config *config, struct pci_address address, bool multi_function,
                        struct pci_function *fn, struct pci_problems *problems);

#endif
