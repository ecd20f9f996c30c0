/*
 * A virtio network device behind the modern virtio-pci interface, for tests:
 * the common configuration, notify, ISR and device-specific structures as
 * register models reached through struct mmio, and the device's side of the
 * receive and transmit queues (through fake_queue.h) over the fake DMA
 * memory.
 *
 * It records what the driver did (every device_status written, the features
 * accepted, notifications per queue) and counts what the driver did wrong:
 * accesses of the wrong width, misaligned or outside a structure, writes to
 * read-only fields, features not offered, notifications before DRIVER_OK,
 * malformed rings. Knobs make it misbehave: never finish a reset, refuse
 * FEATURES_OK or MSI-X vectors, report odd queue sizes or notify offsets,
 * change its configuration while it is read.
 *
 * As a network device it keeps the frames the driver transmits (checking
 * each header) and fills posted receive buffers with frames a test injects.
 */
#ifndef DRIVERS_VIRTIO_NET_UNIT_TESTS_FAKE_VIRTIO_PCI_H
#define DRIVERS_VIRTIO_NET_UNIT_TESTS_FAKE_VIRTIO_PCI_H

#include "drivers/virtio_net/virtio_pci_modern.h"
#include "fake_dma.h"
#include "fake_queue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_QUEUES 3            /* queues modelled; num_queues may say fewer */
#define FAKE_COMMON_LENGTH 0x40u /* the common structure with queue_notify_data and queue_reset */
#define FAKE_NOTIFY_LENGTH 0x100u
#define FAKE_NOTIFY_MULTIPLIER 4u
#define FAKE_CONFIG_SIZE 64u
#define FAKE_STATUS_WRITES 32
#define FAKE_FRAMES 512
#define FAKE_FRAME_BYTES 2048
#define FAKE_RESET_NEVER UINT32_MAX

enum fake_region_kind { FAKE_COMMON, FAKE_NOTIFY, FAKE_ISR, FAKE_DEVICE, FAKE_REGION_COUNT };

struct fake_virtio_pci;

struct fake_region {
    struct fake_virtio_pci *device;
    enum fake_region_kind kind;
};

struct fake_pci_queue {
    uint16_t max_size; /* what queue_size reads until written; 0: no such queue */
    uint16_t size;
    uint16_t msix_vector;
    uint16_t enable;
    uint16_t notify_off;
    uint64_t descriptors;
    uint64_t driver;
    uint64_t device;
    unsigned notifications;
    struct fake_queue ring; /* valid once enabled */
};

struct fake_virtio_pci {
    struct fake_dma *dma;
    struct fake_region regions[FAKE_REGION_COUNT];
    uint64_t lengths[FAKE_REGION_COUNT]; /* of each structure, as the capabilities would say */
    uint32_t notify_multiplier;
    uint16_t msix_vectors; /* MSI-X table entries */

    /* The common configuration. */
    uint64_t offered_features;
    uint64_t driver_features;
    uint32_t device_feature_select;
    uint32_t driver_feature_select;
    uint16_t config_msix_vector;
    uint16_t num_queues;
    uint8_t status;
    uint8_t generation;
    uint16_t queue_select;
    struct fake_pci_queue queues[FAKE_QUEUES];

    /* The device-specific configuration (struct virtio_net_config) and ISR status. */
    uint8_t config[FAKE_CONFIG_SIZE];
    uint8_t isr;

    /* Knobs. */
    uint32_t reset_reads;            /* device_status reads that still show the old status after a reset */
    bool refuse_features;            /* clear FEATURES_OK whatever was accepted */
    bool refuse_vectors;             /* read back NO_VECTOR for every vector */
    bool fixed_queue_sizes;          /* ignore writes to queue_size (keep the maximum) */
    unsigned config_changes_on_read; /* the next this many device-config reads each change config_generation */

    /* Records. */
    uint8_t status_writes[FAKE_STATUS_WRITES];
    size_t status_write_count;
    unsigned early_notifications; /* before DRIVER_OK */
    unsigned access_errors;       /* wrong width, misaligned, outside, read-only, features not offered */
    uint32_t reset_reads_left;

    /* Frames the driver transmitted. */
    uint8_t frames[FAKE_FRAMES][FAKE_FRAME_BYTES];
    size_t frame_lengths[FAKE_FRAMES];
    size_t frame_count;
    unsigned header_errors; /* transmit headers not all zero */
};

/*
 * A network device offering VERSION_1, MAC (52:54:00:12:34:56) and STATUS
 * (link up), MTU 1500 in its configuration but not offered, 2 queues of 256
 * entries, 3 MSI-X vectors.
 */
void fake_virtio_pci_init(struct fake_virtio_pci *device, struct fake_dma *dma);

/* The regions as the PCI Micro-App would hand them to the driver. */
struct virtio_pci_regions fake_virtio_pci_regions(struct fake_virtio_pci *device);

/* The queue's device side (once the driver enabled it). */
struct fake_queue *fake_virtio_pci_ring(struct fake_virtio_pci *device, uint16_t index);

/* Sends every frame waiting in the transmit queue (kept in frames[]) and hands their buffers back; how many. */
size_t fake_virtio_pci_transmit(struct fake_virtio_pci *device);

/* Takes transmit chains without handing them back (a device that is slow to send); how many. */
size_t fake_virtio_pci_hold_transmit(struct fake_virtio_pci *device, struct fake_chain *held, size_t capacity);

/* Puts frame into the next posted receive buffer and hands it back; false if none is posted. */
bool fake_virtio_pci_receive(struct fake_virtio_pci *device, const uint8_t *frame, size_t length);

/* Changes the link state bit as a device does: a new config_generation, the configuration ISR bit. */
void fake_virtio_pci_set_link(struct fake_virtio_pci *device, bool up);

/* Whether the last status written by the driver had bit set. */
bool fake_virtio_pci_status_has(const struct fake_virtio_pci *device, uint8_t bit);

#endif
