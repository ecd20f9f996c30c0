/*
 * Enumeration: every function on bus 0 and on the buses behind PCI-to-PCI
 * bridges (their secondary bus numbers as firmware left them; nothing is
 * renumbered), depth first, so a bridge's buses follow the bridge. Bounded:
 * each bus is scanned at most once, bridges nest at most PCI_MAX_BRIDGE_DEPTH
 * deep, and the functions go into a table of the caller's size.
 */
#ifndef DRIVERS_PCI_PCI_ENUMERATE_H
#define DRIVERS_PCI_PCI_ENUMERATE_H

#include "pci_config.h"
#include "pci_function.h"
#include "pci_problem.h"

#include <stddef.h>
#include <stdint.h>

#define PCI_MAX_BRIDGE_DEPTH 16

struct pci_enumeration {
    struct pci_function *functions; /* the caller's table */
    size_t capacity;
    size_t count;
    size_t dropped; /* functions found after the table was full (bridges among them not followed) */
    unsigned buses; /* scanned */
    uint8_t bus_scanned[PCI_BUSES / 8];
    struct pci_problems problems;
};

/* Prepares result for pci_enumerate with a table of capacity functions. */
void pci_enumeration_init(struct pci_enumeration *result, struct pci_function *table, size_t capacity);

/* Finds and probes every function reachable from bus 0 through config. */
void pci_enumerate(const struct pci_config *config, struct pci_enumeration *result);

/* The function at address in result, or NULL. */
const struct pci_function *pci_enumeration_find(const struct pci_enumeration *result, struct pci_address address);

#endif
