#include "pci_config.h"

#include <stddef.h>

bool pci_address_valid(struct pci_address address)
{
    return address.device < PCI_DEVICES_PER_BUS && address.function < PCI_FUNCTIONS_PER_DEVICE;
}

static enum error check(const struct pci_config *config, struct pci_address address, uint16_t offset, unsigned width)
{
    if (!config || !config->ops || !pci_address_valid(address) || offset % width != 0) {
        return ERROR_INVALID_ARGUMENT;
    }
    if ((uint32_t)offset + width > config->size) {
        return ERROR_OUT_OF_RANGE;
    }
    return ERROR_NONE;
}

static enum error checked_read(const struct pci_config *config, struct pci_address address, uint16_t offset,
                               unsigned width, uint32_t *value)
{
    uint32_t mask = width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    enum error error = check(config, address, offset, width);
    if (error == ERROR_NONE) {
        error = config->ops->read(config->context, address, offset, width, value);
    }
    *value = error == ERROR_NONE ? *value & mask : mask;
    return error;
}

static enum error checked_write(const struct pci_config *config, struct pci_address address, uint16_t offset,
                                unsigned width, uint32_t value)
{
    enum error error = check(config, address, offset, width);
    return error == ERROR_NONE ? config->ops->write(config->context, address, offset, width, value) : error;
}

enum error pci_config_read8(const struct pci_config *config, struct pci_address address, uint16_t offset,
                            uint8_t *value)
{
    uint32_t wide;
    enum error error = checked_read(config, address, offset, 1, &wide);
    *value = (uint8_t)wide;
    return error;
}

enum error pci_config_read16(const struct pci_config *config, struct pci_address address, uint16_t offset,
                             uint16_t *value)
{
    uint32_t wide;
    enum error error = checked_read(config, address, offset, 2, &wide);
    *value = (uint16_t)wide;
    return error;
}

enum error pci_config_read32(const struct pci_config *config, struct pci_address address, uint16_t offset,
                             uint32_t *value)
{
    return checked_read(config, address, offset, 4, value);
}

enum error pci_config_write8(const struct pci_config *config, struct pci_address address, uint16_t offset,
                             uint8_t value)
{
    return checked_write(config, address, offset, 1, value);
}

enum error pci_config_write16(const struct pci_config *config, struct pci_address address, uint16_t offset,
                              uint16_t value)
{
    return checked_write(config, address, offset, 2, value);
}

enum error pci_config_write32(const struct pci_config *config, struct pci_address address, uint16_t offset,
                              uint32_t value)
{
    return checked_write(config, address, offset, 4, value);
}
