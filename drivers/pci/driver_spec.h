/*
 * The launch spec (kapsel/launcher.h) with which pci_bus starts the NIC driver it supervises: one Micro-App block of
 * the manifest grammar that gives the driver only what it needs, its log, DMA memory, a gate to the switch and one
 * shared region (the uplink port's rings, which pci_bus supplies and attaches to the switch), and tells it to use
 * them. Pure, host-tested.
 */
#ifndef DRIVERS_PCI_DRIVER_SPEC_H
#define DRIVERS_PCI_DRIVER_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define DRIVER_SPEC_REGION "net" /* the shared region's name in the driver */
#define DRIVER_SPEC_SWITCH "switch"

struct driver_spec {
    const char *name;      /* the launched app's name */
    const char *image;     /* a file of the boot archive */
    uint64_t quota_bytes;  /* its factory's kernel-object quota */
    uint64_t memory_bytes; /* its heap */
    uint64_t region_bytes; /* the shared region, a multiple of 1 KiB */
};

/* Writes the spec into text (size bytes, NUL-terminated); its length, or 0 if it does not fit or a size is not whole
 * KiB. */
size_t driver_spec_write(const struct driver_spec *spec, char *text, size_t size);

#endif
