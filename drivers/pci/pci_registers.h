/*
 * The layout of a PCI function's configuration space (PCI Local Bus 3.0,
 * PCI-to-PCI Bridge 1.2, PCI Express Base 4.0, VIRTIO 1.2 section 4.1):
 * header registers, their bits, capability IDs and the capabilities' fields.
 * Only names; no code.
 */
#ifndef DRIVERS_PCI_PCI_REGISTERS_H
#define DRIVERS_PCI_PCI_REGISTERS_H

/* The header common to every type. */
#define PCI_VENDOR_ID 0x00 /* 16 bits; 0xffff: no function there */
#define PCI_DEVICE_ID 0x02 /* 16 bits */
#define PCI_COMMAND 0x04   /* 16 bits */
#define PCI_STATUS 0x06    /* 16 bits, write-1-to-clear: never written here */
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0a
#define PCI_CLASS 0x0b
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_SIZE 0x40 /* capabilities live above the header */

#define PCI_VENDOR_NONE 0xffffu    /* what an absent function reads */
#define PCI_VENDOR_INVALID 0x0000u /* never assigned to a vendor */

#define PCI_COMMAND_IO 0x0001u     /* I/O space decoding */
#define PCI_COMMAND_MEMORY 0x0002u /* memory space decoding */
#define PCI_COMMAND_MASTER 0x0004u /* bus mastering */

#define PCI_STATUS_CAPABILITIES 0x0010u /* the capability list pointer is valid */

#define PCI_HEADER_TYPE_MASK 0x7fu
#define PCI_HEADER_MULTI_FUNCTION 0x80u
#define PCI_HEADER_DEVICE 0x00u
#define PCI_HEADER_BRIDGE 0x01u  /* PCI-to-PCI bridge */
#define PCI_HEADER_CARDBUS 0x02u /* CardBus bridge */

/* Type 0 (device) and type 1 (bridge) headers. */
#define PCI_BAR0 0x10
#define PCI_DEVICE_BARS 6
#define PCI_BRIDGE_BARS 2
#define PCI_CAPABILITY_POINTER 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d /* 0: none, 1..4: INTA#..INTD# */
#define PCI_INTERRUPT_PIN_MAX 4

/* Type 1 (PCI-to-PCI bridge) header. */
#define PCI_BRIDGE_PRIMARY_BUS 0x18
#define PCI_BRIDGE_SECONDARY_BUS 0x19
#define PCI_BRIDGE_SUBORDINATE_BUS 0x1a

/* Type 2 (CardBus bridge) header. */
#define PCI_CARDBUS_CAPABILITY_POINTER 0x14

/* Base address registers. */
#define PCI_BAR_IO_SPACE 0x1u /* bit 0: 1 = I/O, 0 = memory */
#define PCI_BAR_IO_ADDRESS_MASK 0xfffffffcu
#define PCI_BAR_MEMORY_TYPE_SHIFT 1
#define PCI_BAR_MEMORY_TYPE_MASK 0x3u
#define PCI_BAR_MEMORY_TYPE_32 0x0u
#define PCI_BAR_MEMORY_TYPE_BELOW_1M 0x1u /* PCI 2.x only, reserved since 3.0 */
#define PCI_BAR_MEMORY_TYPE_64 0x2u
#define PCI_BAR_MEMORY_PREFETCHABLE 0x8u
#define PCI_BAR_MEMORY_ADDRESS_MASK 0xfffffff0u
#define PCI_IO_SPACE_SIZE 0x10000u /* x86 ports */

/* Class codes the enumeration itself cares about. */
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_HOST_BRIDGE 0x00

/* Capability list. */
#define PCI_CAPABILITY_ID 0x00
#define PCI_CAPABILITY_NEXT 0x01
#define PCI_CAPABILITY_POINTER_MASK 0xfcu /* the two low bits are reserved: software masks them */
#define PCI_CAPABILITY_POWER 0x01
#define PCI_CAPABILITY_MSI 0x05
#define PCI_CAPABILITY_VENDOR 0x09
#define PCI_CAPABILITY_EXPRESS 0x10
#define PCI_CAPABILITY_MSIX 0x11

/* MSI capability. */
#define PCI_MSI_CONTROL 0x02
#define PCI_MSI_CONTROL_ENABLE 0x0001u
#define PCI_MSI_CONTROL_MULTIPLE_SHIFT 1 /* multiple message capable: log2 of the vectors, 0..5 */
#define PCI_MSI_CONTROL_MULTIPLE_MASK 0x7u
#define PCI_MSI_CONTROL_MULTIPLE_MAX 5
#define PCI_MSI_CONTROL_64BIT 0x0080u
#define PCI_MSI_CONTROL_MASKING 0x0100u /* per-vector masking */
#define PCI_MSI_SIZE 10                 /* id, next, control, address, data */
#define PCI_MSI_SIZE_ADDRESS_HIGH 4     /* with a 64-bit address */
#define PCI_MSI_SIZE_MASKING 10         /* with mask and pending bits (and the padding before them) */

/* MSI-X capability. */
#define PCI_MSIX_CONTROL 0x02
#define PCI_MSIX_CONTROL_TABLE_SIZE 0x07ffu /* vectors - 1 */
#define PCI_MSIX_CONTROL_FUNCTION_MASK 0x4000u
#define PCI_MSIX_CONTROL_ENABLE 0x8000u
#define PCI_MSIX_TABLE 0x04 /* BAR indicator (BIR) in bits 2:0, offset in the rest */
#define PCI_MSIX_PBA 0x08
#define PCI_MSIX_BIR_MASK 0x7u
#define PCI_MSIX_OFFSET_MASK 0xfffffff8u
#define PCI_MSIX_SIZE 12
#define PCI_MSIX_ENTRY_SIZE 16 /* one table entry: address, data, control */
#define PCI_MSIX_ENTRY_ADDRESS_LOW 0
#define PCI_MSIX_ENTRY_ADDRESS_HIGH 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CONTROL 12
#define PCI_MSIX_ENTRY_MASKED 0x1u

/* Virtio over PCI (VIRTIO 1.2 section 4.1). */
#define VIRTIO_PCI_VENDOR 0x1af4u
#define VIRTIO_PCI_DEVICE_FIRST 0x1000u  /* transitional devices 0x1000..0x103f */
#define VIRTIO_PCI_DEVICE_MODERN 0x1040u /* modern: 0x1040 + the virtio device ID */
#define VIRTIO_PCI_DEVICE_LAST 0x107fu
#define VIRTIO_PCI_CAP_LENGTH 2 /* cap_len */
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_ID 5
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_REGION_LENGTH 12
#define VIRTIO_PCI_CAP_SIZE 16          /* struct virtio_pci_cap */
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 16 /* notify_off_multiplier, after the common part */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20   /* struct virtio_pci_notify_cap */
#define VIRTIO_PCI_CAP64_OFFSET_HIGH 16 /* struct virtio_pci_cap64: shared memory regions */
#define VIRTIO_PCI_CAP64_LENGTH_HIGH 20
#define VIRTIO_PCI_CAP64_SIZE 24
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5 /* a window the driver steers through bar/offset/length itself */
#define VIRTIO_PCI_CAP_SHARED_MEMORY_CFG 8
#define VIRTIO_PCI_CAP_VENDOR_CFG 9

#endif
