/*
 * The guest's devices: a table of port and MMIO ranges, each with read and
 * write callbacks. The exit handlers look an address up here and perform the
 * access through device_access(), which checks size, alignment and range
 * before a device sees it, so devices only handle accesses they declared.
 * Pure C, unit-tested on the host.
 */
#ifndef VMM_DEVICE_REGISTRY_H
#define VMM_DEVICE_REGISTRY_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEVICE_REGISTRY_MAX 32
#define DEVICE_PORT_LIMIT 0x10000ull /* x86 I/O ports are 16 bits */

enum device_space {
    DEVICE_SPACE_PORT, /* x86 port I/O (IN, OUT) */
    DEVICE_SPACE_MMIO, /* guest-physical addresses that are not RAM */
};

/* Callbacks get the offset from the device's base; they return NULL, or why they refuse the access. */
typedef const char *(*device_read_fn)(void *context, uint64_t offset, unsigned size, uint64_t *value);
typedef const char *(*device_write_fn)(void *context, uint64_t offset, unsigned size, uint64_t value);

struct device {
    const char *name;
    enum device_space space;
    uint64_t base;
    uint64_t size;         /* bytes (MMIO) or ports */
    unsigned access_sizes; /* the access sizes it accepts, ORed together: 1, 2, 4 and/or 8 */
    device_read_fn read;
    device_write_fn write;
    void *context;
};

struct device_registry {
    size_t count;
    struct device devices[DEVICE_REGISTRY_MAX];
};

void device_registry_init(struct device_registry *registry);

/*
 * Adds a copy of device. ERROR_INVALID_ARGUMENT for an empty or wrapping range,
 * ports beyond DEVICE_PORT_LIMIT, access sizes other than 1/2/4/8 (or none),
 * or a missing callback; ERROR_OVERLAP if it shares an address with a device
 * of the same space; ERROR_TOO_MANY when the table is full.
 */
enum error device_registry_add(struct device_registry *registry, const struct device *device);

/* The device whose range holds address in space, or NULL. */
const struct device *device_registry_find(const struct device_registry *registry, enum device_space space,
                                          uint64_t address);

/*
 * One access of size bytes at address, which must lie in device. Refused (with
 * the reason) before the device is called if the size is not one the device
 * accepts, the address is not aligned to the size, or the access runs past the
 * device's end; otherwise the device's own answer. Reads fill *value.
 */
const char *device_access(const struct device *device, uint64_t address, unsigned size, bool is_write, uint64_t *value);

#endif
