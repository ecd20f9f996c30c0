#include "i8042.h"

#include "../../boot/acpi_tables.h"

enum {
    STATUS_OUTPUT_FULL = 0x01,
    STATUS_SYSTEM_FLAG = 0x04,
    STATUS_LAST_WRITE_COMMAND = 0x08,
    STATUS_NOT_LOCKED = 0x10,
};

enum {
    COMMAND_BYTE_KEYBOARD_INTERRUPT = 0x01,
    COMMAND_BYTE_SYSTEM_FLAG = 0x04,
    COMMAND_BYTE_KEYBOARD_DISABLED = 0x10,
    COMMAND_BYTE_TRANSLATE = 0x40,
    COMMAND_BYTE_RESERVED = 0x80, /* always 0 */
};

enum {
    CONTROLLER_READ_COMMAND_BYTE = 0x20,
    CONTROLLER_WRITE_COMMAND_BYTE = 0x60,
    CONTROLLER_SELF_TEST = 0xaa,
    CONTROLLER_KEYBOARD_INTERFACE_TEST = 0xab,
    CONTROLLER_DISABLE_KEYBOARD = 0xad,
    CONTROLLER_ENABLE_KEYBOARD = 0xae,
    CONTROLLER_READ_OUTPUT_PORT = 0xd0,
    CONTROLLER_WRITE_OUTPUT_PORT = 0xd1,
    CONTROLLER_PULSE_FIRST = 0xf0, /* 0xF0-0xFF: pulse the output port bits whose command bits are 0 */
};

#define SELF_TEST_PASSED 0x55
#define INTERFACE_TEST_PASSED 0x00
#define OUTPUT_PORT_RESET 0x01 /* active low: the CPU runs while it is 1 */
#define OUTPUT_PORT_A20 0x02
/* As a PC's firmware leaves the controller: keyboard interrupt, POST passed, translation to set 1. */
#define INITIAL_COMMAND_BYTE (COMMAND_BYTE_KEYBOARD_INTERRUPT | COMMAND_BYTE_SYSTEM_FLAG | COMMAND_BYTE_TRANSLATE)

static bool translating(const struct i8042 *controller)
{
    return controller->command_byte & COMMAND_BYTE_TRANSLATE;
}

/* IRQ 1 is "output buffer full and keyboard interrupt enabled"; the PIC and the I/O APIC see its rising edges. */
static void set_interrupt_line(struct i8042 *controller)
{
    bool line = controller->output_full && (controller->command_byte & COMMAND_BYTE_KEYBOARD_INTERRUPT);
    if (line && !controller->interrupt_line) {
        controller->raise_interrupt(controller->interrupt_context);
    }
    controller->interrupt_line = line;
}

/*
 * Runs after every change: the line follows it, then the keyboard's next byte moves into an empty output buffer while
 * its interface is enabled (after a read the line drops first, so that each byte is an edge of its own).
 */
static void update(struct i8042 *controller)
{
    set_interrupt_line(controller);
    if (!controller->output_full && !(controller->command_byte & COMMAND_BYTE_KEYBOARD_DISABLED)) {
        controller->output_full = ps2_keyboard_send(&controller->keyboard, &controller->output);
        set_interrupt_line(controller);
    }
}

static void answer(struct i8042 *controller, uint8_t byte)
{
    controller->output = byte;
    controller->output_full = true;
}

static void write_output_port(struct i8042 *controller, uint8_t value)
{
    controller->output_port = value;
    if (!(value & OUTPUT_PORT_RESET)) {
        power_control_request(controller->power, "reset the machine through the keyboard controller's output port");
    }
}

static void controller_command(struct i8042 *controller, uint8_t command)
{
    controller->awaiting_data = 0; /* a new command abandons one still waiting for its data byte */
    switch (command) {
    case CONTROLLER_READ_COMMAND_BYTE:
        answer(controller, controller->command_byte);
        break;
    case CONTROLLER_WRITE_COMMAND_BYTE:
    case CONTROLLER_WRITE_OUTPUT_PORT:
        controller->awaiting_data = command;
        break;
    case CONTROLLER_SELF_TEST:
        answer(controller, SELF_TEST_PASSED);
        break;
    case CONTROLLER_KEYBOARD_INTERFACE_TEST:
        answer(controller, INTERFACE_TEST_PASSED);
        break;
    case CONTROLLER_DISABLE_KEYBOARD:
        controller->command_byte |= COMMAND_BYTE_KEYBOARD_DISABLED;
        break;
    case CONTROLLER_ENABLE_KEYBOARD:
        controller->command_byte &= (uint8_t)~COMMAND_BYTE_KEYBOARD_DISABLED;
        break;
    case CONTROLLER_READ_OUTPUT_PORT:
        answer(controller, controller->output_port);
        break;
    default:
        if (command >= CONTROLLER_PULSE_FIRST && !(command & OUTPUT_PORT_RESET)) {
            power_control_request(controller->power,
                                  "reset the machine through the keyboard controller's pulse-reset command");
        }
        break; /* the other pulses touch no line that matters; AUX and unknown commands: no such function */
    }
}

static void data_byte(struct i8042 *controller, uint8_t byte)
{
    uint8_t command = controller->awaiting_data;
    controller->awaiting_data = 0;
    if (command == CONTROLLER_WRITE_COMMAND_BYTE) {
        controller->command_byte = byte & (uint8_t)~COMMAND_BYTE_RESERVED;
    } else if (command == CONTROLLER_WRITE_OUTPUT_PORT) {
        write_output_port(controller, byte);
    } else {
        controller->command_byte &= (uint8_t)~COMMAND_BYTE_KEYBOARD_DISABLED;
        ps2_keyboard_receive(&controller->keyboard, byte, translating(controller));
    }
}

static const char *data_port_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)offset, (void)size; /* one port; the registry admits 1-byte accesses only */
    struct i8042 *controller = context;
    *value = controller->output;
    controller->output_full = false;
    update(controller);
    return NULL;
}

static const char *data_port_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset, (void)size;
    struct i8042 *controller = context;
    controller->last_write_command = false;
    data_byte(controller, (uint8_t)value);
    update(controller);
    return NULL;
}

static const char *status_port_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)offset, (void)size;
    const struct i8042 *controller = context;
    *value = STATUS_NOT_LOCKED | (controller->output_full ? STATUS_OUTPUT_FULL : 0) |
             ((controller->command_byte & COMMAND_BYTE_SYSTEM_FLAG) ? STATUS_SYSTEM_FLAG : 0) |
             (controller->last_write_command ? STATUS_LAST_WRITE_COMMAND : 0);
    return NULL;
}

static const char *command_port_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset, (void)size;
    struct i8042 *controller = context;
    controller->last_write_command = true;
    controller_command(controller, (uint8_t)value);
    update(controller);
    return NULL;
}

enum error i8042_register(struct i8042 *controller, struct device_registry *registry, struct power_control *power,
                          void (*raise)(void *context), void *context)
{
    *controller = (struct i8042){
        .command_byte = INITIAL_COMMAND_BYTE,
        .output_port = OUTPUT_PORT_RESET | OUTPUT_PORT_A20,
        .power = power,
        .raise_interrupt = raise,
        .interrupt_context = context,
    };
    ps2_keyboard_init(&controller->keyboard);
    const struct device ports[] = {
        {"8042 data port", DEVICE_SPACE_PORT, ACPI_KEYBOARD_DATA_PORT, 1, 1, data_port_read, data_port_write,
         controller},
        {"8042 status and command port", DEVICE_SPACE_PORT, ACPI_KEYBOARD_COMMAND_PORT, 1, 1, status_port_read,
         command_port_write, controller},
    };
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        enum error error = device_registry_add(registry, &ports[i]);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}

const char *i8042_press_ctrl_alt_del(struct i8042 *controller)
{
    const char *refused = ps2_keyboard_press_ctrl_alt_del(&controller->keyboard, translating(controller));
    update(controller);
    return refused;
}
