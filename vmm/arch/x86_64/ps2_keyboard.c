#include "ps2_keyboard.h"

#include <stddef.h>

enum {
    COMMAND_SET_LEDS = 0xed,
    COMMAND_ECHO = 0xee,
    COMMAND_SCAN_CODE_SET = 0xf0,
    COMMAND_IDENTIFY = 0xf2,
    COMMAND_TYPEMATIC = 0xf3,
    COMMAND_ENABLE = 0xf4,
    COMMAND_DISABLE = 0xf5,
    COMMAND_SET_DEFAULTS = 0xf6,
    COMMAND_ALL_KEYS_FIRST = 0xf7, /* set 3: every key typematic, make/break, make only, or all three */
    COMMAND_ALL_KEYS_LAST = 0xfa,
    COMMAND_RESEND = 0xfe,
    COMMAND_RESET = 0xff,
};

enum {
    REPLY_SELF_TEST_PASSED = 0xaa,
    REPLY_ECHO = 0xee,
    REPLY_ACK = 0xfa,
    REPLY_RESEND = 0xfe,
    IDENTITY_FIRST = 0xab, /* an MF2 keyboard */
    IDENTITY_SECOND = 0x83,
    IDENTITY_SECOND_TRANSLATED = 0x41,
};

#define ARGUMENT_LIMIT 0x80    /* argument bytes are below it; a byte from it up is a command */
#define LED_BITS 0x07          /* Scroll Lock, Num Lock, Caps Lock */
#define DEFAULT_TYPEMATIC 0x2b /* 10.9 characters per second, after 500 ms */
#define HIGHEST_SCAN_CODE_SET 3

/* Set numbers as a translating controller shows them (the set 1 codes of the set 2 codes 0x01, 0x02, 0x03). */
static const uint8_t translated_set_number[HIGHEST_SCAN_CODE_SET + 1] = {0, 0x43, 0x41, 0x3f};

/* Ctrl, Alt and Delete down, then Delete, Alt and Ctrl up; in set 1 a release is the code | 0x80, in sets 2 and 3
 * it is 0xF0 before the code; Delete is an extended (0xE0) key in sets 1 and 2. */
static const uint8_t ctrl_alt_del_set1[] = {0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d};
static const uint8_t ctrl_alt_del_set2[] = {0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14};
static const uint8_t ctrl_alt_del_set3[] = {0x11, 0x19, 0x64, 0xf0, 0x64, 0xf0, 0x19, 0xf0, 0x11};

/* Appends count bytes, all or none; false if they do not fit. */
static bool queue(struct ps2_keyboard *keyboard, const uint8_t *bytes, unsigned count)
{
    if (count > PS2_KEYBOARD_BUFFER_SIZE - keyboard->count) {
        return false;
    }
    for (unsigned i = 0; i < count; i++) {
        keyboard->buffer[(keyboard->head + keyboard->count) % PS2_KEYBOARD_BUFFER_SIZE] = bytes[i];
        keyboard->count++;
    }
    return true;
}

/* An answer to the host; with the buffer full it is lost, and the host's driver times out and asks again. */
static void reply(struct ps2_keyboard *keyboard, uint8_t byte)
{
    queue(keyboard, &byte, 1);
}

static void clear_buffer(struct ps2_keyboard *keyboard)
{
    keyboard->head = 0;
    keyboard->count = 0;
}

/* What the defaults commands and a reset restore; the caller decides about scanning. */
static void restore_defaults(struct ps2_keyboard *keyboard)
{
    clear_buffer(keyboard);
    keyboard->awaited_argument = 0;
    keyboard->scan_code_set = 2;
    keyboard->leds = 0;
    keyboard->typematic = DEFAULT_TYPEMATIC;
}

void ps2_keyboard_init(struct ps2_keyboard *keyboard)
{
    restore_defaults(keyboard);
    keyboard->scanning = true;
    keyboard->last_sent = REPLY_SELF_TEST_PASSED; /* what it sent at power-on */
}

static void argument(struct ps2_keyboard *keyboard, uint8_t command, uint8_t byte, bool translated)
{
    switch (command) {
    case COMMAND_SET_LEDS:
        keyboard->leds = byte & LED_BITS;
        reply(keyboard, REPLY_ACK);
        break;
    case COMMAND_TYPEMATIC:
        keyboard->typematic = byte;
        reply(keyboard, REPLY_ACK);
        break;
    default: /* COMMAND_SCAN_CODE_SET: 0 asks which set, 1-3 select one */
        if (byte > HIGHEST_SCAN_CODE_SET) {
            reply(keyboard, REPLY_RESEND);
        } else if (byte == 0) {
            const uint8_t set = keyboard->scan_code_set;
            const uint8_t answer[] = {REPLY_ACK, translated ? translated_set_number[set] : set};
            queue(keyboard, answer, sizeof(answer));
        } else {
            keyboard->scan_code_set = byte;
            reply(keyboard, REPLY_ACK);
        }
        break;
    }
}

static void command(struct ps2_keyboard *keyboard, uint8_t byte, bool translated)
{
    switch (byte) {
    case COMMAND_SET_LEDS:
    case COMMAND_SCAN_CODE_SET:
    case COMMAND_TYPEMATIC:
        keyboard->awaited_argument = byte;
        reply(keyboard, REPLY_ACK);
        break;
    case COMMAND_ECHO:
        reply(keyboard, REPLY_ECHO);
        break;
    case COMMAND_IDENTIFY: {
        const uint8_t answer[] = {REPLY_ACK, IDENTITY_FIRST, translated ? IDENTITY_SECOND_TRANSLATED : IDENTITY_SECOND};
        queue(keyboard, answer, sizeof(answer));
        break;
    }
    case COMMAND_ENABLE:
        clear_buffer(keyboard);
        keyboard->scanning = true;
        reply(keyboard, REPLY_ACK);
        break;
    case COMMAND_DISABLE:
    case COMMAND_SET_DEFAULTS:
        restore_defaults(keyboard);
        keyboard->scanning = byte == COMMAND_SET_DEFAULTS;
        reply(keyboard, REPLY_ACK);
        break;
    case COMMAND_RESEND:
        reply(keyboard, keyboard->last_sent);
        break;
    case COMMAND_RESET: {
        restore_defaults(keyboard);
        keyboard->scanning = true;
        const uint8_t answer[] = {REPLY_ACK, REPLY_SELF_TEST_PASSED};
        queue(keyboard, answer, sizeof(answer));
        break;
    }
    default:
        reply(keyboard, byte >= COMMAND_ALL_KEYS_FIRST && byte <= COMMAND_ALL_KEYS_LAST ? REPLY_ACK : REPLY_RESEND);
        break;
    }
}

void ps2_keyboard_receive(struct ps2_keyboard *keyboard, uint8_t byte, bool translated)
{
    uint8_t awaited = keyboard->awaited_argument;
    keyboard->awaited_argument = 0;
    if (awaited && byte < ARGUMENT_LIMIT) {
        argument(keyboard, awaited, byte, translated);
    } else {
        command(keyboard, byte, translated);
    }
}

bool ps2_keyboard_send(struct ps2_keyboard *keyboard, uint8_t *byte)
{
    if (keyboard->count == 0) {
        return false;
    }
    *byte = keyboard->buffer[keyboard->head];
    keyboard->head = (keyboard->head + 1) % PS2_KEYBOARD_BUFFER_SIZE;
    keyboard->count--;
    keyboard->last_sent = *byte;
    return true;
}

const char *ps2_keyboard_press_ctrl_alt_del(struct ps2_keyboard *keyboard, bool translated)
{
    if (!keyboard->scanning) {
        return "the guest's keyboard driver has turned the keyboard's scanning off";
    }
    unsigned set = translated ? 1 : keyboard->scan_code_set;
    const uint8_t *codes = set == 1 ? ctrl_alt_del_set1 : set == 2 ? ctrl_alt_del_set2 : ctrl_alt_del_set3;
    unsigned count = set == 1   ? sizeof(ctrl_alt_del_set1)
                     : set == 2 ? sizeof(ctrl_alt_del_set2)
                                : sizeof(ctrl_alt_del_set3);
    /* Presses do not pile up unread: Linux takes a controller whose 16 bytes do not run dry at its first flush for
     * none at all, and repeated requests must not make that happen before its driver starts. */
    if (keyboard->count > 0) {
        return "the guest has not read what the keyboard sent before (the keys pressed before, or answers)";
    }
    queue(keyboard, codes, count); /* any of the sequences fits into the empty buffer */
    return NULL;
}
