/*
 * pci_bus as the NIC driver's supervisor (--assign <vendor>:<device>=<driver image> --restart): it launches the
 * driver itself through the launch service (kapsel/launcher.h, spec: driver_spec.h), supplies its uplink region and
 * attaches it to the switch as a runtime uplink port (kapsel/switch_control.h, pci_bus being the switch's --control
 * app), hands it the device through its control gate (pci_handoff.h) and serves its log. When the driver ends, however
 * it ends, pci_bus detaches the port, quiesces the device (MSI-X and bus mastering off, a virtio reset: no DMA into
 * the freed region or the driver's DMA memory) and launches a fresh driver with a fresh region and port, as
 * driver_restart.h allows. The switch and its other ports are untouched throughout.
 */
#ifndef DRIVERS_PCI_PCI_SUPERVISE_H
#define DRIVERS_PCI_PCI_SUPERVISE_H

#include "pci_config.h"
#include "pci_function.h"

#include <stdint.h>

struct pci_supervision {
    const char *image;      /* the driver's image, a file of the boot archive */
    uint32_t network;       /* the uplink's network until the switch's uplink policy says otherwise */
    uint64_t kill_after_ms; /* test hook: LAUNCH_STOP the first driver this long after its hand-over (0: never) */
    unsigned max_restarts;
};

/* Supervises the driver of fn until it may not be restarted again; why it stopped. */
const char *pci_supervise(const struct pci_config *config, const struct pci_function *fn,
                          const struct pci_supervision *supervision);

#endif
