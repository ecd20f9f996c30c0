/*
 * The PC's 8042 keyboard controller with a PS/2 keyboard on its keyboard port (ps2_keyboard.h) and nothing on an
 * AUX port: port 0x60 (data) and 0x64 (status and commands), ISA IRQ 1. What it is for: a guest that handles
 * Ctrl-Alt-Del shuts down when the VMM presses it (i8042_press_ctrl_alt_del), and the 8042's reset line
 * (pulse-reset) resets the machine, which stops the VM (power_control.h).
 *
 * Status (port 0x64): output buffer full (bit 0; the input buffer is always empty, bit 1: commands take effect at
 * once), the system flag (bit 2, the command byte's), last write was a command (bit 3), keyboard not locked (bit 4).
 * Controller commands: 0x20 read and 0x60 write the command byte (keyboard interrupt, system flag, keyboard
 * interface disabled, translation to set 1); 0xAA self test (0x55); 0xAB keyboard interface test (0x00); 0xAD and
 * 0xAE disable and enable the keyboard interface; 0xD0 and 0xD1 read and write the output port (bit 0 low: reset);
 * 0xF0-0xFF pulse output port bits low (bit 0: reset, so 0xFE is the pulse-reset). A controller's answer replaces
 * what the output buffer held. Anything else is ignored, in particular the AUX commands (0xA7-0xA9, 0xD3, 0xD4), as
 * on a controller without an AUX port: a data byte after them goes to the keyboard, which answers 0xFE, and Linux's
 * AUX probe (its loop test, then the interface test, each answered by that 0xFE) ends at once with "no AUX port".
 *
 * A data byte (port 0x60) is the argument of a controller command that waits for one, else a byte for the keyboard
 * (which also enables the keyboard interface, as the 8042's firmware does). The keyboard's bytes move into the
 * output buffer one at a time while its interface is enabled; IRQ 1 rises (an edge, to the PIC and the I/O APIC)
 * whenever a byte becomes readable with the keyboard interrupt enabled, so a guest takes one byte per interrupt.
 * Reading an empty output buffer returns its last byte again. Ports are byte-wide (the device registry refuses
 * other sizes); every byte value is handled. Pure C, host-tested.
 */
#ifndef VMM_X86_I8042_H
#define VMM_X86_I8042_H

#include "../../device_registry.h"
#include "power_control.h"
#include "ps2_keyboard.h"

#include <stdbool.h>
#include <stdint.h>

struct i8042 {
    uint8_t command_byte;    /* the controller's configuration (commands 0x20 and 0x60) */
    uint8_t output_port;     /* bit 0: reset line (active low), bit 1: A20 gate */
    uint8_t awaiting_data;   /* the controller command whose argument the next data byte is, or 0 */
    bool last_write_command; /* status bit 3: the last write went to port 0x64 */
    uint8_t output;          /* the output buffer (port 0x60) */
    bool output_full;
    bool interrupt_line; /* IRQ 1: output buffer full with the keyboard interrupt enabled */
    struct ps2_keyboard keyboard;
    struct power_control *power; /* where the reset line goes */
    void (*raise_interrupt)(void *context);
    void *interrupt_context;
};

/*
 * Sets up controller (as a PC's firmware leaves it: keyboard interrupt on, system flag set, translation on) and
 * adds its two ports. Resets go to power; raise(context) signals a rising edge on IRQ 1.
 */
enum error i8042_register(struct i8042 *controller, struct device_registry *registry, struct power_control *power,
                          void (*raise)(void *context), void *context);

/*
 * Presses Ctrl-Alt-Del on the keyboard: the make and break codes of Ctrl, Alt and Delete in the set the guest sees
 * (set 1 when the controller translates, Linux's default; else the keyboard's set). NULL, or why the keys could
 * not be queued (the keyboard does not scan, or the guest has not read what it sent before).
 */
const char *i8042_press_ctrl_alt_del(struct i8042 *controller);

#endif
