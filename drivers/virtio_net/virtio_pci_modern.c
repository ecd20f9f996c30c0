#include "virtio_pci_modern.h"

#include "virtio_pci_registers.h"
#include "virtio_spec.h"

const char *virtio_pci_result_reason(enum virtio_pci_result result)
{
    switch (result) {
    case VIRTIO_PCI_OK:
        return "no error";
    case VIRTIO_PCI_ERROR_ARGUMENT:
        return "invalid argument";
    case VIRTIO_PCI_ERROR_STATE:
        return "step out of order in the device's initialisation";
    case VIRTIO_PCI_ERROR_REGION:
        return "a virtio structure is missing or too short";
    case VIRTIO_PCI_ERROR_RESET_TIMEOUT:
        return "the device did not complete its reset";
    case VIRTIO_PCI_ERROR_NO_VERSION_1:
        return "the device does not offer VIRTIO_F_VERSION_1";
    case VIRTIO_PCI_ERROR_FEATURES_REFUSED:
        return "the device refused the features (FEATURES_OK not kept)";
    case VIRTIO_PCI_ERROR_QUEUE_MISSING:
        return "the device has no such queue";
    case VIRTIO_PCI_ERROR_QUEUE_SIZE:
        return "the device's queue size is not a power of two";
    case VIRTIO_PCI_ERROR_QUEUE_ENABLED:
        return "the queue was enabled before the driver set it up";
    case VIRTIO_PCI_ERROR_NOTIFY_OFFSET:
        return "the queue's notify address lies outside the notify structure";
    case VIRTIO_PCI_ERROR_NO_MEMORY:
        return "no DMA memory for the queue";
    case VIRTIO_PCI_ERROR_MEMORY_ALIGNMENT:
        return "DMA memory not aligned to 16 bytes";
    case VIRTIO_PCI_ERROR_VECTOR:
        return "MSI-X vector beyond the table";
    case VIRTIO_PCI_ERROR_VECTOR_REFUSED:
        return "the device refused an MSI-X vector";
    case VIRTIO_PCI_ERROR_CONFIG_RANGE:
        return "configuration field beyond the device-specific structure";
    case VIRTIO_PCI_ERROR_CONFIG_UNSTABLE:
        return "the device configuration kept changing while read";
    case VIRTIO_PCI_ERROR_ISR_MISSING:
        return "the device has no ISR status structure";
    }
    return "unknown transport result";
}

/* The common configuration's registers, each with an access of its own width. */
static uint8_t common_read8(const struct virtio_pci *transport, uint32_t offset)
{
    const struct mmio *mmio = &transport->regions.common.mmio;
    return mmio->read8(mmio->context, offset);
}

static uint16_t common_read16(const struct virtio_pci *transport, uint32_t offset)
{
    const struct mmio *mmio = &transport->regions.common.mmio;
    return mmio->read16(mmio->context, offset);
}

static uint32_t common_read32(const struct virtio_pci *transport, uint32_t offset)
{
    const struct mmio *mmio = &transport->regions.common.mmio;
    return mmio->read32(mmio->context, offset);
}

static void common_write8(const struct virtio_pci *transport, uint32_t offset, uint8_t value)
{
    const struct mmio *mmio = &transport->regions.common.mmio;
    mmio->write8(mmio->context, offset, value);
}

static void common_write16(const struct virtio_pci *transport, uint32_t offset, uint16_t value)
{
    const struct mmio *mmio = &transport->regions.common.mmio;
    mmio->write16(mmio->context, offset, value);
}

static void common_write32(const struct virtio_pci *transport, uint32_t offset, uint32_t value)
{
    const struct mmio *mmio = &transport->regions.common.mmio;
    mmio->write32(mmio->context, offset, value);
}

/* A 64-bit field as two 32-bit halves, low first (spec 4.1.3.1). */
static void common_write64(const struct virtio_pci *transport, uint32_t offset, uint64_t value)
{
    common_write32(transport, offset, (uint32_t)value);
    common_write32(transport, offset + 4, (uint32_t)(value >> 32));
}

static void write_status(struct virtio_pci *transport, uint8_t status)
{
    transport->status = status;
    common_write8(transport, VIRTIO_PCI_COMMON_DEVICE_STATUS, status);
}

static bool has_accessors(const struct mmio *mmio)
{
    return mmio->read8 && mmio->read16 && mmio->read32 && mmio->write8 && mmio->write16 && mmio->write32;
}

enum virtio_pci_result virtio_pci_init(struct virtio_pci *transport, const struct virtio_pci_regions *regions)
{
    if (!transport || !regions) {
        return VIRTIO_PCI_ERROR_ARGUMENT;
    }
    *transport = (struct virtio_pci){0};
    if (regions->common.length < VIRTIO_PCI_COMMON_SIZE || !has_accessors(&regions->common.mmio) ||
        regions->notify.length < VIRTIO_PCI_NOTIFY_WIDTH || !regions->notify.mmio.write16 ||
        (regions->isr.length != 0 && !regions->isr.mmio.read8) ||
        (regions->device.length != 0 && !has_accessors(&regions->device.mmio)) ||
        regions->msix_vectors > VIRTIO_MSIX_MAX_VECTORS) {
        return VIRTIO_PCI_ERROR_REGION;
    }
    transport->regions = *regions;
    return VIRTIO_PCI_OK;
}

enum virtio_pci_result virtio_pci_reset(struct virtio_pci *transport)
{
    write_status(transport, 0);
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        transport->queue_ready[i] = false;
    }
    transport->driver_features = 0;
    for (unsigned poll = 0; poll < VIRTIO_PCI_RESET_POLLS; poll++) {
        if (common_read8(transport, VIRTIO_PCI_COMMON_DEVICE_STATUS) == 0) {
            return VIRTIO_PCI_OK;
        }
    }
    return VIRTIO_PCI_ERROR_RESET_TIMEOUT;
}

void virtio_pci_fail(struct virtio_pci *transport)
{
    write_status(transport, (uint8_t)(transport->status | VIRTIO_STATUS_FAILED));
}

enum virtio_pci_result virtio_pci_start(struct virtio_pci *transport, uint64_t *offered)
{
    enum virtio_pci_result result = virtio_pci_reset(transport);
    if (result != VIRTIO_PCI_OK) {
        return result;
    }
    write_status(transport, VIRTIO_STATUS_ACKNOWLEDGE);
    write_status(transport, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    common_write32(transport, VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT, 0);
    uint64_t low = common_read32(transport, VIRTIO_PCI_COMMON_DEVICE_FEATURE);
    common_write32(transport, VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT, 1);
    uint64_t high = common_read32(transport, VIRTIO_PCI_COMMON_DEVICE_FEATURE);
    transport->device_features = high << 32 | low;
    transport->num_queues = common_read16(transport, VIRTIO_PCI_COMMON_NUM_QUEUES);
    if (offered) {
        *offered = transport->device_features;
    }
    if (!(transport->device_features & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
        virtio_pci_fail(transport);
        return VIRTIO_PCI_ERROR_NO_VERSION_1;
    }
    return VIRTIO_PCI_OK;
}

enum virtio_pci_result virtio_pci_negotiate(struct virtio_pci *transport, uint64_t wanted)
{
    if (transport->status != (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) {
        return VIRTIO_PCI_ERROR_STATE;
    }
    uint64_t accepted = (wanted | VIRTIO_FEATURE(VIRTIO_F_VERSION_1)) & transport->device_features;
    common_write32(transport, VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT, 0);
    common_write32(transport, VIRTIO_PCI_COMMON_DRIVER_FEATURE, (uint32_t)accepted);
    common_write32(transport, VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT, 1);
    common_write32(transport, VIRTIO_PCI_COMMON_DRIVER_FEATURE, (uint32_t)(accepted >> 32));
    write_status(transport, (uint8_t)(transport->status | VIRTIO_STATUS_FEATURES_OK));
    if (!(common_read8(transport, VIRTIO_PCI_COMMON_DEVICE_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_pci_fail(transport);
        return VIRTIO_PCI_ERROR_FEATURES_REFUSED;
    }
    transport->driver_features = accepted;
    return VIRTIO_PCI_OK;
}

bool virtio_pci_has_feature(const struct virtio_pci *transport, unsigned bit)
{
    return bit < 64 && (transport->driver_features & VIRTIO_FEATURE(bit)) != 0;
}

/* Between FEATURES_OK and DRIVER_OK, with nothing failed: where queues and vectors are set up. */
static bool configuring(const struct virtio_pci *transport)
{
    return (transport->status & VIRTIO_STATUS_FEATURES_OK) &&
           !(transport->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED));
}

static bool valid_vector(const struct virtio_pci *transport, uint16_t vector)
{
    return vector == VIRTIO_MSI_NO_VECTOR || vector < transport->regions.msix_vectors;
}

/* Writes vector to the register at offset and reads it back: the device answers NO_VECTOR when it cannot map it. */
static enum virtio_pci_result map_vector(const struct virtio_pci *transport, uint32_t offset, uint16_t vector)
{
    if (!valid_vector(transport, vector)) {
        return VIRTIO_PCI_ERROR_VECTOR;
    }
    common_write16(transport, offset, vector);
    return common_read16(transport, offset) == vector ? VIRTIO_PCI_OK : VIRTIO_PCI_ERROR_VECTOR_REFUSED;
}

enum virtio_pci_result virtio_pci_set_config_vector(struct virtio_pci *transport, uint16_t vector)
{
    if (!configuring(transport)) {
        return VIRTIO_PCI_ERROR_STATE;
    }
    return map_vector(transport, VIRTIO_PCI_COMMON_CONFIG_MSIX_VECTOR, vector);
}

static bool power_of_two(uint32_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

/* The queue's notify offset (queue_select already written), checked to fit a 16-bit write in the notify region. */
static enum virtio_pci_result notify_offset(const struct virtio_pci *transport, uint64_t *offset)
{
    uint64_t notify_off = common_read16(transport, VIRTIO_PCI_COMMON_QUEUE_NOTIFY_OFF);
    uint64_t candidate = notify_off * transport->regions.notify_off_multiplier; /* at most 2^48: no overflow */
    if (candidate % VIRTIO_PCI_NOTIFY_WIDTH != 0 ||
        candidate > transport->regions.notify.length - VIRTIO_PCI_NOTIFY_WIDTH) {
        return VIRTIO_PCI_ERROR_NOTIFY_OFFSET;
    }
    *offset = candidate;
    return VIRTIO_PCI_OK;
}

/* DMA memory for a queue of size entries, checked, laid out by queue. */
static enum virtio_pci_result allocate_queue(const struct dma_allocator *dma, uint16_t size, struct virtq_driver *queue)
{
    size_t bytes = virtq_driver_memory_bytes(size);
    uint64_t device_address = 0;
    void *memory = dma->allocate(dma->context, bytes, &device_address);
    if (!memory) {
        return VIRTIO_PCI_ERROR_NO_MEMORY;
    }
    switch (virtq_driver_init(queue, size, memory, device_address)) {
    case VIRTQ_DRIVER_OK:
        return VIRTIO_PCI_OK;
    case VIRTQ_DRIVER_ERROR_MEMORY_ALIGNMENT:
        return VIRTIO_PCI_ERROR_MEMORY_ALIGNMENT;
    default:
        return VIRTIO_PCI_ERROR_NO_MEMORY; /* a device address range that wraps: unusable memory */
    }
}

enum virtio_pci_result virtio_pci_setup_queue(struct virtio_pci *transport, uint16_t index, uint16_t max_size,
                                              uint16_t vector, const struct dma_allocator *dma,
                                              struct virtq_driver *queue)
{
    if (index >= VIRTIO_PCI_MAX_QUEUES || !power_of_two(max_size) || max_size > VIRTQ_DRIVER_SIZE_MAX || !dma ||
        !dma->allocate || !queue) {
        return VIRTIO_PCI_ERROR_ARGUMENT;
    }
    if (!configuring(transport) || transport->queue_ready[index]) {
        return VIRTIO_PCI_ERROR_STATE;
    }
    if (!valid_vector(transport, vector)) {
        return VIRTIO_PCI_ERROR_VECTOR;
    }
    if (index >= transport->num_queues) {
        return VIRTIO_PCI_ERROR_QUEUE_MISSING;
    }
    common_write16(transport, VIRTIO_PCI_COMMON_QUEUE_SELECT, index);
    uint16_t device_size = common_read16(transport, VIRTIO_PCI_COMMON_QUEUE_SIZE);
    if (device_size == 0) {
        return VIRTIO_PCI_ERROR_QUEUE_MISSING;
    }
    if (!power_of_two(device_size)) {
        return VIRTIO_PCI_ERROR_QUEUE_SIZE;
    }
    if (common_read16(transport, VIRTIO_PCI_COMMON_QUEUE_ENABLE) != 0) {
        return VIRTIO_PCI_ERROR_QUEUE_ENABLED;
    }
    uint64_t notify = 0;
    enum virtio_pci_result result = notify_offset(transport, &notify);
    if (result != VIRTIO_PCI_OK) {
        return result;
    }
    uint16_t size = device_size < max_size ? device_size : max_size;
    result = allocate_queue(dma, size, queue);
    if (result != VIRTIO_PCI_OK) {
        return result;
    }
    struct virtq_driver_areas areas = virtq_driver_areas(queue);
    common_write16(transport, VIRTIO_PCI_COMMON_QUEUE_SIZE, size);
    if (common_read16(transport, VIRTIO_PCI_COMMON_QUEUE_SIZE) != size) {
        return VIRTIO_PCI_ERROR_QUEUE_SIZE; /* it would use rings of another size than the memory holds */
    }
    common_write64(transport, VIRTIO_PCI_COMMON_QUEUE_DESC, areas.descriptors);
    common_write64(transport, VIRTIO_PCI_COMMON_QUEUE_DRIVER, areas.driver);
    common_write64(transport, VIRTIO_PCI_COMMON_QUEUE_DEVICE, areas.device);
    result = map_vector(transport, VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR, vector);
    if (result != VIRTIO_PCI_OK) {
        return result;
    }
    common_write16(transport, VIRTIO_PCI_COMMON_QUEUE_ENABLE, 1);
    transport->notify_offset[index] = notify;
    transport->queue_ready[index] = true;
    return VIRTIO_PCI_OK;
}

enum virtio_pci_result virtio_pci_ready(struct virtio_pci *transport)
{
    if (!configuring(transport)) {
        return VIRTIO_PCI_ERROR_STATE;
    }
    write_status(transport, (uint8_t)(transport->status | VIRTIO_STATUS_DRIVER_OK));
    return VIRTIO_PCI_OK;
}

enum virtio_pci_result virtio_pci_notify(struct virtio_pci *transport, uint16_t index)
{
    if (index >= VIRTIO_PCI_MAX_QUEUES) {
        return VIRTIO_PCI_ERROR_ARGUMENT;
    }
    if (!transport->queue_ready[index] || !(transport->status & VIRTIO_STATUS_DRIVER_OK)) {
        return VIRTIO_PCI_ERROR_STATE;
    }
    const struct mmio *mmio = &transport->regions.notify.mmio;
    mmio->write16(mmio->context, transport->notify_offset[index], index);
    return VIRTIO_PCI_OK;
}

static enum virtio_pci_result check_field(const struct virtio_pci *transport,
                                          const struct virtio_pci_config_field *field)
{
    if ((field->width != 1 && field->width != 2 && field->width != 4) || field->offset % field->width != 0) {
        return VIRTIO_PCI_ERROR_ARGUMENT;
    }
    if ((uint64_t)field->offset + field->width > transport->regions.device.length) {
        return VIRTIO_PCI_ERROR_CONFIG_RANGE;
    }
    return VIRTIO_PCI_OK;
}

static uint32_t read_field(const struct virtio_pci *transport, const struct virtio_pci_config_field *field)
{
    const struct mmio *mmio = &transport->regions.device.mmio;
    switch (field->width) {
    case 1:
        return mmio->read8(mmio->context, field->offset);
    case 2:
        return mmio->read16(mmio->context, field->offset);
    default:
        return mmio->read32(mmio->context, field->offset);
    }
}

enum virtio_pci_result virtio_pci_read_config(struct virtio_pci *transport, struct virtio_pci_config_field *fields,
                                              size_t count)
{
    if (!fields && count != 0) {
        return VIRTIO_PCI_ERROR_ARGUMENT;
    }
    for (size_t i = 0; i < count; i++) {
        enum virtio_pci_result result = check_field(transport, &fields[i]);
        if (result != VIRTIO_PCI_OK) {
            return result;
        }
    }
    for (unsigned attempt = 0; attempt < VIRTIO_PCI_CONFIG_ATTEMPTS; attempt++) {
        uint8_t before = common_read8(transport, VIRTIO_PCI_COMMON_CONFIG_GENERATION);
        for (size_t i = 0; i < count; i++) {
            fields[i].value = read_field(transport, &fields[i]);
        }
        if (common_read8(transport, VIRTIO_PCI_COMMON_CONFIG_GENERATION) == before) {
            return VIRTIO_PCI_OK;
        }
    }
    return VIRTIO_PCI_ERROR_CONFIG_UNSTABLE;
}

uint8_t virtio_pci_device_status(const struct virtio_pci *transport)
{
    return common_read8(transport, VIRTIO_PCI_COMMON_DEVICE_STATUS);
}

enum virtio_pci_result virtio_pci_read_isr(const struct virtio_pci *transport, uint8_t *isr)
{
    if (transport->regions.isr.length == 0) {
        return VIRTIO_PCI_ERROR_ISR_MISSING;
    }
    const struct mmio *mmio = &transport->regions.isr.mmio;
    *isr = mmio->read8(mmio->context, 0);
    return VIRTIO_PCI_OK;
}
