#include "virtio_mmio.h"

#include "virtio_spec.h"

#define ALL_STATUS_BITS                                                                                                \
    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK |          \
     VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)
#define ALL_INTERRUPT_BITS (VIRTIO_MMIO_INTERRUPT_USED_BUFFER | VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE)

/* The ring features the queues implement, offered with every device's own. */
#define TRANSPORT_FEATURES                                                                                             \
    (VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX))

/* Legacy (version 1) registers: GuestPageSize, QueueAlign, QueuePFN. */
#define LEGACY_REG_GUEST_PAGE_SIZE 0x028u
#define LEGACY_REG_QUEUE_ALIGN 0x03cu
#define LEGACY_REG_QUEUE_PFN 0x040u

/* No shared memory regions: the spec has an absent region read as length and base -1. */
#define NO_SHARED_MEMORY_REGION 0xffffffffu

static uint64_t offered_features(const struct virtio_mmio_device *transport)
{
    return transport->ops->features | TRANSPORT_FEATURES;
}

static void raise_interrupt(struct virtio_mmio_device *transport, uint32_t reason)
{
    transport->interrupt_status |= reason;
    transport->raise_interrupt(transport->interrupt_context);
}

/* Everything the driver set up goes; ConfigGeneration stays, as it only has to change when the config does. */
static void reset_transport(struct virtio_mmio_device *transport)
{
    transport->status = 0;
    transport->device_features_select = 0;
    transport->driver_features_select = 0;
    transport->driver_features = 0;
    transport->queue_select = 0;
    transport->interrupt_status = 0;
    transport->needs_reset_reason = NULL;
    for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
        transport->layouts[i] = (struct virtq_layout){.size = VIRTQ_MAX_SIZE};
        virtq_stop(&transport->queues[i]);
    }
}

const char *virtio_mmio_init(struct virtio_mmio_device *transport, const struct virtio_device_ops *ops, void *device,
                             const struct guest_memory *memory, void (*raise_interrupt_callback)(void *context),
                             void *interrupt_context)
{
    if (ops->device_id == 0) {
        return "device ID 0 means no device to a driver";
    }
    if (ops->queue_count == 0 || ops->queue_count > VIRTIO_MMIO_MAX_QUEUES) {
        return "a device has 1 to VIRTIO_MMIO_MAX_QUEUES queues";
    }
    if (ops->features & ~VIRTIO_DEVICE_TYPE_FEATURES) {
        return "device features may only use the device-type bits (the transport sets the others)";
    }
    if (ops->config_size > VIRTIO_MMIO_CONFIG_MAX) {
        return "configuration space larger than VIRTIO_MMIO_CONFIG_MAX";
    }
    if (ops->config_size > 0 && (!ops->config_read || !ops->config_write)) {
        return "a configuration space needs config_read and config_write";
    }
    if (!ops->queue_notify || !raise_interrupt_callback) {
        return "queue_notify and raise_interrupt are required";
    }
    *transport = (struct virtio_mmio_device){
        .ops = ops,
        .device = device,
        .memory = memory,
        .raise_interrupt = raise_interrupt_callback,
        .interrupt_context = interrupt_context,
    };
    reset_transport(transport);
    return NULL;
}

struct virtq *virtio_mmio_queue(struct virtio_mmio_device *transport, uint16_t index)
{
    return index < transport->ops->queue_count ? &transport->queues[index] : NULL;
}

static bool queue_selected(const struct virtio_mmio_device *transport)
{
    return transport->queue_select < transport->ops->queue_count;
}

/* Hands the device a notification if it may act on it now. */
static void notify_device(struct virtio_mmio_device *transport, uint16_t index)
{
    bool running =
        (transport->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK;
    if (running && transport->queues[index].ready) {
        transport->ops->queue_notify(transport->device, index);
    }
}

static bool features_acceptable(const struct virtio_mmio_device *transport)
{
    uint64_t features = transport->driver_features;
    return (features & ~offered_features(transport)) == 0 && (features & VIRTIO_FEATURE(VIRTIO_F_VERSION_1)) != 0;
}

/*
 * Writing 0 resets; otherwise the driver only adds bits, in the order of the
 * initialization sequence (spec 3.1.1). FEATURES_OK is kept only if the
 * driver's features are acceptable: the driver reads Status back to learn
 * that. The driver's copy of DEVICE_NEEDS_RESET is ignored: that bit is the
 * device's.
 */
static const char *write_status(struct virtio_mmio_device *transport, uint32_t value)
{
    if (value == 0) {
        reset_transport(transport);
        if (transport->ops->reset) {
            transport->ops->reset(transport->device);
        }
        return NULL;
    }
    if (value & ~ALL_STATUS_BITS) {
        return "Status bits the spec does not define";
    }
    uint32_t current = transport->status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    uint32_t requested = value & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if ((requested & current) != current) {
        return "the driver cleared Status bits (only writing 0 resets)";
    }
    if ((requested & VIRTIO_STATUS_DRIVER) && !(requested & VIRTIO_STATUS_ACKNOWLEDGE)) {
        return "Status DRIVER without ACKNOWLEDGE";
    }
    if ((requested & VIRTIO_STATUS_FEATURES_OK) && !(requested & VIRTIO_STATUS_DRIVER)) {
        return "Status FEATURES_OK without DRIVER";
    }
    if ((requested & VIRTIO_STATUS_DRIVER_OK) && !(requested & VIRTIO_STATUS_FEATURES_OK)) {
        return "Status DRIVER_OK without FEATURES_OK";
    }
    uint32_t added = requested & ~current;
    if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(transport)) {
        if (requested & VIRTIO_STATUS_DRIVER_OK) {
            return "Status DRIVER_OK with features the device refused";
        }
        requested &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    transport->status = requested | (transport->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    if (added & VIRTIO_STATUS_DRIVER_OK) {
        /* Buffers a driver made available before DRIVER_OK were not acted on; look at them now. */
        for (uint16_t i = 0; i < transport->ops->queue_count; i++) {
            notify_device(transport, i);
        }
    }
    return NULL;
}

static const char *write_driver_features(struct virtio_mmio_device *transport, uint32_t value)
{
    if ((transport->status & (VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)) != VIRTIO_STATUS_DRIVER) {
        return "DriverFeatures written outside negotiation (after DRIVER, before FEATURES_OK)";
    }
    switch (transport->driver_features_select) {
    case 0:
        transport->driver_features = (transport->driver_features & ~0xffffffffull) | value;
        return NULL;
    case 1:
        transport->driver_features = (transport->driver_features & 0xffffffffull) | (uint64_t)value << 32;
        return NULL;
    default:
        return value == 0 ? NULL : "DriverFeatures above bit 63, which no device offers";
    }
}

static void set_low_half(uint64_t *address, uint32_t value)
{
    *address = (*address & ~0xffffffffull) | value;
}

static void set_high_half(uint64_t *address, uint32_t value)
{
    *address = (*address & 0xffffffffull) | (uint64_t)value << 32;
}

/* QueueNum and the area addresses: only for an existing queue, and only while it is not ready. */
static const char *write_queue_layout(struct virtio_mmio_device *transport, uint64_t offset, uint32_t value)
{
    if (!queue_selected(transport)) {
        return "QueueSel names no queue of this device";
    }
    if (transport->queues[transport->queue_select].ready) {
        return "queue registers written while QueueReady is 1";
    }
    struct virtq_layout *layout = &transport->layouts[transport->queue_select];
    switch (offset) {
    case VIRTIO_MMIO_REG_QUEUE_NUM:
        layout->size = value;
        break;
    case VIRTIO_MMIO_REG_QUEUE_DESC_LOW:
        set_low_half(&layout->descriptor_table, value);
        break;
    case VIRTIO_MMIO_REG_QUEUE_DESC_HIGH:
        set_high_half(&layout->descriptor_table, value);
        break;
    case VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW:
        set_low_half(&layout->available_ring, value);
        break;
    case VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH:
        set_high_half(&layout->available_ring, value);
        break;
    case VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW:
        set_low_half(&layout->used_ring, value);
        break;
    default: /* VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH, the only other offset the caller passes */
        set_high_half(&layout->used_ring, value);
        break;
    }
    return NULL;
}

/* 1 checks the layout and starts the queue (the negotiated features decide its ring features); 0 stops it. */
static const char *write_queue_ready(struct virtio_mmio_device *transport, uint32_t value)
{
    if (!queue_selected(transport)) {
        return "QueueSel names no queue of this device";
    }
    struct virtq *queue = &transport->queues[transport->queue_select];
    if (value == 0) {
        virtq_stop(queue);
        return NULL;
    }
    if (value != 1) {
        return "QueueReady takes 0 or 1";
    }
    if (queue->ready) {
        return NULL;
    }
    if (!(transport->status & VIRTIO_STATUS_FEATURES_OK)) {
        return "QueueReady before FEATURES_OK";
    }
    enum virtq_result result =
        virtq_start(queue, transport->memory, &transport->layouts[transport->queue_select], transport->driver_features);
    return result == VIRTQ_OK ? NULL : virtq_result_reason(result);
}

/* Without VIRTIO_F_NOTIFICATION_DATA (not offered) the value is the queue index. */
static const char *write_queue_notify(struct virtio_mmio_device *transport, uint32_t value)
{
    if (value >= transport->ops->queue_count) {
        return "QueueNotify names no queue of this device";
    }
    notify_device(transport, (uint16_t)value);
    return NULL;
}

static const char *write_interrupt_ack(struct virtio_mmio_device *transport, uint32_t value)
{
    if (value & ~ALL_INTERRUPT_BITS) {
        return "InterruptACK with bits InterruptStatus does not define";
    }
    transport->interrupt_status &= ~value;
    return NULL;
}

static const char *write_register(struct virtio_mmio_device *transport, uint64_t offset, uint32_t value)
{
    switch (offset) {
    case VIRTIO_MMIO_REG_MAGIC_VALUE:
    case VIRTIO_MMIO_REG_VERSION:
    case VIRTIO_MMIO_REG_DEVICE_ID:
    case VIRTIO_MMIO_REG_VENDOR_ID:
    case VIRTIO_MMIO_REG_DEVICE_FEATURES:
    case VIRTIO_MMIO_REG_QUEUE_NUM_MAX:
    case VIRTIO_MMIO_REG_INTERRUPT_STATUS:
    case VIRTIO_MMIO_REG_SHM_LEN_LOW:
    case VIRTIO_MMIO_REG_SHM_LEN_HIGH:
    case VIRTIO_MMIO_REG_SHM_BASE_LOW:
    case VIRTIO_MMIO_REG_SHM_BASE_HIGH:
    case VIRTIO_MMIO_REG_CONFIG_GENERATION:
        /* Read-only registers: the spec forbids the driver to write them; ignoring the write changes nothing. */
        return NULL;
    case VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL:
        transport->device_features_select = value;
        return NULL;
    case VIRTIO_MMIO_REG_DRIVER_FEATURES:
        return write_driver_features(transport, value);
    case VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL:
        transport->driver_features_select = value;
        return NULL;
    case VIRTIO_MMIO_REG_QUEUE_SEL:
        /* Any value: a driver probes queues by reading QueueNumMax, which is 0 for one that does not exist. */
        transport->queue_select = value;
        return NULL;
    case VIRTIO_MMIO_REG_QUEUE_NUM:
    case VIRTIO_MMIO_REG_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_REG_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH:
        return write_queue_layout(transport, offset, value);
    case VIRTIO_MMIO_REG_QUEUE_READY:
        return write_queue_ready(transport, value);
    case VIRTIO_MMIO_REG_QUEUE_NOTIFY:
        return write_queue_notify(transport, value);
    case VIRTIO_MMIO_REG_INTERRUPT_ACK:
        return write_interrupt_ack(transport, value);
    case VIRTIO_MMIO_REG_STATUS:
        return write_status(transport, value);
    case VIRTIO_MMIO_REG_SHM_SEL:
        /* Every region is absent, so the selection changes nothing. */
        return NULL;
    case LEGACY_REG_GUEST_PAGE_SIZE:
    case LEGACY_REG_QUEUE_ALIGN:
    case LEGACY_REG_QUEUE_PFN:
        return "legacy virtio-mmio (version 1) register: only version 2 is offered";
    }
    return "no virtio-mmio register at this offset";
}

static const char *read_register(const struct virtio_mmio_device *transport, uint64_t offset, uint32_t *value)
{
    switch (offset) {
    case VIRTIO_MMIO_REG_MAGIC_VALUE:
        *value = VIRTIO_MMIO_MAGIC_VALUE;
        return NULL;
    case VIRTIO_MMIO_REG_VERSION:
        *value = VIRTIO_MMIO_VERSION;
        return NULL;
    case VIRTIO_MMIO_REG_DEVICE_ID:
        *value = transport->ops->device_id;
        return NULL;
    case VIRTIO_MMIO_REG_VENDOR_ID:
        *value = VIRTIO_MMIO_VENDOR_ID;
        return NULL;
    case VIRTIO_MMIO_REG_DEVICE_FEATURES:
        /* Bits 32 * DeviceFeaturesSel and up; none beyond 63. */
        *value = transport->device_features_select < 2
                     ? (uint32_t)(offered_features(transport) >> (32 * transport->device_features_select))
                     : 0;
        return NULL;
    case VIRTIO_MMIO_REG_QUEUE_NUM_MAX:
        *value = queue_selected(transport) ? VIRTQ_MAX_SIZE : 0;
        return NULL;
    case VIRTIO_MMIO_REG_QUEUE_READY:
        *value = queue_selected(transport) && transport->queues[transport->queue_select].ready;
        return NULL;
    case VIRTIO_MMIO_REG_INTERRUPT_STATUS:
        *value = transport->interrupt_status;
        return NULL;
    case VIRTIO_MMIO_REG_STATUS:
        *value = transport->status;
        return NULL;
    case VIRTIO_MMIO_REG_SHM_LEN_LOW:
    case VIRTIO_MMIO_REG_SHM_LEN_HIGH:
    case VIRTIO_MMIO_REG_SHM_BASE_LOW:
    case VIRTIO_MMIO_REG_SHM_BASE_HIGH:
        *value = NO_SHARED_MEMORY_REGION;
        return NULL;
    case VIRTIO_MMIO_REG_CONFIG_GENERATION:
        *value = transport->config_generation;
        return NULL;
    case VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL:
    case VIRTIO_MMIO_REG_DRIVER_FEATURES:
    case VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL:
    case VIRTIO_MMIO_REG_QUEUE_SEL:
    case VIRTIO_MMIO_REG_QUEUE_NUM:
    case VIRTIO_MMIO_REG_QUEUE_NOTIFY:
    case VIRTIO_MMIO_REG_INTERRUPT_ACK:
    case VIRTIO_MMIO_REG_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_REG_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH:
    case VIRTIO_MMIO_REG_SHM_SEL:
        /* Write-only registers: the spec forbids the driver to read them; a read changes nothing, so it gets 0. */
        *value = 0;
        return NULL;
    case LEGACY_REG_GUEST_PAGE_SIZE:
    case LEGACY_REG_QUEUE_ALIGN:
    case LEGACY_REG_QUEUE_PFN:
        return "legacy virtio-mmio (version 1) register: only version 2 is offered";
    }
    return "no virtio-mmio register at this offset";
}

/*
 * Registers take aligned 32-bit accesses only; the configuration space takes
 * aligned 8-, 16- and 32-bit ones (64-bit fields are read as two halves) and
 * ends at the device's config_size.
 */
static const char *check_access(const struct virtio_mmio_device *transport, uint64_t offset, unsigned size)
{
    if (offset < VIRTIO_MMIO_CONFIG_OFFSET) {
        if (size != 4) {
            return "virtio-mmio registers take 32-bit accesses";
        }
        return offset % 4 == 0 ? NULL : "misaligned virtio-mmio register access";
    }
    if (size != 1 && size != 2 && size != 4) {
        return "the configuration space takes 8-, 16- or 32-bit accesses";
    }
    if (offset % size != 0) {
        return "misaligned configuration space access";
    }
    uint64_t config_offset = offset - VIRTIO_MMIO_CONFIG_OFFSET;
    uint32_t config_size = transport->ops->config_size;
    if (config_offset >= config_size || size > config_size - config_offset) {
        return "access beyond the device's configuration space";
    }
    return NULL;
}

const char *virtio_mmio_read(struct virtio_mmio_device *transport, uint64_t offset, unsigned size, uint32_t *value)
{
    const char *refusal = check_access(transport, offset, size);
    if (refusal) {
        return refusal;
    }
    if (offset >= VIRTIO_MMIO_CONFIG_OFFSET) {
        return transport->ops->config_read(transport->device, (uint32_t)(offset - VIRTIO_MMIO_CONFIG_OFFSET), size,
                                           value);
    }
    return read_register(transport, offset, value);
}

const char *virtio_mmio_write(struct virtio_mmio_device *transport, uint64_t offset, unsigned size, uint32_t value)
{
    const char *refusal = check_access(transport, offset, size);
    if (refusal) {
        return refusal;
    }
    if (offset >= VIRTIO_MMIO_CONFIG_OFFSET) {
        return transport->ops->config_write(transport->device, (uint32_t)(offset - VIRTIO_MMIO_CONFIG_OFFSET), size,
                                            value);
    }
    return write_register(transport, offset, value);
}

void virtio_mmio_signal_used(struct virtio_mmio_device *transport, struct virtq *queue)
{
    if (virtq_needs_interrupt(queue, transport->memory)) {
        raise_interrupt(transport, VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    }
}

void virtio_mmio_config_changed(struct virtio_mmio_device *transport)
{
    transport->config_generation++;
    if (transport->status & VIRTIO_STATUS_DRIVER_OK) {
        raise_interrupt(transport, VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    }
}

void virtio_mmio_set_needs_reset(struct virtio_mmio_device *transport, const char *reason)
{
    if (transport->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
        return;
    }
    transport->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    transport->needs_reset_reason = reason;
    if (transport->status & VIRTIO_STATUS_DRIVER_OK) {
        raise_interrupt(transport, VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    }
}
