/*
 * Structures that capabilities place inside BARs (the MSI-X table and pending
 * bit array, virtio's common, notify, ISR and device configuration) must lie
 * wholly inside a BAR that is implemented and valid (for MSI-X: a memory
 * BAR). Checked once the BARs are sized and the capabilities read.
 */
#ifndef DRIVERS_PCI_PCI_REGIONS_H
#define DRIVERS_PCI_PCI_REGIONS_H

#include "pci_function.h"
#include "pci_problem.h"

/* Reports every region outside its BAR; MSI-X is then withdrawn (present = false), a virtio capability marked not
 * valid. */
void pci_regions_check(struct pci_function *fn, struct pci_problems *problems);

#endif
