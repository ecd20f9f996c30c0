/*
 * Base address registers: sizing them (write all ones, read back, restore,
 * with the function's I/O and memory decoding off meanwhile) and decoding
 * what they say: I/O, 32- or 64-bit memory, prefetchable, address and size.
 * A BAR whose reads make no sense is reported and marked PCI_BAR_INVALID.
 */
#ifndef DRIVERS_PCI_PCI_BAR_H
#define DRIVERS_PCI_PCI_BAR_H

#include "pci_config.h"
#include "pci_function.h"
#include "pci_problem.h"

#include <stddef.h>
#include <stdint.h>

/* What sizing one BAR read: its dword before and after all ones were written (and the next one's, for 64 bits). */
struct pci_bar_reading {
    uint32_t original;
    uint32_t readback;
    uint32_t upper_original; /* a 64-bit memory BAR only */
    uint32_t upper_readback;
};

/*
 * Decodes one BAR from its reading (64 bits if original says so). Returns
 * PCI_PROBLEM_NONE, or the kind of problem with *bar marked PCI_BAR_INVALID
 * and a phrase in why (e.g. "size read 0xff00ff00 is not a mask").
 */
enum pci_problem_kind pci_bar_decode(const struct pci_bar_reading *reading, struct pci_bar *bar, char *why,
                                     size_t why_size);

/*
 * Sizes and decodes fn's fn->bar_count BARs (fn->address, class and command
 * already read). Decoding is switched off in the command register during
 * sizing and switched back after, except on a host bridge (as Linux does:
 * some chipsets misbehave when their host bridge stops decoding); every BAR
 * gets its old value back. Problems go to problems and fn->problems.
 */
void pci_bars_probe(const struct pci_config *config, struct pci_function *fn, struct pci_problems *problems);

#endif
