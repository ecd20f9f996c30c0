#include "reset_control.h"

#define KEYBOARD_CONTROLLER_COMMAND 0x64
#define KEYBOARD_PULSE_RESET 0xfe
#define RESET_CONTROL_PORT 0xcf9
#define RESET_CONTROL_SYSTEM_RESET 0x02 /* full reset rather than CPU only: the same for a VM */
#define RESET_CONTROL_RESET_CPU 0x04

static const char *keyboard_controller_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)context, (void)offset, (void)size;
    *value = 0xff;
    return NULL;
}

static const char *keyboard_controller_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset, (void)size;
    struct reset_control *control = context;
    if (value == KEYBOARD_PULSE_RESET && !control->requested) {
        control->requested = "the keyboard controller's pulse-reset command";
    }
    return NULL; /* other commands go to a controller that is not there */
}

static const char *reset_register_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)offset, (void)size;
    const struct reset_control *control = context;
    *value = control->register_cf9;
    return NULL;
}

static const char *reset_register_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset, (void)size;
    struct reset_control *control = context;
    control->register_cf9 = (uint8_t)(value & RESET_CONTROL_SYSTEM_RESET);
    if ((value & RESET_CONTROL_RESET_CPU) && !control->requested) {
        control->requested = "the reset control register (port 0xcf9)";
    }
    return NULL;
}

enum error reset_control_register(struct reset_control *control, struct device_registry *registry)
{
    *control = (struct reset_control){0};
    const struct device keyboard = {
        .name = "8042 command port",
        .space = DEVICE_SPACE_PORT,
        .base = KEYBOARD_CONTROLLER_COMMAND,
        .size = 1,
        .access_sizes = 1,
        .read = keyboard_controller_read,
        .write = keyboard_controller_write,
        .context = control,
    };
    const struct device reset = {
        .name = "reset control register",
        .space = DEVICE_SPACE_PORT,
        .base = RESET_CONTROL_PORT,
        .size = 1,
        .access_sizes = 1,
        .read = reset_register_read,
        .write = reset_register_write,
        .context = control,
    };
    enum error error = device_registry_add(registry, &keyboard);
    return error != ERROR_NONE ? error : device_registry_add(registry, &reset);
}
