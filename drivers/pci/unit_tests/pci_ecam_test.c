/* ECAM (drivers/pci/pci_ecam.c) over plain memory standing in for the mapped configuration space of buses 2..4. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_ecam.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_BUS 2
#define LAST_BUS 4
#define BUS_COUNT (LAST_BUS - FIRST_BUS + 1)
#define MAX_MAPS 8

struct fake_mapper {
    uint8_t failing_bus; /* 0: none fails */
    unsigned count;
    uint8_t buses[MAX_MAPS];
    void *addresses[MAX_MAPS];
};

struct fixture {
    uint8_t *memory;
    struct fake_mapper mapper;
    struct pci_ecam ecam;
    struct pci_config config;
};

static enum error fake_map_bus(void *context, uint8_t bus, void *address)
{
    struct fake_mapper *mapper = context;
    if (mapper->count < MAX_MAPS) {
        mapper->buses[mapper->count] = bus;
        mapper->addresses[mapper->count] = address;
    }
    mapper->count++;
    return bus == mapper->failing_bus ? ERROR_NOT_DEVICE_MEMORY : ERROR_NONE;
}

static int setup(void **state)
{
    struct fixture *fixture = calloc(1, sizeof(*fixture));
    fixture->memory = calloc(BUS_COUNT, PCI_ECAM_BUS_SIZE);
    if (!fixture->memory) {
        return -1;
    }
    fixture->ecam = (struct pci_ecam){.window = fixture->memory,
                                      .first_bus = FIRST_BUS,
                                      .last_bus = LAST_BUS,
                                      .map_bus = fake_map_bus,
                                      .map_context = &fixture->mapper};
    fixture->config = pci_ecam_config(&fixture->ecam);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fixture = *state;
    free(fixture->memory);
    free(fixture);
    return 0;
}

/* Where (bus, device, function, offset) lies in the fake memory. */
static uint8_t *at(struct fixture *fixture, uint8_t bus, uint8_t device, uint8_t function, uint16_t offset)
{
    return fixture->memory + ((size_t)(bus - FIRST_BUS) << 20) + ((size_t)device << 15) + ((size_t)function << 12) +
           offset;
}

static void test_reads_the_function_at_its_address(void **state)
{
    struct fixture *fixture = *state;
    uint32_t id = 0x10411af4;
    memcpy(at(fixture, 3, 5, 2, 0), &id, sizeof(id));
    uint32_t value = 0;
    assert_int_equal(pci_config_read32(&fixture->config, (struct pci_address){3, 5, 2}, 0, &value), ERROR_NONE);
    assert_int_equal(value, id);
    uint16_t device_id = 0;
    assert_int_equal(pci_config_read16(&fixture->config, (struct pci_address){3, 5, 2}, 2, &device_id), ERROR_NONE);
    assert_int_equal(device_id, 0x1041);
    uint8_t byte = 0;
    assert_int_equal(pci_config_read8(&fixture->config, (struct pci_address){3, 5, 2}, 1, &byte), ERROR_NONE);
    assert_int_equal(byte, 0x1a);
}

static void test_reaches_the_extended_space(void **state)
{
    struct fixture *fixture = *state;
    uint32_t header = 0x00010001; /* an extended capability header at 0x100 */
    memcpy(at(fixture, 2, 0, 0, 0x100), &header, sizeof(header));
    uint32_t value = 0;
    assert_int_equal(pci_config_read32(&fixture->config, (struct pci_address){2, 0, 0}, 0x100, &value), ERROR_NONE);
    assert_int_equal(value, header);
    uint16_t last = 0;
    at(fixture, 2, 0, 0, 0xffe)[0] = 0x34;
    at(fixture, 2, 0, 0, 0xffe)[1] = 0x12;
    assert_int_equal(pci_config_read16(&fixture->config, (struct pci_address){2, 0, 0}, 0xffe, &last), ERROR_NONE);
    assert_int_equal(last, 0x1234);
    assert_int_equal(pci_config_read16(&fixture->config, (struct pci_address){2, 0, 0}, 0x1000, &last),
                     ERROR_OUT_OF_RANGE);
}

static void test_writes_exactly_their_width(void **state)
{
    struct fixture *fixture = *state;
    memset(at(fixture, 4, 31, 7, 0), 0xaa, 8);
    assert_int_equal(pci_config_write16(&fixture->config, (struct pci_address){4, 31, 7}, 4, 0x0406), ERROR_NONE);
    assert_int_equal(pci_config_write8(&fixture->config, (struct pci_address){4, 31, 7}, 1, 0x55), ERROR_NONE);
    const uint8_t expected[8] = {0xaa, 0x55, 0xaa, 0xaa, 0x06, 0x04, 0xaa, 0xaa};
    assert_memory_equal(at(fixture, 4, 31, 7, 0), expected, sizeof(expected));
    assert_int_equal(pci_config_write32(&fixture->config, (struct pci_address){4, 31, 7}, 0x200, 0xdeadbeef),
                     ERROR_NONE);
    uint32_t stored;
    memcpy(&stored, at(fixture, 4, 31, 7, 0x200), sizeof(stored));
    assert_int_equal(stored, 0xdeadbeef);
}

static void test_maps_each_bus_once_at_its_place(void **state)
{
    struct fixture *fixture = *state;
    uint16_t value;
    pci_config_read16(&fixture->config, (struct pci_address){3, 0, 0}, 0, &value);
    pci_config_read16(&fixture->config, (struct pci_address){3, 31, 7}, 0, &value);
    pci_config_read16(&fixture->config, (struct pci_address){2, 1, 0}, 0, &value);
    pci_config_write16(&fixture->config, (struct pci_address){3, 2, 0}, 4, 0);
    assert_int_equal(fixture->mapper.count, 2);
    assert_int_equal(fixture->mapper.buses[0], 3);
    assert_ptr_equal(fixture->mapper.addresses[0], fixture->memory + PCI_ECAM_BUS_SIZE);
    assert_int_equal(fixture->mapper.buses[1], 2);
    assert_ptr_equal(fixture->mapper.addresses[1], fixture->memory);
}

static void test_buses_outside_the_range_are_not_found(void **state)
{
    struct fixture *fixture = *state;
    uint16_t value = 0;
    assert_int_equal(pci_config_read16(&fixture->config, (struct pci_address){1, 0, 0}, 0, &value), ERROR_NOT_FOUND);
    assert_int_equal(value, 0xffff);
    assert_int_equal(pci_config_read16(&fixture->config, (struct pci_address){5, 0, 0}, 0, &value), ERROR_NOT_FOUND);
    assert_int_equal(pci_config_write16(&fixture->config, (struct pci_address){255, 0, 0}, 4, 1), ERROR_NOT_FOUND);
    assert_int_equal(fixture->mapper.count, 0);
}

static void test_a_failed_mapping_is_tried_again(void **state)
{
    struct fixture *fixture = *state;
    fixture->mapper.failing_bus = 4;
    *at(fixture, 4, 0, 0, 0) = 0x86;
    uint8_t value = 0;
    assert_int_equal(pci_config_read8(&fixture->config, (struct pci_address){4, 0, 0}, 0, &value),
                     ERROR_NOT_DEVICE_MEMORY);
    assert_int_equal(value, 0xff);
    assert_int_equal(pci_config_write8(&fixture->config, (struct pci_address){4, 0, 0}, 0, 1), ERROR_NOT_DEVICE_MEMORY);
    assert_int_equal(*at(fixture, 4, 0, 0, 0), 0x86);
    fixture->mapper.failing_bus = 0;
    assert_int_equal(pci_config_read8(&fixture->config, (struct pci_address){4, 0, 0}, 0, &value), ERROR_NONE);
    assert_int_equal(value, 0x86);
    assert_int_equal(fixture->mapper.count, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_the_function_at_its_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reaches_the_extended_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_exactly_their_width, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maps_each_bus_once_at_its_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buses_outside_the_range_are_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_mapping_is_tried_again, setup, teardown),
    };
    return cmocka_run_group_tests_name("pci_ecam_test", tests, NULL, NULL);
}
