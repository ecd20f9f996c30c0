/* The log lines about a function (drivers/pci/pci_describe.c, pci_names.c), from enumerated fake functions. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_describe.h"
#include "drivers/pci/pci_enumerate.h"
#include "drivers/pci/pci_names.h"
#include "drivers/pci/pci_registers.h"
#include "fake_config.h"
#include "fake_devices.h"

#include <stdlib.h>
#include <string.h>

struct fixture {
    struct fake_config fake;
    struct pci_config config;
    struct pci_function table[16];
    struct pci_enumeration result;
    char line[PCI_DESCRIBE_LINE_SIZE];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_config_init(&f->fake);
    f->config = fake_config_access(&f->fake);
    fake_q35_machine(&f->fake);
    pci_enumeration_init(&f->result, f->table, 16);
    pci_enumerate(&f->config, &f->result);
    assert_int_equal(f->result.problems.count, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static const struct pci_function *at(struct fixture *f, struct pci_address address)
{
    const struct pci_function *fn = pci_enumeration_find(&f->result, address);
    assert_non_null(fn);
    return fn;
}

static void summary_lines(void **state)
{
    struct fixture *f = *state;
    static const struct {
        struct pci_address address;
        const char *line;
    } expected[] = {
        {Q35_HOST_BRIDGE, "00:00.0 8086:29c0 class 06.00.00 host bridge"},
        {Q35_VIRTIO_NET, "00:02.0 1af4:1041 class 02.00.00 virtio-net, pin A line 11, MSI-X 4 vectors (table BAR1 "
                         "+0x0, PBA BAR1 +0x800)"},
        {Q35_BRIDGE, "00:1e.0 1b36:0001 class 06.04.00 PCI bridge, buses 01-01, pin A line 10"},
        {Q35_BEHIND_BRIDGE, "01:00.0 8086:100e class 02.00.00 Ethernet controller, pin A line 10"},
        {Q35_LPC, "00:1f.0 8086:2918 class 06.01.00 ISA bridge, multi-function"},
        {Q35_SATA, "00:1f.2 8086:2922 class 01.06.01 SATA controller, pin A line 10, MSI 1 vector 64-bit"},
        {Q35_SMBUS, "00:1f.3 8086:2930 class 0c.05.00 SMBus controller, pin A line 10"},
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        pci_describe_function(at(f, expected[i].address), f->line, sizeof(f->line));
        assert_string_equal(f->line, expected[i].line);
    }
}

static void bar_lines(void **state)
{
    struct fixture *f = *state;
    const struct pci_function *net = at(f, Q35_VIRTIO_NET);
    static const char *const expected[] = {NULL,
                                           "00:02.0   BAR1 mem32 0xfebd1000 4 KiB",
                                           NULL,
                                           NULL,
                                           "00:02.0   BAR4 mem64 prefetchable 0xfe000000 16 KiB",
                                           NULL};
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(pci_describe_bar(net, i, f->line, sizeof(f->line)), expected[i] != NULL);
        assert_string_equal(f->line, expected[i] ? expected[i] : "");
    }
    assert_false(pci_describe_bar(net, 6, f->line, sizeof(f->line)));
    assert_true(pci_describe_bar(at(f, Q35_SATA), 4, f->line, sizeof(f->line)));
    assert_string_equal(f->line, "00:1f.2   BAR4 io 0xc040 32 B");
    assert_true(pci_describe_bar(at(f, Q35_BEHIND_BRIDGE), 0, f->line, sizeof(f->line)));
    assert_string_equal(f->line, "01:00.0   BAR0 mem32 0xfe800000 128 KiB");
}

static void virtio_lines(void **state)
{
    struct fixture *f = *state;
    const struct pci_function *net = at(f, Q35_VIRTIO_NET);
    static const char *const expected[] = {
        "00:02.0   virtio pci-cfg (access window)",   "00:02.0   virtio notify BAR4 +0x3000 4 KiB, multiplier 4",
        "00:02.0   virtio device BAR4 +0x2000 4 KiB", "00:02.0   virtio isr BAR4 +0x1000 4 KiB",
        "00:02.0   virtio common BAR4 +0x0 4 KiB",
    };
    assert_int_equal(net->virtio_count, 5);
    for (size_t i = 0; i < 5; i++) {
        pci_describe_virtio(net, i, f->line, sizeof(f->line));
        assert_string_equal(f->line, expected[i]);
    }
}

static void unusual_states_are_spelled_out(void **state)
{
    struct fixture *f = *state;
    struct pci_function fn = *at(f, Q35_VIRTIO_NET);
    fn.bars[1].address = 0;
    fn.bars[4] = (struct pci_bar){.kind = PCI_BAR_INVALID};
    fn.interrupt_line = 0xff;
    fn.msix.present = false;
    fn.msi = (struct pci_msi){.present = true, .vectors = 8, .masking = true};
    fn.problems = 2;
    fn.virtio[1].valid = false;
    fn.virtio[2].cfg_type = 0x42;
    pci_describe_function(&fn, f->line, sizeof(f->line));
    assert_string_equal(f->line, "00:02.0 1af4:1041 class 02.00.00 virtio-net, pin A no line, MSI 8 vectors maskable, "
                                 "2 problems");
    pci_describe_bar(&fn, 1, f->line, sizeof(f->line));
    assert_string_equal(f->line, "00:02.0   BAR1 mem32 0x0 4 KiB (not assigned)");
    pci_describe_bar(&fn, 4, f->line, sizeof(f->line));
    assert_string_equal(f->line, "00:02.0   BAR4 invalid: not to be used");
    pci_describe_virtio(&fn, 1, f->line, sizeof(f->line));
    assert_string_equal(f->line, "00:02.0   virtio notify BAR4 +0x3000 4 KiB, multiplier 4 (outside its BAR: not to be "
                                 "used)");
    pci_describe_virtio(&fn, 2, f->line, sizeof(f->line));
    assert_string_equal(f->line, "00:02.0   virtio type 66 BAR4 +0x2000 4 KiB");
    fn.header_type = 0x7f;
    fn.interrupt_pin = 0;
    fn.msi.present = false;
    fn.problems = 1;
    pci_describe_function(&fn, f->line, sizeof(f->line));
    assert_string_equal(f->line, "00:02.0 1af4:1041 class 02.00.00 virtio-net, header type 0x7f, 1 problem");
}

static void names(void **state)
{
    (void)state;
    struct pci_function fn = {.vendor_id = 0x1af4, .device_id = 0x1042};
    assert_string_equal(pci_function_name(&fn), "virtio-blk");
    fn.device_id = 0x1000; /* transitional net */
    assert_string_equal(pci_function_name(&fn), "virtio-net");
    fn.device_id = 0x1005; /* transitional entropy */
    assert_string_equal(pci_function_name(&fn), "virtio-rng");
    fn.device_id = 0x1053;
    assert_string_equal(pci_function_name(&fn), "virtio-vsock");
    fn.device_id = 0x107f;
    assert_string_equal(pci_function_name(&fn), "virtio device");
    fn.device_id = 0x1008;
    assert_string_equal(pci_function_name(&fn), "virtio device");
    fn.device_id = 0x1100; /* beyond virtio's range: a class name */
    fn.class_code = 0x0c;
    fn.subclass = 0x03;
    fn.prog_if = 0x30;
    assert_string_equal(pci_function_name(&fn), "USB xHCI controller");
    fn.prog_if = 0x20;
    assert_string_equal(pci_function_name(&fn), "USB controller");
    fn.subclass = 0x80;
    assert_string_equal(pci_function_name(&fn), "serial bus controller");
    fn.class_code = 0x42;
    assert_string_equal(pci_function_name(&fn), "unknown");
    assert_null(pci_virtio_cfg_type_name(0));
    assert_string_equal(pci_virtio_cfg_type_name(VIRTIO_PCI_CAP_SHARED_MEMORY_CFG), "shared-memory");
}

static void sizes(void **state)
{
    (void)state;
    char text[24];
    static const struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 B"},
        {32, "32 B"},
        {1024, "1 KiB"},
        {0x1800, "6 KiB"},
        {0x1801, "6145 B"},
        {16ull << 20, "16 MiB"},
        {8ull << 30, "8 GiB"},
        {1ull << 63, "8 EiB"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pci_describe_size(cases[i].bytes, text, sizeof(text));
        assert_string_equal(text, cases[i].text);
    }
}

static void lines_never_overflow_their_buffer(void **state)
{
    struct fixture *f = *state;
    const struct pci_function *net = at(f, Q35_VIRTIO_NET);
    char small[12];
    memset(small, 'x', sizeof(small));
    pci_describe_function(net, small, sizeof(small));
    assert_string_equal(small, "00:02.0 1af");
    pci_describe_bar(net, 4, small, sizeof(small));
    assert_string_equal(small, "00:02.0   B");
    pci_describe_virtio(net, 0, small, 1);
    assert_string_equal(small, "");
    pci_describe_function(net, small, 0); /* nothing written at all */
    assert_string_equal(small, "");
}

/* The worst case still fits a line of the log service: every field at its widest. */
static void the_longest_summary_fits(void **state)
{
    struct fixture *f = *state;
    struct pci_function fn = *at(f, Q35_VIRTIO_NET);
    fn.address = (struct pci_address){0xff, 0x1f, 7};
    fn.class_code = 0x07; /* the longest name */
    fn.vendor_id = 0x8086;
    fn.subclass = 0x80;
    fn.header_type = 0x7f; /* the longest header remark */
    fn.multi_function = true;
    fn.address.function = 0;
    fn.interrupt_line = 254;
    fn.msi = (struct pci_msi){.present = true, .vectors = 32, .address64 = true, .masking = true};
    fn.msix = (struct pci_msix){.present = true,
                                .vectors = 2048,
                                .table_bar = 5,
                                .table_offset = 0xfffffff8,
                                .pba_bar = 5,
                                .pba_offset = 0xfffffff8};
    fn.problems = 4000000000u;
    pci_describe_function(&fn, f->line, sizeof(f->line));
    assert_true(strlen(f->line) < sizeof(f->line) - 1);
    assert_true(strlen("pci ") + strlen(f->line) + strlen("\n") < 256); /* roottask/log_service.h: LOG_LINE_SIZE */
    assert_non_null(strstr(f->line, "communication controller, multi-function, header type 0x7f"));
    assert_non_null(strstr(f->line, "4000000000 problems"));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(summary_lines),
        TEST(bar_lines),
        TEST(virtio_lines),
        TEST(unusual_states_are_spelled_out),
        cmocka_unit_test(names),
        cmocka_unit_test(sizes),
        TEST(lines_never_overflow_their_buffer),
        TEST(the_longest_summary_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
