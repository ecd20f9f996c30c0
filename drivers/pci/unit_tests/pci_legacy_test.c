/* Configuration mechanism #1 (drivers/pci/pci_legacy.c) against fake ports that model a chipset's 0xCF8/0xCFC. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_enumerate.h"
#include "drivers/pci/pci_legacy.h"
#include "drivers/pci/pci_registers.h"
#include "fake_config.h"
#include "fake_devices.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LOG 64

struct port_access {
    bool out;
    uint16_t port;
    unsigned width;
    uint32_t value;
};

/* A chipset's mechanism #1 in front of a fake configuration space, logging the first accesses. */
struct fake_ports {
    struct fake_config *space;
    bool no_chipset; /* nothing decodes the ports: they read all ones */
    uint32_t address;
    size_t count;
    struct port_access log[MAX_LOG];
};

static void record(struct fake_ports *ports, bool out, uint16_t port, unsigned width, uint32_t value)
{
    if (ports->count < MAX_LOG) {
        ports->log[ports->count] = (struct port_access){out, port, width, value};
    }
    ports->count++;
}

static struct pci_address latched(const struct fake_ports *ports)
{
    return (struct pci_address){(uint8_t)(ports->address >> 16), (uint8_t)(ports->address >> 11 & 0x1f),
                                (uint8_t)(ports->address >> 8 & 7)};
}

static uint32_t port_in(void *context, uint16_t port, unsigned width)
{
    struct fake_ports *ports = context;
    uint32_t value = width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    if (!ports->no_chipset && port == PCI_LEGACY_ADDRESS_PORT && width == 4) {
        value = ports->address;
    } else if (!ports->no_chipset && port >= PCI_LEGACY_DATA_PORT && port < PCI_LEGACY_DATA_PORT + 4 &&
               (ports->address & PCI_LEGACY_ENABLE)) {
        struct pci_config config = fake_config_access(ports->space);
        config.ops->read(config.context, latched(ports), (uint16_t)((ports->address & 0xfc) + (port & 3)), width,
                         &value);
    }
    record(ports, false, port, width, value);
    return value;
}

static void port_out(void *context, uint16_t port, unsigned width, uint32_t value)
{
    struct fake_ports *ports = context;
    record(ports, true, port, width, value);
    if (ports->no_chipset) {
        return;
    }
    if (port == PCI_LEGACY_ADDRESS_PORT && width == 4) {
        ports->address = value & 0x80fffffcu; /* reserved bits 30:24 and 1:0 read zero */
    } else if (port >= PCI_LEGACY_DATA_PORT && port < PCI_LEGACY_DATA_PORT + 4 &&
               (ports->address & PCI_LEGACY_ENABLE)) {
        struct pci_config config = fake_config_access(ports->space);
        config.ops->write(config.context, latched(ports), (uint16_t)((ports->address & 0xfc) + (port & 3)), width,
                          value);
    }
}

struct fixture {
    struct fake_config space;
    struct fake_ports ports;
    struct pci_legacy legacy;
    struct pci_config config;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_config_init(&f->space);
    f->ports.space = &f->space;
    f->legacy.ports = (struct port_io){.in = port_in, .out = port_out, .context = &f->ports};
    f->config = pci_legacy_config(&f->legacy);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void address_carries_enable_bus_device_function_and_dword(void **state)
{
    (void)state;
    assert_int_equal(pci_legacy_address((struct pci_address){0, 0, 0}, 0), 0x80000000);
    assert_int_equal(pci_legacy_address((struct pci_address){0x12, 0x1f, 7}, 0xfe), 0x8012fffc);
    assert_int_equal(pci_legacy_address((struct pci_address){0xff, 0x02, 1}, 0x43), 0x80ff1140);
}

static void present_when_the_address_port_keeps_its_value(void **state)
{
    struct fixture *f = *state;
    f->ports.address = 0x80001234 & 0x80fffffc;
    assert_true(pci_legacy_present(&f->legacy.ports));
    assert_int_equal(f->ports.address, 0x80001234 & 0x80fffffc); /* put back */
}

static void absent_without_a_chipset(void **state)
{
    struct fixture *f = *state;
    f->ports.no_chipset = true;
    assert_false(pci_legacy_present(&f->legacy.ports));
}

static void a_read_selects_the_dword_then_reads_the_data_port_at_its_byte(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_virtio_net(&f->space, (struct pci_address){0, 2, 0});
    fake_set32(fn, 0x44, 0xddccbbaa);
    uint8_t byte;
    uint16_t half;
    assert_int_equal(pci_config_read8(&f->config, (struct pci_address){0, 2, 0}, 0x47, &byte), ERROR_NONE);
    assert_int_equal(byte, 0xdd);
    assert_int_equal(f->ports.count, 2);
    assert_true(f->ports.log[0].out && f->ports.log[0].port == 0xcf8 && f->ports.log[0].width == 4);
    assert_int_equal(f->ports.log[0].value, 0x80001044);
    assert_true(!f->ports.log[1].out && f->ports.log[1].port == 0xcff && f->ports.log[1].width == 1);
    assert_int_equal(pci_config_read16(&f->config, (struct pci_address){0, 2, 0}, 0x46, &half), ERROR_NONE);
    assert_int_equal(half, 0xddcc);
    assert_true(f->ports.log[3].port == 0xcfe && f->ports.log[3].width == 2);
}

static void a_write_selects_the_dword_then_writes_the_data_port(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_virtio_net(&f->space, (struct pci_address){0, 2, 0});
    assert_int_equal(pci_config_write16(&f->config, (struct pci_address){0, 2, 0}, PCI_COMMAND, 0x0400), ERROR_NONE);
    assert_int_equal(fake_get16(fn, PCI_COMMAND), 0x0400);
    assert_int_equal(f->ports.count, 2);
    assert_true(f->ports.log[1].out && f->ports.log[1].port == 0xcfc && f->ports.log[1].width == 2);
    assert_int_equal(f->ports.log[1].value, 0x0400);
}

static void the_extended_space_is_out_of_reach(void **state)
{
    struct fixture *f = *state;
    uint32_t word;
    assert_int_equal(f->config.size, 256);
    assert_int_equal(pci_config_read32(&f->config, (struct pci_address){0, 0, 0}, 0x100, &word), ERROR_OUT_OF_RANGE);
    assert_int_equal(f->config.ops->read(f->config.context, (struct pci_address){0, 0, 0}, 0x100, 4, &word),
                     ERROR_OUT_OF_RANGE);
    assert_int_equal(f->config.ops->write(f->config.context, (struct pci_address){0, 0, 0}, 0x104, 4, 0),
                     ERROR_OUT_OF_RANGE);
    assert_int_equal(f->ports.count, 0);
}

/* The whole q35 machine through the ports gives what the direct fake access gives. */
static void enumerates_the_q35_machine_through_the_ports(void **state)
{
    struct fixture *f = *state;
    fake_q35_machine(&f->space);
    static struct pci_function table[16];
    static struct pci_enumeration result;
    pci_enumeration_init(&result, table, 16);
    pci_enumerate(&f->config, &result);
    assert_int_equal(result.count, 7);
    assert_int_equal(result.problems.count, 0);
    const struct pci_function *net = pci_enumeration_find(&result, Q35_VIRTIO_NET);
    assert_non_null(net);
    assert_int_equal(net->bars[4].address, 0xfe000000);
    assert_int_equal(net->bars[4].size, 0x4000);
    assert_true(net->msix.present);
    assert_int_equal(net->virtio_count, 5);
    assert_non_null(pci_enumeration_find(&result, Q35_BEHIND_BRIDGE));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(address_carries_enable_bus_device_function_and_dword),
        TEST(present_when_the_address_port_keeps_its_value),
        TEST(absent_without_a_chipset),
        TEST(a_read_selects_the_dword_then_reads_the_data_port_at_its_byte),
        TEST(a_write_selects_the_dword_then_writes_the_data_port),
        TEST(the_extended_space_is_out_of_reach),
        TEST(enumerates_the_q35_machine_through_the_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
