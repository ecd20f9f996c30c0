/*
 * The real x86 in/out instructions behind struct port_io, for a Micro-App
 * that has been granted its ports (io_ports_grant): an access to a port not
 * granted raises #GP, and the root task stops the app.
 */
#ifndef DRIVERS_PCI_X86_PORT_IO_H
#define DRIVERS_PCI_X86_PORT_IO_H

#include "port_io.h"

/* Port I/O through in/out instructions (no context). */
struct port_io x86_port_io(void);

#endif
