/*
 * When pci_bus restarts the NIC driver it supervises (--restart): at most max_restarts times, each after a backoff
 * that doubles from first_backoff_ms up to max_backoff_ms, so a driver that dies at once does not spin the CPU that
 * the switch and the VMs share, and one that keeps dying is given up on with a reason. Pure, host-tested.
 */
#ifndef DRIVERS_PCI_DRIVER_RESTART_H
#define DRIVERS_PCI_DRIVER_RESTART_H

#include <stdbool.h>
#include <stdint.h>

struct driver_restart_policy {
    unsigned max_restarts;
    uint64_t first_backoff_ms;
    uint64_t max_backoff_ms;
    unsigned restarts; /* done so far */
};

/* A policy with no restarts done yet. */
struct driver_restart_policy driver_restart_policy(unsigned max_restarts, uint64_t first_backoff_ms,
                                                   uint64_t max_backoff_ms);

/* Counts one more restart and sets *backoff_ms to the wait before it; false (nothing counted) when none is left. */
bool driver_restart_next(struct driver_restart_policy *policy, uint64_t *backoff_ms);

#endif
