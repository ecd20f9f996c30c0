/*
 * A PS/2 keyboard as the 8042 keyboard controller (i8042.h) sees it at the far end of its keyboard port: bytes from
 * the host are commands (and their argument bytes), and the keyboard answers through its own buffer, which the
 * controller empties one byte at a time. No key is ever pressed but the ones the VMM presses for the guest's user
 * (Ctrl-Alt-Del, to ask the guest to shut down).
 *
 * Commands: 0xED set LEDs + argument, 0xEE echo, 0xF0 scan code set + argument (0 reports the set, 1-3 select one),
 * 0xF2 identify (0xAB 0x83), 0xF3 typematic rate + argument, 0xF4 enable scanning, 0xF5 disable scanning (and
 * restore the defaults), 0xF6 restore the defaults, 0xF7-0xFA set all keys' types (set 3; keys stay make/break),
 * 0xFE resend the last byte, 0xFF reset (0xFA, then 0xAA: self test passed). Each is acknowledged with 0xFA, as is
 * each argument; anything else (0xFB-0xFD, which take key lists, an unknown byte, a scan code set beyond 3) is
 * answered with 0xFE ("resend"), as real keyboards do. An argument byte with bit 7 set is a new command instead.
 *
 * Behind a translating controller (its command byte's translation bit, which Linux leaves on) the host sees set 1
 * whatever the keyboard's set: the bytes that differ in translation (the identity's 0x83, the set number, scan
 * codes) are produced translated, rather than translated afterwards through the 8042's table. Pure C, host-tested.
 */
#ifndef VMM_X86_PS2_KEYBOARD_H
#define VMM_X86_PS2_KEYBOARD_H

#include <stdbool.h>
#include <stdint.h>

#define PS2_KEYBOARD_BUFFER_SIZE 16 /* bytes, as in a real keyboard */

struct ps2_keyboard {
    uint8_t buffer[PS2_KEYBOARD_BUFFER_SIZE]; /* what it has yet to send, oldest at head */
    unsigned head, count;
    uint8_t awaited_argument; /* the command (0xED, 0xF0, 0xF3) whose argument byte comes next, or 0 */
    uint8_t scan_code_set;    /* 1, 2 or 3 */
    bool scanning;            /* keys are reported */
    uint8_t leds;             /* bit 0 Scroll Lock, 1 Num Lock, 2 Caps Lock */
    uint8_t typematic;        /* rate and delay, as the host set them */
    uint8_t last_sent;        /* for the resend command */
};

/* The keyboard at power-on: set 2, scanning, LEDs off, nothing to send. */
void ps2_keyboard_init(struct ps2_keyboard *keyboard);

/* A byte from the host (a command or an argument); the answer goes into the keyboard's buffer. */
void ps2_keyboard_receive(struct ps2_keyboard *keyboard, uint8_t byte, bool translated);

/* Takes the next byte the keyboard sends into *byte; false if it has none. */
bool ps2_keyboard_send(struct ps2_keyboard *keyboard, uint8_t *byte);

/*
 * Presses and releases Ctrl, Alt and Delete (Ctrl and Alt held while Delete goes down and up) in the keyboard's scan
 * code set, or set 1 when translated. NULL, or why the keys were not queued (nothing is, then): scanning disabled,
 * or the buffer still holds bytes the host has not taken.
 */
const char *ps2_keyboard_press_ctrl_alt_del(struct ps2_keyboard *keyboard, bool translated);

#endif
