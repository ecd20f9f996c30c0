/*
 * The layout of the virtio-over-PCI structures (VIRTIO 1.2 section 4.1.4):
 * byte offsets in struct virtio_pci_common_cfg, the MSI-X "no vector" value,
 * and the bits of the ISR status byte. Fields are little-endian; 64-bit
 * fields are accessed as two 32-bit halves, low half first (4.1.3.1).
 */
#ifndef DRIVERS_VIRTIO_NET_VIRTIO_PCI_REGISTERS_H
#define DRIVERS_VIRTIO_NET_VIRTIO_PCI_REGISTERS_H

/* About the whole device. */
#define VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT 0x00u /* le32, read-write */
#define VIRTIO_PCI_COMMON_DEVICE_FEATURE 0x04u        /* le32, read-only */
#define VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT 0x08u /* le32, read-write */
#define VIRTIO_PCI_COMMON_DRIVER_FEATURE 0x0cu        /* le32, read-write */
#define VIRTIO_PCI_COMMON_CONFIG_MSIX_VECTOR 0x10u    /* le16, read-write */
#define VIRTIO_PCI_COMMON_NUM_QUEUES 0x12u            /* le16, read-only */
#define VIRTIO_PCI_COMMON_DEVICE_STATUS 0x14u         /* u8, read-write */
#define VIRTIO_PCI_COMMON_CONFIG_GENERATION 0x15u     /* u8, read-only */

/* About the virtqueue queue_select names. */
#define VIRTIO_PCI_COMMON_QUEUE_SELECT 0x16u      /* le16, read-write */
#define VIRTIO_PCI_COMMON_QUEUE_SIZE 0x18u        /* le16, read-write: the device's maximum until written */
#define VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR 0x1au /* le16, read-write */
#define VIRTIO_PCI_COMMON_QUEUE_ENABLE 0x1cu      /* le16, read-write */
#define VIRTIO_PCI_COMMON_QUEUE_NOTIFY_OFF 0x1eu  /* le16, read-only: in units of notify_off_multiplier */
#define VIRTIO_PCI_COMMON_QUEUE_DESC 0x20u        /* le64: the descriptor area */
#define VIRTIO_PCI_COMMON_QUEUE_DRIVER 0x28u      /* le64: the driver area (available ring) */
#define VIRTIO_PCI_COMMON_QUEUE_DEVICE 0x30u      /* le64: the device area (used ring) */

/* The common configuration the driver uses: up to the end of queue_device (later fields need features it does not
 * accept). A shorter region is refused. */
#define VIRTIO_PCI_COMMON_SIZE 0x38u

/* A queue notification is a 16-bit write (without VIRTIO_F_NOTIFICATION_DATA). */
#define VIRTIO_PCI_NOTIFY_WIDTH 2u

/* config_msix_vector / queue_msix_vector: no interrupt; also what the device reads back when it refuses a vector. */
#define VIRTIO_MSI_NO_VECTOR 0xffffu
/* The MSI-X table has at most 2048 entries, so a valid vector is at most 0x7ff. */
#define VIRTIO_MSIX_MAX_VECTORS 0x800u

/* ISR status (INTx only; with MSI-X the vectors say it): reading it clears it. */
#define VIRTIO_PCI_ISR_QUEUE 1u
#define VIRTIO_PCI_ISR_CONFIG 2u

#endif
