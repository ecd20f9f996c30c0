#include "fake_driver.h"

#include "vmm/virtio/virtio_spec.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct guest_memory fake_ram_create(uint64_t size)
{
    void *bytes = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (bytes == MAP_FAILED) {
        abort();
    }
    return (struct guest_memory){.host_base = bytes, .size = size};
}

void fake_ram_destroy(struct guest_memory *memory)
{
    munmap(memory->host_base, memory->size);
    *memory = (struct guest_memory){0};
}

uint8_t *fake_ram_at(const struct guest_memory *memory, uint64_t address)
{
    uint8_t *host = guest_memory_at(memory, address, 1);
    if (!host) {
        abort(); /* a broken test, not a finding */
    }
    return host;
}

static void write16(const struct guest_memory *memory, uint64_t address, uint16_t value)
{
    memcpy(fake_ram_at(memory, address), &value, sizeof(value));
}

static uint16_t read16(const struct guest_memory *memory, uint64_t address)
{
    uint16_t value;
    memcpy(&value, fake_ram_at(memory, address), sizeof(value));
    return value;
}

void fake_driver_init(struct fake_driver *driver, const struct guest_memory *memory, uint64_t base, uint16_t size)
{
    uint64_t available_ring = base + VIRTQ_DESCRIPTOR_SIZE * size;
    uint64_t available_end =
        available_ring + VIRTQ_RING_HEADER_SIZE + VIRTQ_AVAILABLE_ENTRY_SIZE * size + VIRTQ_EVENT_SIZE;
    uint64_t used_ring = (available_end + 4095) & ~4095ull;
    uint64_t used_end = used_ring + VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * size + VIRTQ_EVENT_SIZE;
    *driver = (struct fake_driver){
        .memory = memory,
        .size = size,
        .descriptor_table = base,
        .available_ring = available_ring,
        .used_ring = used_ring,
    };
    memset(fake_ram_at(memory, base), 0, used_end - base);
}

struct virtq_layout fake_driver_layout(const struct fake_driver *driver)
{
    return (struct virtq_layout){
        .size = driver->size,
        .descriptor_table = driver->descriptor_table,
        .available_ring = driver->available_ring,
        .used_ring = driver->used_ring,
    };
}

void fake_write_descriptor(const struct guest_memory *memory, uint64_t table, uint16_t index, uint64_t address,
                           uint32_t length, uint16_t flags, uint16_t next)
{
    struct virtq_descriptor descriptor = {.address = address, .length = length, .flags = flags, .next = next};
    memcpy(fake_ram_at(memory, table + (uint64_t)index * VIRTQ_DESCRIPTOR_SIZE), &descriptor, sizeof(descriptor));
}

void fake_driver_set_descriptor(struct fake_driver *driver, uint16_t index, uint64_t address, uint32_t length,
                                uint16_t flags, uint16_t next)
{
    fake_write_descriptor(driver->memory, driver->descriptor_table, index, address, length, flags, next);
}

void fake_driver_make_available(struct fake_driver *driver, uint16_t head)
{
    uint16_t slot = driver->available_index % driver->size;
    write16(driver->memory, driver->available_ring + VIRTQ_RING_HEADER_SIZE + VIRTQ_AVAILABLE_ENTRY_SIZE * slot, head);
    fake_driver_set_available_index(driver, (uint16_t)(driver->available_index + 1));
}

void fake_driver_set_available_index(struct fake_driver *driver, uint16_t index)
{
    driver->available_index = index;
    write16(driver->memory, driver->available_ring + 2, index);
}

void fake_driver_set_available_flags(struct fake_driver *driver, uint16_t flags)
{
    write16(driver->memory, driver->available_ring, flags);
}

void fake_driver_set_used_event(struct fake_driver *driver, uint16_t used_event)
{
    write16(driver->memory, driver->available_ring + VIRTQ_RING_HEADER_SIZE + VIRTQ_AVAILABLE_ENTRY_SIZE * driver->size,
            used_event);
}

uint16_t fake_driver_used_index(const struct fake_driver *driver)
{
    return read16(driver->memory, driver->used_ring + 2);
}

uint16_t fake_driver_used_flags(const struct fake_driver *driver)
{
    return read16(driver->memory, driver->used_ring);
}

struct virtq_used_element fake_driver_used_element(const struct fake_driver *driver, uint16_t ring_index)
{
    struct virtq_used_element element;
    uint64_t address =
        driver->used_ring + VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * (uint64_t)(ring_index % driver->size);
    memcpy(&element, fake_ram_at(driver->memory, address), sizeof(element));
    return element;
}

uint16_t fake_driver_available_event(const struct fake_driver *driver)
{
    return read16(driver->memory, driver->used_ring + VIRTQ_RING_HEADER_SIZE + VIRTQ_USED_ENTRY_SIZE * driver->size);
}

static const char *write_register(struct virtio_mmio_device *transport, uint64_t offset, uint32_t value)
{
    return virtio_mmio_write(transport, offset, 4, value);
}

/* The writes in order; the first refusal ends the sequence. */
#define WRITE(offset, value)                                                                                           \
    do {                                                                                                               \
        const char *refusal = write_register(transport, (offset), (value));                                            \
        if (refusal) {                                                                                                 \
            return refusal;                                                                                            \
        }                                                                                                              \
    } while (0)

const char *fake_driver_bring_up(struct virtio_mmio_device *transport, const struct fake_driver *driver,
                                 uint64_t features)
{
    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE;
    WRITE(VIRTIO_MMIO_REG_STATUS, 0);
    WRITE(VIRTIO_MMIO_REG_STATUS, status);
    status |= VIRTIO_STATUS_DRIVER;
    WRITE(VIRTIO_MMIO_REG_STATUS, status);
    WRITE(VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 1);
    WRITE(VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
    WRITE(VIRTIO_MMIO_REG_DRIVER_FEATURES_SEL, 0);
    WRITE(VIRTIO_MMIO_REG_DRIVER_FEATURES, (uint32_t)features);
    status |= VIRTIO_STATUS_FEATURES_OK;
    WRITE(VIRTIO_MMIO_REG_STATUS, status);
    uint32_t device_status = 0;
    const char *read_refusal = virtio_mmio_read(transport, VIRTIO_MMIO_REG_STATUS, 4, &device_status);
    if (read_refusal) {
        return read_refusal;
    }
    if (!(device_status & VIRTIO_STATUS_FEATURES_OK)) {
        return "features refused";
    }
    struct virtq_layout layout = fake_driver_layout(driver);
    WRITE(VIRTIO_MMIO_REG_QUEUE_SEL, 0);
    WRITE(VIRTIO_MMIO_REG_QUEUE_NUM, layout.size);
    WRITE(VIRTIO_MMIO_REG_QUEUE_DESC_LOW, (uint32_t)layout.descriptor_table);
    WRITE(VIRTIO_MMIO_REG_QUEUE_DESC_HIGH, (uint32_t)(layout.descriptor_table >> 32));
    WRITE(VIRTIO_MMIO_REG_QUEUE_DRIVER_LOW, (uint32_t)layout.available_ring);
    WRITE(VIRTIO_MMIO_REG_QUEUE_DRIVER_HIGH, (uint32_t)(layout.available_ring >> 32));
    WRITE(VIRTIO_MMIO_REG_QUEUE_DEVICE_LOW, (uint32_t)layout.used_ring);
    WRITE(VIRTIO_MMIO_REG_QUEUE_DEVICE_HIGH, (uint32_t)(layout.used_ring >> 32));
    WRITE(VIRTIO_MMIO_REG_QUEUE_READY, 1);
    status |= VIRTIO_STATUS_DRIVER_OK;
    WRITE(VIRTIO_MMIO_REG_STATUS, status);
    return NULL;
}
