#include "pci_ecam.h"

#include <stddef.h>

/* The function's configuration space, its bus mapped first; NULL with *error set if that cannot be. */
static volatile uint8_t *function_space(struct pci_ecam *ecam, struct pci_address address, enum error *error)
{
    if (address.bus < ecam->first_bus || address.bus > ecam->last_bus) {
        *error = ERROR_NOT_FOUND;
        return NULL;
    }
    uint8_t *bus_space = ecam->window + ((uint64_t)(address.bus - ecam->first_bus) << PCI_ECAM_BUS_SHIFT);
    uint64_t bit = 1ull << (address.bus % 64);
    if (!(ecam->mapped[address.bus / 64] & bit)) {
        *error = ecam->map_bus(ecam->map_context, address.bus, bus_space);
        if (*error != ERROR_NONE) {
            return NULL;
        }
        ecam->mapped[address.bus / 64] |= bit;
    }
    *error = ERROR_NONE;
    return bus_space + ((uint32_t)address.device << 15 | (uint32_t)address.function << 12);
}

/* Exactly one access of width bytes: a device may act on the width of a configuration access. */
static enum error ecam_read(void *context, struct pci_address address, uint16_t offset, unsigned width, uint32_t *value)
{
    enum error error;
    volatile uint8_t *space = function_space(context, address, &error);
    if (!space) {
        return error;
    }
    if (width == 1) {
        *value = space[offset];
    } else if (width == 2) {
        *value = *(volatile uint16_t *)(space + offset);
    } else {
        *value = *(volatile uint32_t *)(space + offset);
    }
    return ERROR_NONE;
}

static enum error ecam_write(void *context, struct pci_address address, uint16_t offset, unsigned width, uint32_t value)
{
    enum error error;
    volatile uint8_t *space = function_space(context, address, &error);
    if (!space) {
        return error;
    }
    if (width == 1) {
        space[offset] = (uint8_t)value;
    } else if (width == 2) {
        *(volatile uint16_t *)(space + offset) = (uint16_t)value;
    } else {
        *(volatile uint32_t *)(space + offset) = value;
    }
    return ERROR_NONE;
}

static const struct pci_config_ops ecam_ops = {
    .read = ecam_read,
    .write = ecam_write,
};

struct pci_config pci_ecam_config(struct pci_ecam *ecam)
{
    return (struct pci_config){.ops = &ecam_ops, .context = ecam, .size = PCI_CONFIG_EXTENDED_SIZE};
}
