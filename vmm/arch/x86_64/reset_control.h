/*
 * The two ways a PC guest without ACPI resets the machine: the pulse-reset
 * command (0xFE) to the 8042 keyboard controller's command port 0x64, and the
 * CPU-reset bit of the reset control register at port 0xCF9. A Kapsel VM does
 * not reboot in place: the request is recorded and the VMM stops the VM with
 * it as the reason (as Firecracker does). Reads of port 0x64 answer 0xFF, as
 * an absent controller would, so Linux's i8042 probe finds none. Pure C,
 * unit-tested on the host.
 */
#ifndef VMM_X86_RESET_CONTROL_H
#define VMM_X86_RESET_CONTROL_H

#include "device_registry.h"

#include <stdint.h>

struct reset_control {
    uint8_t register_cf9;  /* what the guest last wrote to 0xCF9, without the self-clearing reset bit */
    const char *requested; /* how the guest asked for a reset, or NULL */
};

enum error reset_control_register(struct reset_control *control, struct device_registry *registry);

#endif
