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
#include "pci_handoff.h"

#include <kapsel/environment.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_assignment {
    uint16_t vendor_id;
    uint16_t device_id;
    char driver[APP_NAME_SIZE]; /* the driver Micro-App */
};

/* The hand-over message (pci_handoff.h): its words and items. */
struct pci_handoff_message {
    uint64_t words[PCI_HANDOFF_WORDS];
    uint64_t items[2 * (PCI_HANDOFF_MAX_BARS + PCI_HANDOFF_MAX_VECTORS)];
    unsigned item_count;
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

/*
 * The steps of a hand-over, for a supervisor that hands the device to one driver after another (pci_supervise.h).
 * pci_handoff_prepare, once: maps the BARs the driver needs into the PCI app, binds an Irq per MSI-X vector and
 * builds the message. pci_handoff_enable, before each hand-over: memory decoding and bus mastering on, every MSI-X
 * entry masked, MSI-X on. pci_handoff_call: the hand-over call through gate to driver (named in messages), answered
 * by the driver's reply. pci_device_quiesce, after a driver: MSI-X and bus mastering off and a virtio reset, so the
 * device neither interrupts nor writes into memory that went with the driver. Each returns NULL or why it failed.
 */
const char *pci_handoff_prepare(const struct pci_function *fn, struct pci_handoff_message *handoff);
const char *pci_handoff_enable(const struct pci_config *config, const struct pci_function *fn);
const char *pci_handoff_call(uint64_t gate, const char *driver, const struct pci_handoff_message *handoff);
void pci_device_quiesce(const struct pci_config *config, const struct pci_function *fn);

#endif
