#include "power_control.h"

#include "../../boot/acpi_tables.h"

#define RESET_CONTROL_SYSTEM_RESET 0x02 /* full reset rather than CPU only: the same for a VM */
#define RESET_CONTROL_RESET_CPU 0x04
#define SLEEP_TYPE_MASK 0x7u

void power_control_request(struct power_control *control, const char *what)
{
    if (!control->request) {
        control->request = what;
    }
}

static const char *reset_register_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)offset, (void)size;
    const struct power_control *control = context;
    *value = control->register_cf9;
    return NULL;
}

static const char *reset_register_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset, (void)size;
    struct power_control *control = context;
    control->register_cf9 = (uint8_t)(value & RESET_CONTROL_SYSTEM_RESET);
    if (value & RESET_CONTROL_RESET_CPU) {
        power_control_request(control, "reset the machine through the reset control register (port 0xcf9)");
    }
    return NULL;
}

/* Offset 0: sleep control; offset 1: sleep status (no wake events, so it reads 0 and ignores its clear). */
static const char *sleep_registers_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)context, (void)offset, (void)size;
    *value = 0;
    return NULL;
}

static const char *sleep_registers_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)size;
    if (offset != 0 || !(value & ACPI_SLEEP_CONTROL_ENABLE)) {
        return NULL;
    }
    unsigned sleep_type = (unsigned)(value >> ACPI_SLEEP_CONTROL_TYPE_SHIFT) & SLEEP_TYPE_MASK;
    if (sleep_type != ACPI_SLEEP_TYPE_S5) {
        return "only the power-off sleep type (\\_S5) is offered";
    }
    power_control_request(context, "powered off (ACPI sleep control register)");
    return NULL;
}

enum error power_control_register(struct power_control *control, struct device_registry *registry)
{
    *control = (struct power_control){0};
    const struct device devices[] = {
        {
            .name = "reset control register",
            .space = DEVICE_SPACE_PORT,
            .base = ACPI_RESET_PORT,
            .size = 1,
            .access_sizes = 1,
            .read = reset_register_read,
            .write = reset_register_write,
            .context = control,
        },
        {
            .name = "ACPI sleep registers",
            .space = DEVICE_SPACE_PORT,
            .base = ACPI_SLEEP_CONTROL_PORT,
            .size = ACPI_SLEEP_STATUS_PORT - ACPI_SLEEP_CONTROL_PORT + 1,
            .access_sizes = 1,
            .read = sleep_registers_read,
            .write = sleep_registers_write,
            .context = control,
        },
    };
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
        enum error error = device_registry_add(registry, &devices[i]);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}
