#include "test_device.h"

static const char *test_device_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    const struct test_device *device = context;
    (void)size; /* the registry admits 4-byte accesses only */
    if (offset == TEST_DEVICE_SCRATCH) {
        *value = device->scratch;
    } else if (offset == TEST_DEVICE_ID) {
        *value = TEST_DEVICE_ID_VALUE;
    } else {
        return "no register at this offset";
    }
    return NULL;
}

static const char *test_device_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct test_device *device = context;
    (void)size;
    if (offset == TEST_DEVICE_ID) {
        return "the ID register is read-only";
    }
    if (offset != TEST_DEVICE_SCRATCH) {
        return "no register at this offset";
    }
    device->scratch = (uint32_t)value;
    return NULL;
}

enum error test_device_register(struct test_device *device, struct device_registry *registry)
{
    device->scratch = 0;
    struct device description = {
        .name = "test device",
        .space = DEVICE_SPACE_MMIO,
        .base = TEST_DEVICE_BASE,
        .size = TEST_DEVICE_SIZE,
        .access_sizes = 4,
        .read = test_device_read,
        .write = test_device_write,
        .context = device,
    };
    return device_registry_add(registry, &description);
}
