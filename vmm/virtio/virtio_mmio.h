/*
 * The virtio-mmio transport (VIRTIO 1.2 section 4.2), version 2 only: the
 * register block a driver sees, the device status state machine, feature
 * negotiation and queue setup, independent of the device behind it. A device
 * plugs in with struct virtio_device_ops; the VMM forwards the guest's MMIO
 * accesses to virtio_mmio_read/virtio_mmio_write and connects
 * raise_interrupt to its interrupt controller.
 *
 * Refused accesses return the reason (as device_access() in the VMM does):
 * misaligned or wrongly sized accesses, registers that do not exist (legacy
 * version 1 registers included), and writes the spec forbids in the current
 * state. What the VMM does with a refusal (log it, end the VM) is its policy.
 */
#ifndef VMM_VIRTIO_VIRTIO_MMIO_H
#define VMM_VIRTIO_VIRTIO_MMIO_H

#include "virtqueue.h"

#include <stdint.h>
#include <vmm/guest_memory.h>

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION 2u              /* version 1 is the legacy interface, not offered */
#define VIRTIO_MMIO_VENDOR_ID 0x5350414bu   /* "KAPS" */

#define VIRTIO_MMIO_MAX_QUEUES 8u
#define VIRTIO_MMIO_CONFIG_OFFSET 0x100u
#define VIRTIO_MMIO_CONFIG_MAX 0x100u
/* The MMIO window of one device (what the VMM registers and describes to the guest). */
#define VIRTIO_MMIO_WINDOW_SIZE (VIRTIO_MMIO_CONFIG_OFFSET + VIRTIO_MMIO_CONFIG_MAX)

/* Register offsets of version 2 (section 4.2.2). */
#define VIRTIO_MMIO_REG_MAGIC_VALUE 0x000u
#define VIRTIO_MMIO_REG_VERSION 0x004u
#define VIRTIO_MMIO_REG_DEVICE_ID 0x008u
#define VIRTIO_MMIO_REG_VENDOR_ID 0x00cu
#define VIRTIO_MMIO_REG_DEVICE_FEATURES 0x010u
#define VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_MMIO_REG_DRIVER_FEATURES 0x020u
#define VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_MMIO_REG_QUEUE_SEL 0x030u
#define VIRTIO_MMIO_REG_QUEUE_NUM_MAX 0x034u
#define VIRTIO_MMIO_REG_QUEUE_NUM 0x038u
#define VIRTIO_MMIO_REG_QUEUE_READY 0x044u
#define VIRTIO_MMIO_REG_QUEUE_NOTIFY 0x050u
#define VIRTIO_MMIO_REG_INTERRUPT_STATUS 0x060u
#define VIRTIO_MMIO_REG_INTERRUPT_ACK 0x064u
#define VIRTIO_MMIO_REG_STATUS 0x070u
#define VIRTIO_MMIO_REG_QUEUE_DESC_LOW 0x080u
#define VIRTIO_MMIO_REG_QUEUE_DESC_HIGH 0x084u
#define VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW 0x090u
#define VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH 0x094u
#define VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW 0x0a0u
#define VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH 0x0a4u
#define VIRTIO_MMIO_REG_SHM_SEL 0x0acu
#define VIRTIO_MMIO_REG_SHM_LEN_LOW 0x0b0u
#define VIRTIO_MMIO_REG_SHM_LEN_HIGH 0x0b4u
#define VIRTIO_MMIO_REG_SHM_BASE_LOW 0x0b8u
#define VIRTIO_MMIO_REG_SHM_BASE_HIGH 0x0bcu
#define VIRTIO_MMIO_REG_CONFIG_GENERATION 0x0fcu

/* InterruptStatus / InterruptACK bits. */
#define VIRTIO_MMIO_INTERRUPT_USED_BUFFER 1u
#define VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE 2u

/* What a device tells the transport about itself. */
struct virtio_device_ops {
    uint32_t device_id;
    /*
     * Device-type feature bits only (VIRTIO_DEVICE_TYPE_FEATURES): the transport
     * adds VERSION_1, INDIRECT_DESC and EVENT_IDX, which its queues implement.
     */
    uint64_t features;
    uint16_t queue_count; /* 1..VIRTIO_MMIO_MAX_QUEUES */
    uint32_t config_size; /* bytes of configuration space, up to VIRTIO_MMIO_CONFIG_MAX; 0 for none */
    /*
     * Configuration space accesses: offset from its start, 1, 2 or 4 bytes,
     * aligned and inside config_size (checked before the call). They return
     * NULL, or why they refuse. Needed only with a configuration space.
     */
    const char *(*config_read)(void *context, uint32_t offset, unsigned size, uint32_t *value);
    const char *(*config_write)(void *context, uint32_t offset, unsigned size, uint32_t value);
    /*
     * The driver made buffers available in a queue; called only when the queue
     * is ready, the driver is DRIVER_OK and the device needs no reset. Calls
     * may be spurious: the device pops until VIRTQ_EMPTY.
     */
    void (*queue_notify)(void *context, uint16_t queue_index);
    /* The driver reset the device (optional): drop per-driver state. The queues are already stopped. */
    void (*reset)(void *context);
};

struct virtio_mmio_device {
    const struct virtio_device_ops *ops;
    void *device; /* the context the ops get */
    const struct guest_memory *memory;
    void (*raise_interrupt)(void *context);
    void *interrupt_context;

    uint32_t status;
    uint32_t device_features_select;
    uint32_t driver_features_select;
    uint64_t driver_features;
    uint32_t queue_select;
    uint32_t interrupt_status;
    uint32_t config_generation;
    const char *needs_reset_reason; /* why DEVICE_NEEDS_RESET is set, for the VMM's log; NULL otherwise */
    struct virtq_layout layouts[VIRTIO_MMIO_MAX_QUEUES]; /* QueueNum and the area registers, per queue */
    struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
};

/*
 * Sets up the transport for the device described by ops (context: device),
 * reading guest RAM through memory and signalling interrupts with
 * raise_interrupt(interrupt_context). NULL, or why ops are unusable.
 */
const char *virtio_mmio_init(struct virtio_mmio_device *transport, const struct virtio_device_ops *ops, void *device,
                             const struct guest_memory *memory, void (*raise_interrupt)(void *context),
                             void *interrupt_context);

/* A guest read of size bytes at offset into the window: NULL with *value set, or why it is refused. */
const char *virtio_mmio_read(struct virtio_mmio_device *transport, uint64_t offset, unsigned size, uint32_t *value);

/* A guest write of size bytes at offset into the window: NULL, or why it is refused. */
const char *virtio_mmio_write(struct virtio_mmio_device *transport, uint64_t offset, unsigned size, uint32_t value);

/* For devices: queue index (below ops->queue_count). */
struct virtq *virtio_mmio_queue(struct virtio_mmio_device *transport, uint16_t index);

/* For devices, after pushing used buffers to queue: interrupts the driver unless it suppressed that. */
void virtio_mmio_signal_used(struct virtio_mmio_device *transport, struct virtq *queue);

/* For devices whose configuration space changed: a new ConfigGeneration and, once DRIVER_OK, an interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio_device *transport);

/*
 * For devices that met a malformed queue (or another state they cannot go on
 * from): sets DEVICE_NEEDS_RESET, keeps the first reason, tells a DRIVER_OK
 * driver with a configuration-change interrupt, and stops queue notifications
 * until the driver resets the device.
 */
void virtio_mmio_set_needs_reset(struct virtio_mmio_device *transport, const char *reason);

#endif
