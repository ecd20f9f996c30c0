#include "fake_virtio_pci.h"

#include "drivers/virtio_net/virtio_net_driver.h"
#include "drivers/virtio_net/virtio_pci_registers.h"
#include "drivers/virtio_net/virtio_spec.h"

#include <string.h>

static const uint8_t DEFAULT_MAC[VIRTIO_NET_MAC_BYTES] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void reset(struct fake_virtio_pci *device)
{
    device->driver_features = 0;
    device->device_feature_select = 0;
    device->driver_feature_select = 0;
    device->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
    device->status = 0;
    device->queue_select = 0;
    device->isr = 0;
    for (unsigned i = 0; i < FAKE_QUEUES; i++) {
        struct fake_pci_queue *queue = &device->queues[i];
        uint16_t max_size = queue->max_size;
        uint16_t notify_off = queue->notify_off;
        unsigned notifications = queue->notifications;
        *queue = (struct fake_pci_queue){
            .max_size = max_size,
            .size = max_size,
            .msix_vector = VIRTIO_MSI_NO_VECTOR,
            .notify_off = notify_off,
            .notifications = notifications,
        };
    }
}

static void put16(uint8_t *bytes, uint16_t value)
{
    bytes[0] = (uint8_t)value;
    bytes[1] = (uint8_t)(value >> 8);
}

void fake_virtio_pci_init(struct fake_virtio_pci *device, struct fake_dma *dma)
{
    memset(device, 0, sizeof(*device));
    device->dma = dma;
    for (unsigned i = 0; i < FAKE_REGION_COUNT; i++) {
        device->regions[i] = (struct fake_region){.device = device, .kind = (enum fake_region_kind)i};
    }
    device->lengths[FAKE_COMMON] = FAKE_COMMON_LENGTH;
    device->lengths[FAKE_NOTIFY] = FAKE_NOTIFY_LENGTH;
    device->lengths[FAKE_ISR] = 1;
    device->lengths[FAKE_DEVICE] = 12; /* mac, status, max_virtqueue_pairs, mtu */
    device->notify_multiplier = FAKE_NOTIFY_MULTIPLIER;
    device->msix_vectors = 3;
    device->offered_features =
        VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS);
    device->num_queues = 2;
    for (unsigned i = 0; i < FAKE_QUEUES; i++) {
        device->queues[i].max_size = 256;
        device->queues[i].notify_off = (uint16_t)i;
    }
    memcpy(device->config + VIRTIO_NET_CONFIG_MAC, DEFAULT_MAC, sizeof(DEFAULT_MAC));
    put16(device->config + VIRTIO_NET_CONFIG_STATUS, VIRTIO_NET_S_LINK_UP);
    put16(device->config + VIRTIO_NET_CONFIG_MTU, 1500);
    reset(device);
}

static struct fake_pci_queue *selected(struct fake_virtio_pci *device)
{
    if (device->queue_select >= FAKE_QUEUES || device->queue_select >= device->num_queues) {
        return NULL;
    }
    return &device->queues[device->queue_select];
}

struct fake_queue *fake_virtio_pci_ring(struct fake_virtio_pci *device, uint16_t index)
{
    return &device->queues[index].ring;
}

/* An access of the wrong width for its field. */
static void expect_width(struct fake_virtio_pci *device, unsigned width, unsigned expected)
{
    if (width != expected) {
        device->access_errors++;
    }
}

static uint64_t common_read(struct fake_virtio_pci *device, uint64_t offset, unsigned width)
{
    struct fake_pci_queue *queue = selected(device);
    switch (offset) {
    case VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT:
        expect_width(device, width, 4);
        return device->device_feature_select;
    case VIRTIO_PCI_COMMON_DEVICE_FEATURE:
        expect_width(device, width, 4);
        return device->device_feature_select < 2
                   ? (uint32_t)(device->offered_features >> (32 * device->device_feature_select))
                   : 0;
    case VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT:
        expect_width(device, width, 4);
        return device->driver_feature_select;
    case VIRTIO_PCI_COMMON_DRIVER_FEATURE:
        expect_width(device, width, 4);
        return device->driver_feature_select < 2
                   ? (uint32_t)(device->driver_features >> (32 * device->driver_feature_select))
                   : 0;
    case VIRTIO_PCI_COMMON_CONFIG_MSIX_VECTOR:
        expect_width(device, width, 2);
        return device->config_msix_vector;
    case VIRTIO_PCI_COMMON_NUM_QUEUES:
        expect_width(device, width, 2);
        return device->num_queues;
    case VIRTIO_PCI_COMMON_DEVICE_STATUS:
        expect_width(device, width, 1);
        if (device->reset_reads_left != 0) {
            if (device->reset_reads_left != FAKE_RESET_NEVER) {
                device->reset_reads_left--;
            }
            return VIRTIO_STATUS_ACKNOWLEDGE; /* still resetting */
        }
        return device->status;
    case VIRTIO_PCI_COMMON_CONFIG_GENERATION:
        expect_width(device, width, 1);
        return device->generation;
    case VIRTIO_PCI_COMMON_QUEUE_SELECT:
        expect_width(device, width, 2);
        return device->queue_select;
    case VIRTIO_PCI_COMMON_QUEUE_SIZE:
        expect_width(device, width, 2);
        return queue ? queue->size : 0;
    case VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR:
        expect_width(device, width, 2);
        return queue ? queue->msix_vector : VIRTIO_MSI_NO_VECTOR;
    case VIRTIO_PCI_COMMON_QUEUE_ENABLE:
        expect_width(device, width, 2);
        return queue ? queue->enable : 0;
    case VIRTIO_PCI_COMMON_QUEUE_NOTIFY_OFF:
        expect_width(device, width, 2);
        return queue ? queue->notify_off : 0;
    case VIRTIO_PCI_COMMON_QUEUE_DESC:
    case VIRTIO_PCI_COMMON_QUEUE_DESC + 4:
    case VIRTIO_PCI_COMMON_QUEUE_DRIVER:
    case VIRTIO_PCI_COMMON_QUEUE_DRIVER + 4:
    case VIRTIO_PCI_COMMON_QUEUE_DEVICE:
    case VIRTIO_PCI_COMMON_QUEUE_DEVICE + 4: {
        expect_width(device, width, 4);
        if (!queue) {
            return 0;
        }
        uint64_t base = offset & ~7ull;
        uint64_t value = base == VIRTIO_PCI_COMMON_QUEUE_DESC     ? queue->descriptors
                         : base == VIRTIO_PCI_COMMON_QUEUE_DRIVER ? queue->driver
                                                                  : queue->device;
        return (uint32_t)(value >> (offset % 8 * 8));
    }
    default:
        device->access_errors++;
        return 0;
    }
}

/* Sets the 32-bit half of *field at byte offset half (0 or 4). */
static void set_half(uint64_t *field, uint64_t half, uint64_t value)
{
    unsigned shift = (unsigned)(half * 8);
    *field = (*field & ~(0xffffffffull << shift)) | ((value & 0xffffffffull) << shift);
}

static uint16_t vector_taken(const struct fake_virtio_pci *device, uint64_t vector)
{
    if (device->refuse_vectors || (vector != VIRTIO_MSI_NO_VECTOR && vector >= device->msix_vectors)) {
        return VIRTIO_MSI_NO_VECTOR;
    }
    return (uint16_t)vector;
}

static void write_status(struct fake_virtio_pci *device, uint8_t value)
{
    if (device->status_write_count < FAKE_STATUS_WRITES) {
        device->status_writes[device->status_write_count++] = value;
    }
    if (value == 0) {
        uint8_t old = device->status;
        reset(device);
        device->reset_reads_left = old != 0 ? device->reset_reads : 0;
        return;
    }
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(device->status & VIRTIO_STATUS_FEATURES_OK)) {
        bool not_offered = (device->driver_features & ~device->offered_features) != 0;
        if (not_offered) {
            device->access_errors++;
        }
        if (not_offered || device->refuse_features) {
            value &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
        }
    }
    device->status = value;
}

static void enable_queue(struct fake_virtio_pci *device, struct fake_pci_queue *queue, uint64_t value)
{
    if (value != 1 || queue->descriptors % 16 != 0 || queue->driver % 2 != 0 || queue->device % 4 != 0) {
        device->access_errors++; /* the driver MUST NOT write 0; areas aligned as the spec says */
        return;
    }
    queue->enable = 1;
    fake_queue_init(&queue->ring, device->dma, queue->size, queue->descriptors, queue->driver, queue->device);
}

static void common_write(struct fake_virtio_pci *device, uint64_t offset, unsigned width, uint64_t value)
{
    struct fake_pci_queue *queue = selected(device);
    switch (offset) {
    case VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT:
        expect_width(device, width, 4);
        device->device_feature_select = (uint32_t)value;
        return;
    case VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT:
        expect_width(device, width, 4);
        device->driver_feature_select = (uint32_t)value;
        return;
    case VIRTIO_PCI_COMMON_DRIVER_FEATURE:
        expect_width(device, width, 4);
        if (device->driver_feature_select < 2) {
            set_half(&device->driver_features, 4 * device->driver_feature_select, value);
        }
        return;
    case VIRTIO_PCI_COMMON_CONFIG_MSIX_VECTOR:
        expect_width(device, width, 2);
        device->config_msix_vector = vector_taken(device, value);
        return;
    case VIRTIO_PCI_COMMON_DEVICE_STATUS:
        expect_width(device, width, 1);
        write_status(device, (uint8_t)value);
        return;
    case VIRTIO_PCI_COMMON_QUEUE_SELECT:
        expect_width(device, width, 2);
        device->queue_select = (uint16_t)value;
        return;
    default:
        break;
    }
    if (!queue) {
        device->access_errors++;
        return;
    }
    switch (offset) {
    case VIRTIO_PCI_COMMON_QUEUE_SIZE:
        expect_width(device, width, 2);
        if (value == 0 || value > queue->max_size || (value & (value - 1)) != 0) {
            device->access_errors++;
        }
        if (!device->fixed_queue_sizes) {
            queue->size = (uint16_t)value;
        }
        return;
    case VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR:
        expect_width(device, width, 2);
        queue->msix_vector = vector_taken(device, value);
        return;
    case VIRTIO_PCI_COMMON_QUEUE_ENABLE:
        expect_width(device, width, 2);
        enable_queue(device, queue, value);
        return;
    case VIRTIO_PCI_COMMON_QUEUE_DESC:
    case VIRTIO_PCI_COMMON_QUEUE_DESC + 4:
        expect_width(device, width, 4);
        set_half(&queue->descriptors, offset % 8, value);
        return;
    case VIRTIO_PCI_COMMON_QUEUE_DRIVER:
    case VIRTIO_PCI_COMMON_QUEUE_DRIVER + 4:
        expect_width(device, width, 4);
        set_half(&queue->driver, offset % 8, value);
        return;
    case VIRTIO_PCI_COMMON_QUEUE_DEVICE:
    case VIRTIO_PCI_COMMON_QUEUE_DEVICE + 4:
        expect_width(device, width, 4);
        set_half(&queue->device, offset % 8, value);
        return;
    default:
        device->access_errors++; /* read-only or unknown */
        return;
    }
}

static void notify_write(struct fake_virtio_pci *device, uint64_t offset, unsigned width, uint64_t value)
{
    expect_width(device, width, VIRTIO_PCI_NOTIFY_WIDTH);
    for (unsigned i = 0; i < FAKE_QUEUES && i < device->num_queues; i++) {
        if ((uint64_t)device->queues[i].notify_off * device->notify_multiplier == offset && value == i) {
            if (!(device->status & VIRTIO_STATUS_DRIVER_OK)) {
                device->early_notifications++;
            } else {
                device->queues[i].notifications++;
            }
            return;
        }
    }
    device->access_errors++;
}

static uint64_t config_read(struct fake_virtio_pci *device, uint64_t offset, unsigned width)
{
    if (device->config_changes_on_read != 0) {
        device->config_changes_on_read--;
        device->generation++;
    }
    uint64_t value = 0;
    for (unsigned i = width; i-- > 0;) {
        value = value << 8 | device->config[offset + i];
    }
    return value;
}

static uint64_t region_read(void *context, uint64_t offset, unsigned width)
{
    struct fake_region *region = context;
    struct fake_virtio_pci *device = region->device;
    if (offset % width != 0 || offset + width > device->lengths[region->kind] ||
        (region->kind == FAKE_DEVICE && offset + width > FAKE_CONFIG_SIZE)) {
        device->access_errors++;
        return ~0ull >> (64 - 8 * width); /* all ones, as nothing answering reads */
    }
    switch (region->kind) {
    case FAKE_COMMON:
        return common_read(device, offset, width);
    case FAKE_ISR: {
        expect_width(device, width, 1);
        uint8_t isr = device->isr;
        device->isr = 0;
        return isr;
    }
    case FAKE_DEVICE:
        return config_read(device, offset, width);
    default:
        device->access_errors++; /* the notify structure is written only */
        return 0;
    }
}

static void region_write(void *context, uint64_t offset, unsigned width, uint64_t value)
{
    struct fake_region *region = context;
    struct fake_virtio_pci *device = region->device;
    if (offset % width != 0 || offset + width > device->lengths[region->kind]) {
        device->access_errors++;
        return;
    }
    switch (region->kind) {
    case FAKE_COMMON:
        common_write(device, offset, width, value);
        return;
    case FAKE_NOTIFY:
        notify_write(device, offset, width, value);
        return;
    default:
        device->access_errors++; /* ISR and device configuration are read-only for the driver */
        return;
    }
}

static uint8_t read8(void *context, uint64_t offset)
{
    return (uint8_t)region_read(context, offset, 1);
}

static uint16_t read16(void *context, uint64_t offset)
{
    return (uint16_t)region_read(context, offset, 2);
}

static uint32_t read32(void *context, uint64_t offset)
{
    return (uint32_t)region_read(context, offset, 4);
}

static uint64_t read64(void *context, uint64_t offset)
{
    return region_read(context, offset, 8);
}

static void write8(void *context, uint64_t offset, uint8_t value)
{
    region_write(context, offset, 1, value);
}

static void write16(void *context, uint64_t offset, uint16_t value)
{
    region_write(context, offset, 2, value);
}

static void write32(void *context, uint64_t offset, uint32_t value)
{
    region_write(context, offset, 4, value);
}

static void write64(void *context, uint64_t offset, uint64_t value)
{
    region_write(context, offset, 8, value);
}

static struct virtio_pci_region region(struct fake_virtio_pci *device, enum fake_region_kind kind)
{
    return (struct virtio_pci_region){
        .mmio =
            {
                .read8 = read8,
                .read16 = read16,
                .read32 = read32,
                .read64 = read64,
                .write8 = write8,
                .write16 = write16,
                .write32 = write32,
                .write64 = write64,
                .context = &device->regions[kind],
            },
        .length = device->lengths[kind],
    };
}

struct virtio_pci_regions fake_virtio_pci_regions(struct fake_virtio_pci *device)
{
    return (struct virtio_pci_regions){
        .common = region(device, FAKE_COMMON),
        .notify = region(device, FAKE_NOTIFY),
        .notify_off_multiplier = device->notify_multiplier,
        .isr = region(device, FAKE_ISR),
        .device = region(device, FAKE_DEVICE),
        .msix_vectors = device->msix_vectors,
    };
}

size_t fake_virtio_pci_transmit(struct fake_virtio_pci *device)
{
    struct fake_queue *ring = fake_virtio_pci_ring(device, VIRTIO_NET_TRANSMIT_QUEUE);
    size_t sent = 0;
    struct fake_chain chain;
    while (device->queues[VIRTIO_NET_TRANSMIT_QUEUE].enable && fake_queue_pop(ring, &chain)) {
        uint8_t bytes[VIRTIO_NET_HEADER_SIZE + FAKE_FRAME_BYTES];
        size_t length = 0;
        for (uint16_t i = 0; i < chain.count; i++) {
            const struct fake_segment *segment = &chain.segments[i];
            if (segment->writable || length + segment->length > sizeof(bytes)) {
                ring->driver_errors++;
                break;
            }
            memcpy(bytes + length, segment->host, segment->length);
            length += segment->length;
        }
        static const uint8_t zero_header[VIRTIO_NET_HEADER_SIZE] = {0};
        if (length < VIRTIO_NET_HEADER_SIZE || memcmp(bytes, zero_header, VIRTIO_NET_HEADER_SIZE) != 0) {
            device->header_errors++;
        } else if (device->frame_count < FAKE_FRAMES) {
            device->frame_lengths[device->frame_count] = length - VIRTIO_NET_HEADER_SIZE;
            memcpy(device->frames[device->frame_count], bytes + VIRTIO_NET_HEADER_SIZE,
                   length - VIRTIO_NET_HEADER_SIZE);
            device->frame_count++;
        }
        fake_queue_push(ring, chain.head, 0); /* nothing written into a transmit buffer */
        sent++;
    }
    return sent;
}

size_t fake_virtio_pci_hold_transmit(struct fake_virtio_pci *device, struct fake_chain *held, size_t capacity)
{
    struct fake_queue *ring = fake_virtio_pci_ring(device, VIRTIO_NET_TRANSMIT_QUEUE);
    size_t count = 0;
    while (count < capacity && device->queues[VIRTIO_NET_TRANSMIT_QUEUE].enable && fake_queue_pop(ring, &held[count])) {
        count++;
    }
    return count;
}

bool fake_virtio_pci_receive(struct fake_virtio_pci *device, const uint8_t *frame, size_t length)
{
    struct fake_queue *ring = fake_virtio_pci_ring(device, VIRTIO_NET_RECEIVE_QUEUE);
    struct fake_chain chain;
    if (!device->queues[VIRTIO_NET_RECEIVE_QUEUE].enable || !fake_queue_pop(ring, &chain)) {
        return false;
    }
    uint8_t bytes[VIRTIO_NET_HEADER_SIZE + FAKE_FRAME_BYTES] = {0};
    put16(bytes + VIRTIO_NET_HEADER_NUM_BUFFERS, 1);
    size_t total = VIRTIO_NET_HEADER_SIZE + length;
    if (chain.readable_bytes != 0 || total > chain.writable_bytes || length > FAKE_FRAME_BYTES) {
        ring->driver_errors++;
        fake_queue_push(ring, chain.head, 0);
        return false;
    }
    memcpy(bytes + VIRTIO_NET_HEADER_SIZE, frame, length);
    size_t done = 0;
    for (uint16_t i = 0; i < chain.count && done < total; i++) {
        size_t part = total - done < chain.segments[i].length ? total - done : chain.segments[i].length;
        memcpy(chain.segments[i].host, bytes + done, part);
        done += part;
    }
    fake_queue_push(ring, chain.head, (uint32_t)total);
    return true;
}

void fake_virtio_pci_set_link(struct fake_virtio_pci *device, bool up)
{
    put16(device->config + VIRTIO_NET_CONFIG_STATUS, up ? VIRTIO_NET_S_LINK_UP : 0);
    device->generation++;
    device->isr |= VIRTIO_PCI_ISR_CONFIG;
}

bool fake_virtio_pci_status_has(const struct fake_virtio_pci *device, uint8_t bit)
{
    return device->status_write_count != 0 && (device->status_writes[device->status_write_count - 1] & bit) != 0;
}
