/*
 * The PCI bus app's log lines about a function, made here (pure C) so that
 * their form is tested on the host. Every line stays well below the log
 * service's 256-byte line (roottask/log_service.h): one summary line per
 * function, then one per implemented BAR and one per virtio capability.
 */
#ifndef DRIVERS_PCI_PCI_DESCRIBE_H
#define DRIVERS_PCI_PCI_DESCRIBE_H

#include "pci_function.h"

#include <stddef.h>
#include <stdint.h>

/* Enough for any line below (the longest summary is about 230 bytes), and with "pci " in front still one log line. */
#define PCI_DESCRIBE_LINE_SIZE 240

/*
 * "00:02.0 1af4:1041 class 02.00.00 virtio-net, pin A line 11, MSI-X 3 vectors
 * (table BAR1 +0x0, PBA BAR1 +0x800)": IDs, class, name, then what applies of
 * multi-function, bridge buses, interrupt pin and line, MSI, MSI-X, problems.
 */
void pci_describe_function(const struct pci_function *fn, char *line, size_t size);

/* "00:02.0   BAR4 mem64 prefetchable 0xfe000000 16 KiB"; false (line empty) for a slot with nothing to say. */
bool pci_describe_bar(const struct pci_function *fn, unsigned index, char *line, size_t size);

/* "00:02.0   virtio notify BAR4 +0x3000 4 KiB, multiplier 4" for fn->virtio[index]. */
void pci_describe_virtio(const struct pci_function *fn, size_t index, char *line, size_t size);

/* A size as people write it: "16 KiB", "1 MiB", "32 B", "0x1800 B" when not a whole unit. */
void pci_describe_size(uint64_t bytes, char *text, size_t size);

#endif
