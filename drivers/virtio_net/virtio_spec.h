/*
 * The numbers of the VIRTIO 1.2 specification that the driver's layers share:
 * device status bits (section 2.1) and the transport feature bits (section 6)
 * the driver knows. Device-type numbers live with the device's driver
 * (virtio_net_driver.h), the PCI register layout with the transport
 * (virtio_pci_registers.h), the ring layout with the queue (virtqueue_driver.h).
 */
#ifndef DRIVERS_VIRTIO_NET_VIRTIO_SPEC_H
#define DRIVERS_VIRTIO_NET_VIRTIO_SPEC_H

/*
 * Device status: the driver sets ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK in
 * this order and FAILED when it gives up; DEVICE_NEEDS_RESET is the device's.
 * Writing 0 resets the device.
 */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

#define VIRTIO_FEATURE(bit) (1ull << (bit))

/*
 * Transport feature bits. Of these the driver accepts only VERSION_1 (and
 * requires it: a legacy-only device is refused). Not accepted, so never used:
 * EVENT_IDX (interrupt suppression is by VIRTQ_AVAIL_F_NO_INTERRUPT),
 * INDIRECT_DESC, ACCESS_PLATFORM (no IOMMU: device addresses are physical),
 * RING_PACKED, IN_ORDER, ORDER_PLATFORM, NOTIFICATION_DATA, RING_RESET.
 */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

#endif
