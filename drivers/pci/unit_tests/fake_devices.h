/*
 * The functions of a QEMU q35 machine, built in a fake configuration space as
 * firmware (SeaBIOS) leaves them: BARs assigned, bridges numbered, decoding on.
 */
#ifndef DRIVERS_PCI_UNIT_TESTS_FAKE_DEVICES_H
#define DRIVERS_PCI_UNIT_TESTS_FAKE_DEVICES_H

#include "fake_config.h"

#define Q35_HOST_BRIDGE ((struct pci_address){0, 0, 0})
#define Q35_VIRTIO_NET ((struct pci_address){0, 2, 0})
#define Q35_BRIDGE ((struct pci_address){0, 0x1e, 0})
#define Q35_BEHIND_BRIDGE ((struct pci_address){1, 0, 0})
#define Q35_LPC ((struct pci_address){0, 0x1f, 0})
#define Q35_SATA ((struct pci_address){0, 0x1f, 2})
#define Q35_SMBUS ((struct pci_address){0, 0x1f, 3})

/* 00:00.0 8086:29c0, the q35 host bridge: no BARs, no capabilities. */
struct fake_function *fake_q35_host_bridge(struct fake_config *fake);

/*
 * 00:1f.0 8086:2918 ICH9 LPC/ISA bridge (multi-function), 00:1f.2 8086:2922
 * AHCI (BAR4 I/O 0xc040 32 B, BAR5 memory 0xfebd2000 4 KiB, MSI 64-bit) and
 * 00:1f.3 8086:2930 SMBus (BAR4 I/O 0x0700 64 B).
 */
void fake_q35_ich9(struct fake_config *fake);

/*
 * A modern virtio-net-pci (1af4:1041) at address, as QEMU builds it with
 * disable-legacy=on: BAR1 memory 0xfebd1000 4 KiB (MSI-X table at +0, PBA at
 * +0x800, 4 vectors, as QEMU 7.2 gives it), BAR4 64-bit prefetchable memory 0xfe000000 16 KiB
 * (common +0, ISR +0x1000, device +0x2000, notify +0x3000 with multiplier 4),
 * and the PCI configuration access window.
 */
struct fake_function *fake_virtio_net(struct fake_config *fake, struct pci_address address);

/* A PCI-to-PCI bridge 1b36:0001 at address with secondary and subordinate bus numbers as given. */
struct fake_function *fake_bridge(struct fake_config *fake, struct pci_address address, uint8_t secondary,
                                  uint8_t subordinate);

/* An e1000 (8086:100e) at address: BAR0 memory 0xfe800000 128 KiB, BAR1 I/O 0xd000 64 B, pin A line 10. */
struct fake_function *fake_e1000(struct fake_config *fake, struct pci_address address);

/* The whole machine: host bridge, virtio-net at 00:02.0, bridge 00:1e.0 to bus 1 with an e1000, ICH9. */
void fake_q35_machine(struct fake_config *fake);

#endif
