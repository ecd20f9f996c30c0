#include "device_registry.h"

#include <string.h>

#define ALL_ACCESS_SIZES (1u | 2u | 4u | 8u)

void device_registry_init(struct device_registry *registry)
{
    memset(registry, 0, sizeof(*registry));
}

/* Both ranges are checked not to wrap, so their last bytes compare safely. */
static bool overlaps(const struct device *a, const struct device *b)
{
    return a->space == b->space && a->base <= b->base + (b->size - 1) && b->base <= a->base + (a->size - 1);
}

static bool valid(const struct device *device)
{
    if (device->size == 0 || device->base + (device->size - 1) < device->base) {
        return false;
    }
    if (device->space == DEVICE_SPACE_PORT && device->base + device->size > DEVICE_PORT_LIMIT) {
        return false;
    }
    if (device->space != DEVICE_SPACE_PORT && device->space != DEVICE_SPACE_MMIO) {
        return false;
    }
    bool sizes_valid = device->access_sizes != 0 && (device->access_sizes & ~ALL_ACCESS_SIZES) == 0;
    return sizes_valid && device->name && device->read && device->write;
}

enum error device_registry_add(struct device_registry *registry, const struct device *device)
{
    if (!valid(device)) {
        return ERROR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < registry->count; i++) {
        if (overlaps(&registry->devices[i], device)) {
            return ERROR_OVERLAP;
        }
    }
    if (registry->count == DEVICE_REGISTRY_MAX) {
        return ERROR_TOO_MANY;
    }
    registry->devices[registry->count++] = *device;
    return ERROR_NONE;
}

const struct device *device_registry_find(const struct device_registry *registry, enum device_space space,
                                          uint64_t address)
{
    for (size_t i = 0; i < registry->count; i++) {
        const struct device *device = &registry->devices[i];
        if (device->space == space && address >= device->base && address - device->base < device->size) {
            return device;
        }
    }
    return NULL;
}

const char *device_access(const struct device *device, uint64_t address, unsigned size, bool is_write, uint64_t *value)
{
    /* A power of two up to 8 that the device declared; anything else (0, 3, 16...) has no bit there. */
    if (size == 0 || size > 8 || (size & (size - 1)) != 0 || (device->access_sizes & size) == 0) {
        return "access size not supported by the device";
    }
    if (address % size != 0) {
        return "unaligned access";
    }
    if (address < device->base || size > device->size || address - device->base > device->size - size) {
        return "access does not fit in the device";
    }
    uint64_t offset = address - device->base;
    if (is_write) {
        return device->write(device->context, offset, size, *value);
    }
    return device->read(device->context, offset, size, value);
}
