/*
 * The virtio over PCI transport, modern interface only (VIRTIO 1.2 section
 * 4.1): the device brought up through its common configuration structure
 * (reset, ACKNOWLEDGE, DRIVER, feature negotiation with VIRTIO_F_VERSION_1
 * required, FEATURES_OK checked, virtqueues set up, MSI-X vectors mapped and
 * checked, DRIVER_OK), queue notifications, and consistent reads of the
 * device-specific configuration (retried while config_generation changes).
 *
 * The PCI bus Micro-App finds the structures (virtio vendor capabilities:
 * BAR, offset, length, notify_off_multiplier) and enables MSI-X; the driver
 * Micro-App maps the BARs and makes one struct mmio per structure, offset 0
 * at the structure's start. Every value read from the device is checked: a
 * queue size that is not a power of two, a notify offset outside the notify
 * structure, a refused vector, a reset that never completes are errors, never
 * accesses outside a region.
 *
 * A sequence: virtio_pci_init, virtio_pci_start (offered features),
 * optionally reads of the device configuration, virtio_pci_negotiate,
 * virtio_pci_set_config_vector, virtio_pci_setup_queue for each queue,
 * virtio_pci_ready. start and negotiate set FAILED in the device status when
 * they refuse the device; after any other failure the caller decides
 * (virtio_pci_fail, or a reset and another start).
 */
#ifndef DRIVERS_VIRTIO_NET_VIRTIO_PCI_MODERN_H
#define DRIVERS_VIRTIO_NET_VIRTIO_PCI_MODERN_H

#include "dma_allocator.h"
#include "mmio.h"
#include "virtqueue_driver.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Queues the transport keeps notify addresses for (a network device without multiqueue has 2, 3 with control). */
#define VIRTIO_PCI_MAX_QUEUES 4u

/* Reads of device_status after a reset before the driver gives up on seeing 0. */
#define VIRTIO_PCI_RESET_POLLS 100000u

/* Attempts at a consistent read of the device configuration before it counts as never settling. */
#define VIRTIO_PCI_CONFIG_ATTEMPTS 16u

enum virtio_pci_result {
    VIRTIO_PCI_OK = 0,
    VIRTIO_PCI_ERROR_ARGUMENT,         /* the caller's mistake (e.g. a queue index beyond VIRTIO_PCI_MAX_QUEUES) */
    VIRTIO_PCI_ERROR_STATE,            /* a step out of order (e.g. a queue set up before FEATURES_OK) */
    VIRTIO_PCI_ERROR_REGION,           /* a structure missing or too short for the fields the driver uses */
    VIRTIO_PCI_ERROR_RESET_TIMEOUT,    /* device_status did not read 0 after a reset */
    VIRTIO_PCI_ERROR_NO_VERSION_1,     /* the device does not offer VIRTIO_F_VERSION_1 (legacy only) */
    VIRTIO_PCI_ERROR_FEATURES_REFUSED, /* FEATURES_OK did not stay set */
    VIRTIO_PCI_ERROR_QUEUE_MISSING,    /* the queue index is not below num_queues, or its queue_size is 0 */
    VIRTIO_PCI_ERROR_QUEUE_SIZE,       /* queue_size not a power of two, or the size written did not stick */
    VIRTIO_PCI_ERROR_QUEUE_ENABLED,    /* queue_enable was already set (the device did not reset it) */
    VIRTIO_PCI_ERROR_NOTIFY_OFFSET,    /* the queue's notify address lies outside the notify structure */
    VIRTIO_PCI_ERROR_NO_MEMORY,        /* the DMA allocator had none */
    VIRTIO_PCI_ERROR_MEMORY_ALIGNMENT, /* the DMA allocator's memory is not DMA_ALLOCATOR_ALIGN-aligned */
    VIRTIO_PCI_ERROR_VECTOR,           /* a vector not below the MSI-X table size (the caller's mistake) */
    VIRTIO_PCI_ERROR_VECTOR_REFUSED,   /* the device read back NO_VECTOR (or anything else) for a vector */
    VIRTIO_PCI_ERROR_CONFIG_RANGE,     /* a configuration field beyond the device-specific structure */
    VIRTIO_PCI_ERROR_CONFIG_UNSTABLE,  /* config_generation changed on every attempt */
    VIRTIO_PCI_ERROR_ISR_MISSING,      /* no ISR status structure */
};

/* A sentence saying what the result means, for logs and failure reports. */
const char *virtio_pci_result_reason(enum virtio_pci_result result);

/* One structure: its registers and its length (the capability's). */
struct virtio_pci_region {
    struct mmio mmio;
    uint64_t length; /* bytes; 0: the device has none */
};

/* What the driver Micro-App gets from the PCI Micro-App, one region per structure. */
struct virtio_pci_regions {
    struct virtio_pci_region common; /* VIRTIO_PCI_CAP_COMMON_CFG: at least VIRTIO_PCI_COMMON_SIZE */
    struct virtio_pci_region notify; /* VIRTIO_PCI_CAP_NOTIFY_CFG */
    uint32_t notify_off_multiplier;  /* from the notify capability */
    struct virtio_pci_region isr;    /* VIRTIO_PCI_CAP_ISR_CFG: may be absent (length 0) with MSI-X */
    struct virtio_pci_region device; /* VIRTIO_PCI_CAP_DEVICE_CFG: may be absent (length 0) */
    uint16_t msix_vectors;           /* MSI-X table entries (0: no MSI-X; every vector is then NO_VECTOR) */
};

/* A field of the device-specific configuration, for virtio_pci_read_config. */
struct virtio_pci_config_field {
    uint32_t offset; /* aligned to width */
    uint8_t width;   /* 1, 2 or 4: the field's own width */
    uint32_t value;  /* set by the read */
};

struct virtio_pci {
    struct virtio_pci_regions regions;
    uint8_t status;           /* what the driver last wrote to device_status */
    uint64_t device_features; /* offered (valid after start) */
    uint64_t driver_features; /* accepted (valid after negotiate) */
    uint16_t num_queues;      /* as the device reported it after start */
    bool queue_ready[VIRTIO_PCI_MAX_QUEUES];
    uint64_t notify_offset[VIRTIO_PCI_MAX_QUEUES]; /* in the notify structure */
};

/* Takes the device's regions, checking that each is long enough for what the driver will access. */
enum virtio_pci_result virtio_pci_init(struct virtio_pci *transport, const struct virtio_pci_regions *regions);

/* Resets the device: writes 0 to device_status and waits (at most VIRTIO_PCI_RESET_POLLS reads) to read 0 back. */
enum virtio_pci_result virtio_pci_reset(struct virtio_pci *transport);

/*
 * Reset, ACKNOWLEDGE, DRIVER, then the offered features (*offered): a device
 * without VIRTIO_F_VERSION_1 is refused (FAILED set). The device-specific
 * configuration may be read after this, to decide what to accept.
 */
enum virtio_pci_result virtio_pci_start(struct virtio_pci *transport, uint64_t *offered);

/*
 * Accepts wanted & offered, with VIRTIO_F_VERSION_1 always, sets FEATURES_OK
 * and checks the device kept it (FEATURES_REFUSED, FAILED set, if not).
 */
enum virtio_pci_result virtio_pci_negotiate(struct virtio_pci *transport, uint64_t wanted);

/* Whether feature bit was negotiated. */
bool virtio_pci_has_feature(const struct virtio_pci *transport, unsigned bit);

/* Maps configuration-change interrupts to MSI-X vector (or VIRTIO_MSI_NO_VECTOR) and checks the device took it. */
enum virtio_pci_result virtio_pci_set_config_vector(struct virtio_pci *transport, uint16_t vector);

/*
 * Sets up queue index: the device's queue_size clamped to max_size (both
 * powers of two) and read back, the areas in memory from dma laid out by
 * *queue, the MSI-X vector (or VIRTIO_MSI_NO_VECTOR) checked, then
 * queue_enable. Between negotiate and ready. Memory taken for a queue that
 * then fails stays taken (dma_allocator.h has no free).
 */
enum virtio_pci_result virtio_pci_setup_queue(struct virtio_pci *transport, uint16_t index, uint16_t max_size,
                                              uint16_t vector, const struct dma_allocator *dma,
                                              struct virtq_driver *queue);

/* DRIVER_OK: the device may now use the queues, and be notified. */
enum virtio_pci_result virtio_pci_ready(struct virtio_pci *transport);

/* Sets FAILED: the driver has given up on the device (until a reset). */
void virtio_pci_fail(struct virtio_pci *transport);

/* Tells the device queue index has new available buffers (a queue set up, after ready). */
enum virtio_pci_result virtio_pci_notify(struct virtio_pci *transport, uint16_t index);

/*
 * Reads count fields of the device-specific configuration as one consistent
 * snapshot: config_generation before and after, again while it changes (at
 * most VIRTIO_PCI_CONFIG_ATTEMPTS times). Each field with an access of its
 * own width.
 */
enum virtio_pci_result virtio_pci_read_config(struct virtio_pci *transport, struct virtio_pci_config_field *fields,
                                              size_t count);

/* device_status as the device reports it now (e.g. to see DEVICE_NEEDS_RESET). */
uint8_t virtio_pci_device_status(const struct virtio_pci *transport);

/* Reads (and so clears) the ISR status byte: for INTx, where no vector tells queue from configuration interrupts. */
enum virtio_pci_result virtio_pci_read_isr(const struct virtio_pci *transport, uint8_t *isr);

#endif
