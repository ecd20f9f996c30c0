/*
 * Handing one PCI function to its driver Micro-App (pci_handoff.h): the
 * --assign argument, and the hand-over itself with the system calls it takes
 * (device memory, Irqs bound to MSI vectors, the call through the driver's
 * "peer:<driver app>" gate), then the wait for the driver to give it back.
 */
#ifndef DRIVERS_PCI_PCI_ASSIGN_H
#define DRIVERS_PCI_PCI_ASSIGN_H

#include "pci_config.h"
#include "pci_function.h"

#include <kapsel/environment.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_assignment {
    uint16_t vendor_id;
    uint16_t device_id;
    char driver[APP_NAME_SIZE]; /* the driver Micro-App */
};

/* "<vendor>:<device>=<driver app>" (IDs in hex); false if malformed. */
bool pci_assignment_parse(const char *text, struct pci_assignment *assignment);

/*
 * Hands fn to assignment->driver and waits until the driver releases it (then
 * bus mastering and MSI-X are off again). Returns NULL, or why the hand-over
 * failed (bus mastering and MSI-X are off then too).
 */
const char *pci_assign(const struct pci_config *config, const struct pci_function *fn,
                       const struct pci_assignment *assignment);

#endif
