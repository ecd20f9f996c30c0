/*
 * x86 port I/O as an interface, so that code driving ports (the legacy PCI
 * configuration mechanism) is tested on the host against fake ports. In a
 * Micro-App, x86_port_io.h supplies the real in/out instructions; the task
 * must have been granted the ports (io_ports_grant), or the first access
 * stops it with #GP.
 */
#ifndef DRIVERS_PCI_PORT_IO_H
#define DRIVERS_PCI_PORT_IO_H

#include <stdint.h>

struct port_io {
    /* Reads width (1, 2 or 4) bytes from port; the value is in the low width bytes. */
    uint32_t (*in)(void *context, uint16_t port, unsigned width);
    /* Writes the low width (1, 2 or 4) bytes of value to port. */
    void (*out)(void *context, uint16_t port, unsigned width, uint32_t value);
    void *context;
};

#endif
