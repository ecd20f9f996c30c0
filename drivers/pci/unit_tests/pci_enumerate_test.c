/*
 * Enumeration (drivers/pci/pci_enumerate.c, pci_function.c): the q35 machine with a bridge, multi-function
 * devices, hostile bridges and headers, a full table, failing reads, and random configuration spaces.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_enumerate.h"
#include "drivers/pci/pci_registers.h"
#include "fake_config.h"
#include "fake_devices.h"

#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE 64
#define A(bus, device, function) ((struct pci_address){bus, device, function})

struct fixture {
    struct fake_config fake;
    struct pci_config config;
    struct pci_function table[TABLE_SIZE];
    struct pci_enumeration result;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_config_init(&f->fake);
    f->config = fake_config_access(&f->fake);
    pci_enumeration_init(&f->result, f->table, TABLE_SIZE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void enumerate(struct fixture *f)
{
    pci_enumeration_init(&f->result, f->table, TABLE_SIZE);
    pci_enumerate(&f->config, &f->result);
}

static void assert_listed(struct fixture *f, size_t index, struct pci_address address)
{
    assert_true(index < f->result.count);
    assert_memory_equal(&f->result.functions[index].address, &address, sizeof(address));
}

static size_t count(struct fixture *f, struct pci_address address, enum pci_problem_kind kind)
{
    return pci_problems_count(&f->result.problems, address, kind);
}

static void finds_the_q35_machine_depth_first(void **state)
{
    struct fixture *f = *state;
    fake_q35_machine(&f->fake);
    enumerate(f);
    assert_int_equal(f->result.problems.count, 0);
    assert_int_equal(f->result.count, 7);
    assert_int_equal(f->result.buses, 2);
    assert_listed(f, 0, Q35_HOST_BRIDGE);
    assert_listed(f, 1, Q35_VIRTIO_NET);
    assert_listed(f, 2, Q35_BRIDGE);
    assert_listed(f, 3, Q35_BEHIND_BRIDGE); /* right after its bridge */
    assert_listed(f, 4, Q35_LPC);
    assert_listed(f, 5, Q35_SATA);
    assert_listed(f, 6, Q35_SMBUS);

    const struct pci_function *host = &f->result.functions[0];
    assert_int_equal(host->vendor_id, 0x8086);
    assert_int_equal(host->device_id, 0x29c0);
    assert_int_equal(host->class_code, 0x06);
    assert_int_equal(host->subclass, 0x00);
    assert_int_equal(host->header_type, PCI_HEADER_DEVICE);
    assert_false(host->multi_function);

    const struct pci_function *bridge = &f->result.functions[2];
    assert_int_equal(bridge->header_type, PCI_HEADER_BRIDGE);
    assert_int_equal(bridge->bar_count, 2);
    assert_int_equal(bridge->secondary_bus, 1);
    assert_int_equal(bridge->subordinate_bus, 1);

    const struct pci_function *nic = &f->result.functions[3];
    assert_int_equal(nic->device_id, 0x100e);
    assert_int_equal(nic->bars[0].kind, PCI_BAR_MEMORY32);
    assert_int_equal(nic->bars[0].size, 0x20000);
    assert_int_equal(nic->bars[1].kind, PCI_BAR_IO);
    assert_int_equal(nic->interrupt_pin, 1);
    assert_int_equal(nic->interrupt_line, 10);

    const struct pci_function *lpc = &f->result.functions[4];
    assert_true(lpc->multi_function);
    assert_int_equal(lpc->class_code, 0x06);
    assert_int_equal(lpc->subclass, 0x01);
    const struct pci_function *sata = &f->result.functions[5];
    assert_true(sata->multi_function);
    assert_int_equal(sata->prog_if, 0x01);
    assert_true(sata->msi.present);

    const struct pci_function *net = pci_enumeration_find(&f->result, Q35_VIRTIO_NET);
    assert_ptr_equal(net, &f->result.functions[1]);
    assert_int_equal(net->revision, 1);
    assert_int_equal(net->command, 0x0007);
    assert_true(net->msix.present);
    assert_int_equal(net->virtio_count, 5);
    assert_null(pci_enumeration_find(&f->result, A(0, 3, 0)));
}

static void leaves_every_register_as_firmware_left_it(void **state)
{
    struct fixture *f = *state;
    fake_q35_machine(&f->fake);
    static struct fake_config before;
    before = f->fake;
    enumerate(f);
    for (size_t i = 0; i < f->fake.count; i++) {
        const struct fake_function *fn = &f->fake.functions[i];
        assert_memory_equal(fn->bytes, before.functions[i].bytes, PCI_CONFIG_SIZE);
        assert_true(fn->bar_writes > 0);
        /* Only the host bridge is sized with its decoding on (see pci_bar.h). */
        bool host_bridge = fn->address.bus == 0 && fn->address.device == 0 && fn->address.function == 0;
        assert_int_equal(fn->bar_writes_while_decoding, host_bridge ? fn->bar_writes : 0);
        assert_int_equal(fn->command_writes, host_bridge ? 0 : 2);
    }
}

static void functions_beyond_zero_only_where_the_header_says_so(void **state)
{
    struct fixture *f = *state;
    fake_e1000(&f->fake, A(0, 3, 0));
    fake_e1000(&f->fake, A(0, 3, 1)); /* not multi-function: never looked at */
    fake_e1000(&f->fake, A(0, 4, 1)); /* no function 0 */
    fake_function_add(&f->fake, A(0, 5, 0), 0x1234, 1, 0x020000, PCI_HEADER_MULTI_FUNCTION);
    fake_function_add(&f->fake, A(0, 5, 3), 0x1234, 2, 0x020000, PCI_HEADER_MULTI_FUNCTION);
    fake_function_add(&f->fake, A(0, 5, 7), 0x1234, 3, 0x020000, 0); /* its own bit does not matter */
    enumerate(f);
    assert_int_equal(f->result.count, 4);
    assert_listed(f, 0, A(0, 3, 0));
    assert_listed(f, 1, A(0, 5, 0));
    assert_listed(f, 2, A(0, 5, 3));
    assert_listed(f, 3, A(0, 5, 7));
    assert_true(f->result.functions[3].multi_function);
    assert_int_equal(f->result.problems.count, 0);
}

static void bridges_nest(void **state)
{
    struct fixture *f = *state;
    fake_bridge(&f->fake, A(0, 1, 0), 1, 3);
    fake_bridge(&f->fake, A(1, 0, 0), 2, 2);
    fake_e1000(&f->fake, A(2, 5, 0));
    fake_bridge(&f->fake, A(1, 1, 0), 3, 3);
    fake_e1000(&f->fake, A(3, 0, 0));
    fake_e1000(&f->fake, A(0, 2, 0));
    enumerate(f);
    assert_int_equal(f->result.problems.count, 0);
    assert_int_equal(f->result.buses, 4);
    static const struct pci_address order[] = {A(0, 1, 0), A(1, 0, 0), A(2, 5, 0), A(1, 1, 0), A(3, 0, 0), A(0, 2, 0)};
    assert_int_equal(f->result.count, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_listed(f, i, order[i]);
    }
}

static void bridges_with_bus_numbers_that_make_no_sense_are_not_followed(void **state)
{
    struct fixture *f = *state;
    fake_bridge(&f->fake, A(0, 1, 0), 0, 0); /* never configured */
    fake_bridge(&f->fake, A(0, 2, 0), 3, 2); /* subordinate below secondary */
    fake_bridge(&f->fake, A(0, 3, 0), 1, 1);
    fake_bridge(&f->fake, A(1, 0, 0), 1, 1); /* back to its own bus */
    fake_bridge(&f->fake, A(1, 1, 0), 0, 5); /* not configured either, whatever the subordinate */
    fake_bridge(&f->fake, A(0, 4, 0), 1, 1); /* a bus already scanned */
    fake_e1000(&f->fake, A(2, 0, 0));
    fake_e1000(&f->fake, A(3, 0, 0));
    enumerate(f);
    assert_int_equal(f->result.buses, 2);
    assert_int_equal(f->result.count, 6);
    assert_null(pci_enumeration_find(&f->result, A(2, 0, 0)));
    assert_null(pci_enumeration_find(&f->result, A(3, 0, 0)));
    assert_int_equal(count(f, A(0, 1, 0), PCI_PROBLEM_BRIDGE_UNCONFIGURED), 1);
    assert_int_equal(count(f, A(0, 2, 0), PCI_PROBLEM_BRIDGE_BUS_ORDER), 1);
    assert_int_equal(count(f, A(1, 0, 0), PCI_PROBLEM_BRIDGE_BUS_ORDER), 1);
    assert_int_equal(count(f, A(1, 1, 0), PCI_PROBLEM_BRIDGE_UNCONFIGURED), 1);
    assert_int_equal(count(f, A(0, 4, 0), PCI_PROBLEM_BUS_SCANNED_TWICE), 1);
    assert_int_equal(f->result.problems.count, 5);
    assert_int_equal(pci_enumeration_find(&f->result, A(0, 2, 0))->problems, 1);
    assert_string_equal(f->result.problems.list[1].message,
                        "bridge's subordinate bus 2 is below its secondary bus 3: not scanned");
    assert_string_equal(f->result.problems.list[2].message,
                        "bridge's secondary bus 1 is not above its own bus 1: not scanned");
}

static void bridge_nesting_is_bounded(void **state)
{
    struct fixture *f = *state;
    for (unsigned bus = 0; bus < 40; bus++) {
        fake_bridge(&f->fake, A((uint8_t)bus, 0, 0), (uint8_t)(bus + 1), 0xff);
    }
    enumerate(f);
    assert_int_equal(f->result.buses, PCI_MAX_BRIDGE_DEPTH);
    assert_int_equal(f->result.count, PCI_MAX_BRIDGE_DEPTH);
    assert_int_equal(count(f, A(PCI_MAX_BRIDGE_DEPTH - 1, 0, 0), PCI_PROBLEM_BRIDGE_TOO_DEEP), 1);
    assert_int_equal(f->result.problems.count, 1);
}

static void a_full_table_is_reported_once_and_the_rest_counted(void **state)
{
    struct fixture *f = *state;
    fake_q35_machine(&f->fake);
    pci_enumeration_init(&f->result, f->table, 3);
    pci_enumerate(&f->config, &f->result);
    assert_int_equal(f->result.count, 3);
    assert_int_equal(f->result.dropped, 4);
    assert_int_equal(f->result.problems.count, 1);
    assert_int_equal(f->result.problems.list[0].kind, PCI_PROBLEM_TABLE_FULL);
    assert_memory_equal(&f->result.problems.list[0].address, &Q35_BEHIND_BRIDGE, sizeof(struct pci_address));
}

static void an_empty_table_holds_nothing(void **state)
{
    struct fixture *f = *state;
    fake_q35_machine(&f->fake);
    pci_enumeration_init(&f->result, NULL, 0);
    pci_enumerate(&f->config, &f->result);
    assert_int_equal(f->result.count, 0);
    assert_int_equal(f->result.dropped, 6); /* the bridge is not followed: its bus is not seen */
}

static void vendor_zero_is_reported_and_skipped(void **state)
{
    struct fixture *f = *state;
    fake_function_add(&f->fake, A(0, 7, 0), 0x0000, 0x1234, 0x020000, 0);
    enumerate(f);
    assert_int_equal(f->result.count, 0);
    assert_int_equal(count(f, A(0, 7, 0), PCI_PROBLEM_VENDOR_INVALID), 1);
}

static void unknown_header_types_keep_ids_only(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_function_add(&f->fake, A(0, 7, 0), 0x1234, 0x5678, 0xff0000, 0x05);
    fake_memory_bar(fn, 0, 0xfe000000, 0x1000, false, false);
    fake_set16(fn, PCI_STATUS, PCI_STATUS_CAPABILITIES);
    fake_set8(fn, PCI_CAPABILITY_POINTER, 0x40);
    fake_set8(fn, 0x40, PCI_CAPABILITY_MSIX);
    enumerate(f);
    assert_int_equal(f->result.count, 1);
    const struct pci_function *listed = &f->result.functions[0];
    assert_int_equal(listed->device_id, 0x5678);
    assert_int_equal(listed->header_type, 0x05);
    assert_int_equal(listed->bar_count, 0);
    assert_int_equal(listed->capability_count, 0);
    assert_int_equal(fn->bar_writes, 0);
    assert_int_equal(count(f, A(0, 7, 0), PCI_PROBLEM_HEADER_TYPE), 1);
}

static void cardbus_bridges_have_capabilities_but_no_bars(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_function_add(&f->fake, A(0, 7, 0), 0x104c, 0xac56, 0x060700, 0x02);
    fake_set16(fn, PCI_STATUS, PCI_STATUS_CAPABILITIES);
    fake_set8(fn, PCI_CARDBUS_CAPABILITY_POINTER, 0xa0);
    fake_set8(fn, 0xa0, PCI_CAPABILITY_POWER);
    enumerate(f);
    assert_int_equal(f->result.count, 1);
    assert_int_equal(f->result.functions[0].bar_count, 0);
    assert_int_equal(f->result.functions[0].capability_count, 1);
    assert_int_equal(fn->bar_writes, 0);
    assert_int_equal(f->result.problems.count, 0);
}

static void an_interrupt_pin_beyond_intd_is_reported(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_e1000(&f->fake, A(0, 3, 0));
    fake_set8(fn, PCI_INTERRUPT_PIN, 9);
    enumerate(f);
    assert_int_equal(f->result.functions[0].interrupt_pin, 0);
    assert_int_equal(count(f, A(0, 3, 0), PCI_PROBLEM_INTERRUPT_PIN), 1);
}

static void failing_reads_are_reported_and_the_function_left_out(void **state)
{
    struct fixture *f = *state;
    fake_e1000(&f->fake, A(0, 3, 0));
    fake_e1000(&f->fake, A(0, 4, 0));
    fake_e1000(&f->fake, A(0, 5, 0));
    f->fake.fail_address = A(0, 4, 0);
    f->fake.fail_from = 0x08;
    f->fake.fail_error = ERROR_TIMEOUT;
    enumerate(f);
    assert_int_equal(f->result.count, 2);
    assert_listed(f, 0, A(0, 3, 0));
    assert_listed(f, 1, A(0, 5, 0));
    assert_int_equal(count(f, A(0, 4, 0), PCI_PROBLEM_ACCESS), 1);
    assert_string_equal(f->result.problems.list[0].message, "reading the header type failed: timeout: skipped");

    f->fake.fail_from = 0x00;
    enumerate(f);
    assert_int_equal(f->result.count, 2);
    assert_string_equal(f->result.problems.list[0].message, "reading the vendor ID failed: timeout: skipped");

    f->fake.fail_from = 0x18;
    enumerate(f);
    assert_int_equal(f->result.count, 2);
    assert_string_equal(f->result.problems.list[0].message,
                        "configuration read at 0x18 failed: timeout: the function is left out");
}

static void problems_beyond_the_list_are_counted(void **state)
{
    struct fixture *f = *state;
    for (uint8_t device = 0; device < 32; device++) {
        struct fake_function *fn = fake_e1000(&f->fake, A(0, device, 0));
        fake_set8(fn, PCI_INTERRUPT_PIN, 5);
        fake_set32(fn, PCI_BAR0 + 8, 0xfd000000); /* read-only: reads back as its address, not a mask */
        fake_set16(fn, PCI_STATUS, PCI_STATUS_CAPABILITIES);
        fake_set8(fn, PCI_CAPABILITY_POINTER, 0x3c);
    }
    enumerate(f);
    assert_int_equal(f->result.count, 32);
    assert_int_equal(f->result.problems.count, PCI_MAX_PROBLEMS);
    assert_int_equal(f->result.problems.dropped, 3 * 32 - PCI_MAX_PROBLEMS);
    assert_int_equal(f->result.functions[31].problems, 3);
}

/* Random configuration spaces on buses 0 to 2 (bridges among them by chance): reported, never a crash or hang. */
static void random_configuration_spaces_never_crash_or_hang(void **state)
{
    struct fixture *f = *state;
    uint32_t seed = 0xdecafbad;
    for (unsigned round = 0; round < 400; round++) {
        fake_config_init(&f->fake);
        for (unsigned i = 0; i < 12; i++) {
            seed = seed * 1103515245u + 12345u;
            struct pci_address address = {(uint8_t)(seed >> 30), (uint8_t)(seed >> 20 & 31), (uint8_t)(seed >> 16 & 7)};
            if (fake_function_at(&f->fake, address)) {
                continue;
            }
            struct fake_function *fn = fake_function_add(&f->fake, address, 0x1af4, 0x1041, 0, 0);
            for (unsigned offset = 0; offset < PCI_CONFIG_SIZE; offset++) {
                seed = seed * 1103515245u + 12345u;
                fn->bytes[offset] = (uint8_t)(seed >> 16);
                seed = seed * 1103515245u + 12345u;
                fn->writable[offset] = (uint8_t)(seed >> 16);
            }
            if (i % 2) {
                fake_set16(fn, PCI_VENDOR_ID, 0x1af4); /* virtio, so its vendor capabilities are read too */
                fake_set16(fn, PCI_DEVICE_ID, 0x1041);
            }
            if (i % 3 == 0) {
                fake_set8(fn, PCI_HEADER_TYPE, (uint8_t)(fn->bytes[PCI_HEADER_TYPE] & 0x81)); /* often a bridge */
            }
        }
        unsigned long accesses = f->fake.reads + f->fake.writes;
        enumerate(f);
        assert_true(f->result.count <= f->fake.count);
        assert_true(f->fake.reads + f->fake.writes - accesses < 200000);
        for (size_t i = 0; i < f->result.count; i++) {
            assert_true(f->result.functions[i].capability_count <= PCI_MAX_CAPABILITIES);
            assert_true(f->result.functions[i].interrupt_pin <= 4);
        }
    }
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(finds_the_q35_machine_depth_first),
        TEST(leaves_every_register_as_firmware_left_it),
        TEST(functions_beyond_zero_only_where_the_header_says_so),
        TEST(bridges_nest),
        TEST(bridges_with_bus_numbers_that_make_no_sense_are_not_followed),
        TEST(bridge_nesting_is_bounded),
        TEST(a_full_table_is_reported_once_and_the_rest_counted),
        TEST(an_empty_table_holds_nothing),
        TEST(vendor_zero_is_reported_and_skipped),
        TEST(unknown_header_types_keep_ids_only),
        TEST(cardbus_bridges_have_capabilities_but_no_bars),
        TEST(an_interrupt_pin_beyond_intd_is_reported),
        TEST(failing_reads_are_reported_and_the_function_left_out),
        TEST(problems_beyond_the_list_are_counted),
        TEST(random_configuration_spaces_never_crash_or_hang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
