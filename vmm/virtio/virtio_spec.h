/*
 * The numbers of the VIRTIO 1.2 specification that the transport, the queues
 * and the devices share: device status bits (section 2.1), feature bits
 * (2.2 and 6) and device IDs (5). Defined here rather than taken from Linux's
 * UAPI headers so the uvmm compiles freestanding with nothing but the
 * compiler's own headers.
 */
#ifndef VMM_VIRTIO_SPEC_H
#define VMM_VIRTIO_SPEC_H

/*
 * Device status: the driver sets ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK in
 * this order and FAILED at any time; DEVICE_NEEDS_RESET is the device's.
 */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

#define VIRTIO_FEATURE(bit) (1ull << (bit))

/*
 * Of the 64 feature bits this transport carries, 0..23 and 50..63 belong to the
 * device type; 24..40 extend the queues and the negotiation; 41..49 are reserved.
 */
#define VIRTIO_DEVICE_TYPE_FEATURES ((VIRTIO_FEATURE(24) - 1) | ~(VIRTIO_FEATURE(50) - 1))

/* Reserved feature bits (section 6) that this VMM's queues and transport implement. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device IDs (section 5); each device adds its own. */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_CONSOLE 3u
#define VIRTIO_ID_ENTROPY 4u
#define VIRTIO_ID_SOCKET 19u

#endif
