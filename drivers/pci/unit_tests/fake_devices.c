#include "fake_devices.h"

#include "drivers/pci/pci_registers.h"

#define DECODING (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

struct fake_function *fake_q35_host_bridge(struct fake_config *fake)
{
    struct fake_function *fn = fake_function_add(fake, Q35_HOST_BRIDGE, 0x8086, 0x29c0, 0x060000, PCI_HEADER_DEVICE);
    fake_set16(fn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    return fn;
}

void fake_q35_ich9(struct fake_config *fake)
{
    struct fake_function *lpc =
        fake_function_add(fake, Q35_LPC, 0x8086, 0x2918, 0x060100, PCI_HEADER_DEVICE | PCI_HEADER_MULTI_FUNCTION);
    fake_set16(lpc, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

    struct fake_function *sata =
        fake_function_add(fake, Q35_SATA, 0x8086, 0x2922, 0x010601, PCI_HEADER_DEVICE | PCI_HEADER_MULTI_FUNCTION);
    fake_io_bar(sata, 4, 0xc040, 32);
    fake_memory_bar(sata, 5, 0xfebd2000, 0x1000, false, false);
    fake_set16(sata, PCI_COMMAND, DECODING);
    fake_set8(sata, PCI_INTERRUPT_PIN, 1);
    fake_set8(sata, PCI_INTERRUPT_LINE, 10);
    static const uint8_t msi[] = {0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* 64-bit, one vector */
    fake_capability(sata, 0x80, PCI_CAPABILITY_MSI, msi, sizeof(msi));
    static const uint8_t sata_capability[] = {0x10, 0x00, 0x48, 0x00, 0x00, 0x00};
    fake_capability(sata, 0xa8, 0x12, sata_capability, sizeof(sata_capability));

    struct fake_function *smbus =
        fake_function_add(fake, Q35_SMBUS, 0x8086, 0x2930, 0x0c0500, PCI_HEADER_DEVICE | PCI_HEADER_MULTI_FUNCTION);
    fake_io_bar(smbus, 4, 0x0700, 64);
    fake_set16(smbus, PCI_COMMAND, PCI_COMMAND_IO);
    fake_set8(smbus, PCI_INTERRUPT_PIN, 1);
    fake_set8(smbus, PCI_INTERRUPT_LINE, 10);
}

struct fake_function *fake_virtio_net(struct fake_config *fake, struct pci_address address)
{
    struct fake_function *fn = fake_function_add(fake, address, 0x1af4, 0x1041, 0x020000, PCI_HEADER_DEVICE);
    fake_set8(fn, PCI_REVISION, 1);
    fake_memory_bar(fn, 1, 0xfebd1000, 0x1000, false, false);
    fake_memory_bar(fn, 4, 0xfe000000, 0x4000, true, true);
    fake_set16(fn, PCI_COMMAND, DECODING);
    fake_set8(fn, PCI_INTERRUPT_PIN, 1);
    fake_set8(fn, PCI_INTERRUPT_LINE, 11);
    /* QEMU's list: MSI-X first, then the virtio structures, last added first. */
    static const uint8_t msix[] = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00}; /* 4 vectors */
    fake_capability(fn, 0x98, PCI_CAPABILITY_MSIX, msix, sizeof(msix));
    fake_virtio_capability(fn, 0x84, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, 0);
    fake_virtio_capability(fn, 0x70, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 4);
    fake_virtio_capability(fn, 0x60, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000, 0);
    fake_virtio_capability(fn, 0x50, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000, 0);
    fake_virtio_capability(fn, 0x40, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000, 0);
    return fn;
}

struct fake_function *fake_bridge(struct fake_config *fake, struct pci_address address, uint8_t secondary,
                                  uint8_t subordinate)
{
    struct fake_function *fn = fake_function_add(fake, address, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
    fake_set16(fn, PCI_COMMAND, DECODING);
    fake_set8(fn, PCI_BRIDGE_PRIMARY_BUS, address.bus);
    fake_set8(fn, PCI_BRIDGE_SECONDARY_BUS, secondary);
    fake_set8(fn, PCI_BRIDGE_SUBORDINATE_BUS, subordinate);
    fake_set8(fn, PCI_INTERRUPT_PIN, 1);
    fake_set8(fn, PCI_INTERRUPT_LINE, 10);
    return fn;
}

struct fake_function *fake_e1000(struct fake_config *fake, struct pci_address address)
{
    struct fake_function *fn = fake_function_add(fake, address, 0x8086, 0x100e, 0x020000, PCI_HEADER_DEVICE);
    fake_memory_bar(fn, 0, 0xfe800000, 0x20000, false, false);
    fake_io_bar(fn, 1, 0xd000, 64);
    fake_set16(fn, PCI_COMMAND, DECODING);
    fake_set8(fn, PCI_INTERRUPT_PIN, 1);
    fake_set8(fn, PCI_INTERRUPT_LINE, 10);
    return fn;
}

void fake_q35_machine(struct fake_config *fake)
{
    fake_q35_host_bridge(fake);
    fake_virtio_net(fake, Q35_VIRTIO_NET);
    fake_bridge(fake, Q35_BRIDGE, 1, 1);
    fake_e1000(fake, Q35_BEHIND_BRIDGE);
    fake_q35_ich9(fake);
}
