#include "pci_legacy.h"

#define DWORD_MASK 0xfcu

uint32_t pci_legacy_address(struct pci_address address, uint16_t offset)
{
    return PCI_LEGACY_ENABLE | (uint32_t)address.bus << 16 | (uint32_t)(address.device & 0x1f) << 11 |
           (uint32_t)(address.function & 0x7) << 8 | (offset & DWORD_MASK);
}

bool pci_legacy_present(const struct port_io *ports)
{
    uint32_t old = ports->in(ports->context, PCI_LEGACY_ADDRESS_PORT, 4);
    ports->out(ports->context, PCI_LEGACY_ADDRESS_PORT, 4, PCI_LEGACY_ENABLE);
    bool present = ports->in(ports->context, PCI_LEGACY_ADDRESS_PORT, 4) == PCI_LEGACY_ENABLE;
    ports->out(ports->context, PCI_LEGACY_ADDRESS_PORT, 4, old);
    return present;
}

static enum error legacy_read(void *context, struct pci_address address, uint16_t offset, unsigned width,
                              uint32_t *value)
{
    const struct port_io *ports = &((struct pci_legacy *)context)->ports;
    if (offset >= PCI_CONFIG_SIZE) {
        return ERROR_OUT_OF_RANGE;
    }
    ports->out(ports->context, PCI_LEGACY_ADDRESS_PORT, 4, pci_legacy_address(address, offset));
    *value = ports->in(ports->context, (uint16_t)(PCI_LEGACY_DATA_PORT + (offset & 3u)), width);
    return ERROR_NONE;
}

static enum error legacy_write(void *context, struct pci_address address, uint16_t offset, unsigned width,
                               uint32_t value)
{
    const struct port_io *ports = &((struct pci_legacy *)context)->ports;
    if (offset >= PCI_CONFIG_SIZE) {
        return ERROR_OUT_OF_RANGE;
    }
    ports->out(ports->context, PCI_LEGACY_ADDRESS_PORT, 4, pci_legacy_address(address, offset));
    ports->out(ports->context, (uint16_t)(PCI_LEGACY_DATA_PORT + (offset & 3u)), width, value);
    return ERROR_NONE;
}

static const struct pci_config_ops legacy_ops = {
    .read = legacy_read,
    .write = legacy_write,
};

struct pci_config pci_legacy_config(struct pci_legacy *legacy)
{
    return (struct pci_config){.ops = &legacy_ops, .context = legacy, .size = PCI_CONFIG_SIZE};
}
