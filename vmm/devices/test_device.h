/*
 * A device for tests of the MMIO path, at guest-physical 0xd0000000 (4 KiB):
 * offset 0 is a scratch register that reads back what was written, offset 4
 * a read-only ID register that reads "KAPS". 4-byte accesses only; any other
 * offset, or a write to the ID, is refused (the VM ends with the reason).
 */
#ifndef VMM_DEVICES_TEST_DEVICE_H
#define VMM_DEVICES_TEST_DEVICE_H

#include "device_registry.h"

#include <stdint.h>

#define TEST_DEVICE_BASE 0xd0000000ull
#define TEST_DEVICE_SIZE 0x1000ull
#define TEST_DEVICE_SCRATCH 0x0
#define TEST_DEVICE_ID 0x4
#define TEST_DEVICE_ID_VALUE 0x4b415053u /* "KAPS" */

struct test_device {
    uint32_t scratch;
};

/* Sets up device and adds it to registry at TEST_DEVICE_BASE. */
enum error test_device_register(struct test_device *device, struct device_registry *registry);

#endif
