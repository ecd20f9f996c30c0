/*
 * Short names for what a function is, for people reading the log: virtio
 * devices by their device ID ("virtio-net"), everything else by its class
 * code ("host bridge", "SATA controller"), falling back to the base class.
 */
#ifndef DRIVERS_PCI_PCI_NAMES_H
#define DRIVERS_PCI_PCI_NAMES_H

#include "pci_function.h"

/* A name for fn, never NULL: "unknown" for a class this table does not know. */
const char *pci_function_name(const struct pci_function *fn);

/* The name of a virtio structure type (VIRTIO_PCI_CAP_*): "common", "notify", ...; NULL for a type it does not know. */
const char *pci_virtio_cfg_type_name(uint8_t cfg_type);

#endif
