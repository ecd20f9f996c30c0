/*
 * How a PC guest asks to power off or reset: the ACPI hardware-reduced sleep
 * control register (SLP_EN with \_S5's sleep type) and reset register that the
 * uvmm's FADT names, the reset control register (0xCF9, also the ACPI reset
 * register) and, without ACPI, the 8042 keyboard controller's reset line
 * (i8042.h, which reports it here). A Kapsel VM neither sleeps nor reboots in
 * place: the request is recorded and the VMM stops the VM with it as the
 * reason (as Firecracker does). Pure C, unit-tested on the host.
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

/* Records what the guest asked for ("reset the machine through ..."), unless an earlier request is recorded. */
void power_control_request(struct power_control *control, const char *what);

#endif
