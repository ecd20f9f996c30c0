/*
 * A 16550 UART, enough for a guest to print: bytes written to the transmitter
 * are collected per line and printed as "[<vm name>] <line>"; the line status
 * always says "transmitter empty", so polling guests never wait; there is no
 * input. With an interrupt line connected (serial_connect_interrupt), the
 * "transmitter empty" interrupt works as drivers of an open port expect:
 * pending whenever it is enabled, cleared by reading the IIR or writing data. The divisor latch, IER, LCR, MCR and
 * scratch registers keep what is written (drivers read them back to probe the UART); only 1-byte accesses are accepted.
 */
#ifndef VMM_DEVICES_SERIAL_H
#define VMM_DEVICES_SERIAL_H

#include "console_lines.h"
#include "device_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_PORTS 8

struct serial {
    uint8_t divisor_low, divisor_high;
    uint8_t interrupt_enable;
    uint8_t line_control;
    uint8_t modem_control;
    uint8_t scratch;
    bool transmit_interrupt; /* THRE interrupt pending */
    void (*raise_interrupt)(void *context);
    void *interrupt_context;
    struct console_lines output;
};

/* Sets up serial (output lines as "guest: <line>"; the log service names the VM) and adds it at ports base..base+7. */
enum error serial_register(struct serial *serial, struct device_registry *registry, uint16_t base);

/* Connects the UART's interrupt output (the platform's IRQ 4 for COM1); without it, it raises none. */
void serial_connect_interrupt(struct serial *serial, void (*raise)(void *context), void *context);

/* Prints what the guest wrote after its last line end, if anything (when the VM ends). */
void serial_flush(struct serial *serial);

#endif
