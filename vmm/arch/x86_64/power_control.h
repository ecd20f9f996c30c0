/*
 * How a PC guest asks to power off or reset: the ACPI hardware-reduced sleep
 * control register (SLP_EN with \_S5's sleep type) and reset register that the
 * uvmm's FADT names, and, without ACPI, the 8042 keyboard controller's
 * pulse-reset command (port 0x64) and the reset control register (0xCF9, also
 * the ACPI reset register). A Kapsel VM neither sleeps nor reboots in place:
 * the request is recorded and the VMM stops the VM with it as the reason (as
 * Firecracker does). Port 0x64 reads 0xFF, as an absent controller would, so
 * Linux's i8042 probe finds none. Pure C, unit-tested on the host.
 */
#ifndef VMM_X86_POWER_CONTROL_H
#define VMM_X86_POWER_CONTROL_H

#include "device_registry.h"

#include <stdint.h>

struct power_control {
    uint8_t register_cf9; /* what the guest last wrote to 0xCF9, without the self-clearing reset bit */
    const char *request;  /* what the guest asked for and how ("reset the machine through ..."), or NULL */
};

enum error power_control_register(struct power_control *control, struct device_registry *registry);

#endif
