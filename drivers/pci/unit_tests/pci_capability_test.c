/*
 * Capability lists (drivers/pci/pci_capability.c) and the regions they place in BARs (pci_regions.c): MSI,
 * MSI-X, virtio's vendor capabilities, and hostile lists (loops, pointers into the header, truncation, reserved
 * values), each reported and never followed for ever.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_capability.h"
#include "drivers/pci/pci_function.h"
#include "drivers/pci/pci_registers.h"
#include "fake_config.h"
#include "fake_devices.h"

#include <stdlib.h>
#include <string.h>

#define DEVICE ((struct pci_address){0, 4, 0})
#define VIRTIO_DEVICE ((struct pci_address){0, 2, 0})

struct fixture {
    struct fake_config fake;
    struct pci_config config;
    struct pci_problems problems;
    struct pci_function fn;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_config_init(&f->fake);
    f->config = fake_config_access(&f->fake);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* A plain device with a 4 KiB memory BAR0 and an I/O BAR2, no capabilities yet. */
static struct fake_function *plain_device(struct fixture *f)
{
    struct fake_function *fn = fake_function_add(&f->fake, DEVICE, 0x1234, 0x0001, 0x020000, PCI_HEADER_DEVICE);
    fake_memory_bar(fn, 0, 0xfe100000, 0x1000, false, false);
    fake_io_bar(fn, 2, 0xc000, 0x20);
    return fn;
}

static void probe(struct fixture *f, struct pci_address address)
{
    memset(&f->problems, 0, sizeof(f->problems));
    assert_true(pci_function_probe(&f->config, address, false, &f->fn, &f->problems));
}

static size_t count(struct fixture *f, enum pci_problem_kind kind)
{
    return pci_problems_count(&f->problems, f->fn.address, kind);
}

static void reads_a_virtio_net_as_qemu_builds_it(void **state)
{
    struct fixture *f = *state;
    fake_virtio_net(&f->fake, VIRTIO_DEVICE);
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(f->problems.count, 0);
    static const struct pci_capability expected[] = {{0x11, 0x98}, {0x09, 0x84}, {0x09, 0x70},
                                                     {0x09, 0x60}, {0x09, 0x50}, {0x09, 0x40}};
    assert_int_equal(f->fn.capability_count, 6);
    assert_memory_equal(f->fn.capabilities, expected, sizeof(expected));
    assert_true(f->fn.msix.present);
    assert_int_equal(f->fn.msix.offset, 0x98);
    assert_int_equal(f->fn.msix.vectors, 4);
    assert_int_equal(f->fn.msix.table_bar, 1);
    assert_int_equal(f->fn.msix.table_offset, 0);
    assert_int_equal(f->fn.msix.pba_bar, 1);
    assert_int_equal(f->fn.msix.pba_offset, 0x800);
    assert_false(f->fn.msi.present);
    assert_int_equal(f->fn.virtio_count, 5);
    static const struct {
        uint8_t offset, cfg_type, bar;
        uint64_t region, length;
        uint32_t multiplier;
    } virtio[] = {
        {0x84, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, 0},
        {0x70, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 4},
        {0x60, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000, 0},
        {0x50, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000, 0},
        {0x40, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000, 0},
    };
    for (size_t i = 0; i < 5; i++) {
        const struct pci_virtio_capability *capability = &f->fn.virtio[i];
        assert_int_equal(capability->offset, virtio[i].offset);
        assert_int_equal(capability->cfg_type, virtio[i].cfg_type);
        assert_int_equal(capability->bar, virtio[i].bar);
        assert_int_equal(capability->region_offset, virtio[i].region);
        assert_int_equal(capability->length, virtio[i].length);
        assert_int_equal(capability->notify_multiplier, virtio[i].multiplier);
        assert_true(capability->valid);
    }
}

static void reads_msi(void **state)
{
    struct fixture *f = *state;
    fake_q35_ich9(&f->fake);
    probe(f, Q35_SATA);
    assert_int_equal(f->problems.count, 0);
    assert_true(f->fn.msi.present);
    assert_int_equal(f->fn.msi.offset, 0x80);
    assert_true(f->fn.msi.address64);
    assert_false(f->fn.msi.masking);
    assert_int_equal(f->fn.msi.vectors, 1);
    assert_int_equal(f->fn.capability_count, 2);
    assert_int_equal(f->fn.capabilities[1].id, 0x12);
}

static void reads_msi_with_many_vectors_and_masking(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t msi[22] = {0x8a, 0x01}; /* 64-bit, masking, 32 vectors */
    fake_capability(fn, 0xe8, PCI_CAPABILITY_MSI, msi, sizeof(msi));
    probe(f, DEVICE);
    assert_int_equal(f->problems.count, 0);
    assert_true(f->fn.msi.present && f->fn.msi.masking && f->fn.msi.address64);
    assert_int_equal(f->fn.msi.vectors, 32);
}

static void no_capability_list_bit_means_no_walk(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    fake_set8(fn, PCI_CAPABILITY_POINTER, 0x40);
    fake_set8(fn, 0x40, PCI_CAPABILITY_MSIX);
    probe(f, DEVICE);
    assert_int_equal(f->fn.capability_count, 0);
    assert_false(f->fn.msix.present);
}

static void the_low_pointer_bits_are_masked(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t body[2] = {0};
    fake_capability(fn, 0x40, PCI_CAPABILITY_POWER, body, sizeof(body));
    fake_capability(fn, 0x50, PCI_CAPABILITY_EXPRESS, body, sizeof(body));
    fake_set8(fn, PCI_CAPABILITY_POINTER, 0x43);
    fake_set8(fn, 0x41, 0x52);
    fake_set8(fn, 0x51, 0x03); /* masked: the end */
    probe(f, DEVICE);
    assert_int_equal(f->problems.count, 0);
    assert_int_equal(f->fn.capability_count, 2);
    assert_int_equal(f->fn.capabilities[1].offset, 0x50);
}

static void a_pointer_into_the_header_ends_the_list(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t body[2] = {0};
    fake_capability(fn, 0x40, PCI_CAPABILITY_POWER, body, sizeof(body));
    fake_set8(fn, 0x41, 0x10); /* into the BARs */
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_IN_HEADER), 1);
    assert_int_equal(f->fn.capability_count, 1);
    assert_string_equal(f->problems.list[0].message,
                        "capability pointer at 0x41 points into the header (0x10): the list ends there");

    fake_set8(fn, PCI_CAPABILITY_POINTER, 0x20);
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_IN_HEADER), 1);
    assert_int_equal(f->fn.capability_count, 0);
    assert_int_equal(f->fn.problems, 1);
}

static void a_capability_pointing_at_itself_is_a_loop(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t body[2] = {0};
    fake_capability(fn, 0x40, PCI_CAPABILITY_POWER, body, sizeof(body));
    fake_set8(fn, 0x41, 0x40);
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_LOOP), 1);
    assert_int_equal(f->fn.capability_count, 1);
    assert_string_equal(f->problems.list[0].message,
                        "capability pointer at 0x41 leads back to 0x40 (a loop): the list ends there");
}

static void a_long_loop_is_found_once_every_capability_was_seen(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t body[2] = {0};
    for (unsigned offset = 0x40; offset < 0x100; offset += 4) {
        fake_capability(fn, (uint8_t)offset, 0x0a, body, sizeof(body));
    }
    fake_set8(fn, 0xfd, 0x80); /* the last one leads back into the middle */
    unsigned long reads_before = f->fake.reads;
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_LOOP), 1);
    assert_int_equal(f->fn.capability_count, PCI_MAX_CAPABILITIES);
    assert_true(f->fake.reads - reads_before < 200);
}

static void a_full_list_of_48_capabilities_is_fine(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t body[2] = {0};
    for (unsigned offset = 0x40; offset < 0x100; offset += 4) {
        fake_capability(fn, (uint8_t)offset, 0x0a, body, sizeof(body));
    }
    probe(f, DEVICE);
    assert_int_equal(f->problems.count, 0);
    assert_int_equal(f->fn.capability_count, PCI_MAX_CAPABILITIES);
    assert_int_equal(f->fn.capabilities[47].offset, 0xfc);
}

static void capabilities_running_past_the_end_are_left_out(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t msi[2] = {0x80, 0x01}; /* 64-bit with masking: 24 bytes */
    fake_capability(fn, 0xec, PCI_CAPABILITY_MSI, msi, sizeof(msi));
    static const uint8_t msix[2] = {0x00, 0x00};
    fake_capability(fn, 0xf8, PCI_CAPABILITY_MSIX, msix, sizeof(msix)); /* needs 12 bytes */
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_TRUNCATED), 2);
    assert_false(f->fn.msi.present);
    assert_false(f->fn.msix.present);
    assert_int_equal(f->fn.capability_count, 2);
    assert_string_equal(f->problems.list[1].message,
                        "capability 0x11 at 0xf8 needs 12 bytes: it runs past the end of the space");
}

static void a_second_msi_or_msix_is_ignored(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t msi_one[8] = {0x00, 0x00};
    static const uint8_t msi_four[8] = {0x04, 0x00};
    static const uint8_t msix[10] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00};
    fake_capability(fn, 0x40, PCI_CAPABILITY_MSI, msi_one, sizeof(msi_one));
    fake_capability(fn, 0x50, PCI_CAPABILITY_MSI, msi_four, sizeof(msi_four));
    fake_capability(fn, 0x60, PCI_CAPABILITY_MSIX, msix, sizeof(msix));
    fake_capability(fn, 0x70, PCI_CAPABILITY_MSIX, msix, sizeof(msix));
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_DUPLICATE), 2);
    assert_int_equal(f->fn.msi.offset, 0x40);
    assert_int_equal(f->fn.msi.vectors, 1);
    assert_true(f->fn.msix.present);
    assert_int_equal(f->fn.msix.offset, 0x60);
    assert_int_equal(f->fn.msix.vectors, 1);
    assert_int_equal(f->fn.capability_count, 4);
}

static void reserved_msi_and_msix_fields_are_refused(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t msi[8] = {0x0c, 0x00}; /* multiple message capable 6: reserved */
    static const uint8_t msix[10] = {0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00}; /* BIR 6 */
    fake_capability(fn, 0x40, PCI_CAPABILITY_MSI, msi, sizeof(msi));
    fake_capability(fn, 0x50, PCI_CAPABILITY_MSIX, msix, sizeof(msix));
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_FIELD), 2);
    assert_false(f->fn.msi.present);
    assert_false(f->fn.msix.present);
    assert_string_equal(f->problems.list[0].message, "MSI at 0x40: multiple message capable 6 is reserved");
    assert_string_equal(f->problems.list[1].message, "MSI-X at 0x50: BAR indicator 6 is reserved");
}

static void an_msix_table_outside_a_memory_bar_withdraws_msix(void **state)
{
    static const struct {
        uint8_t table[4];
        uint8_t pba[4];
        const char *message;
    } cases[] = {
        /* 2048 vectors of 16 bytes: 32 KiB in a 4 KiB BAR */
        {{0x00, 0x00, 0x00, 0x00}, {0x00, 0x08, 0x00, 0x00}, "MSI-X table at BAR0 +0x0 (0x8000 bytes)"},
        {{0x02, 0x00, 0x00, 0x00}, {0x00, 0x08, 0x00, 0x00}, "MSI-X table at BAR2 +0x0 (0x8000 bytes)"}, /* I/O */
        {{0x03, 0x00, 0x00, 0x00}, {0x00, 0x08, 0x00, 0x00}, "MSI-X table at BAR3 +0x0 (0x8000 bytes)"}, /* none */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fixture *f = *state;
        fake_config_init(&f->fake);
        struct fake_function *fn = plain_device(f);
        uint8_t msix[10] = {0xff, 0x07};
        memcpy(&msix[2], cases[i].table, 4);
        memcpy(&msix[6], cases[i].pba, 4);
        fake_capability(fn, 0x40, PCI_CAPABILITY_MSIX, msix, sizeof(msix));
        probe(f, DEVICE);
        assert_int_equal(count(f, PCI_PROBLEM_REGION_OUTSIDE_BAR), 1);
        assert_false(f->fn.msix.present);
        assert_non_null(strstr(f->problems.list[0].message, cases[i].message));
    }
}

static void an_msix_pba_past_its_bar_withdraws_msix(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t msix[10] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x0f, 0x00, 0x00}; /* PBA +0xff8 */
    fake_capability(fn, 0x40, PCI_CAPABILITY_MSIX, msix, sizeof(msix));
    probe(f, DEVICE);
    assert_int_equal(f->problems.count, 0); /* 8 bytes at +0xff8 just fit */
    assert_true(f->fn.msix.present);
    fake_set32(fn, 0x48, 0xffffff00); /* +0xffffff00 */
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_REGION_OUTSIDE_BAR), 1);
    assert_false(f->fn.msix.present);
}

/* A virtio-net whose virtio capabilities are replaced by test ones (MSI-X stays). */
static struct fake_function *virtio_net_with(struct fixture *f)
{
    struct fake_function *fn = fake_virtio_net(&f->fake, VIRTIO_DEVICE);
    fake_set8(fn, 0x99, 0); /* MSI-X is the last */
    fn->last_capability = 0x98;
    return fn;
}

static void malformed_virtio_capabilities_are_reported(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = virtio_net_with(f);
    fake_virtio_capability(fn, 0x40, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0000, 0x1000, 0); /* fine */
    fake_virtio_capability(fn, 0x50, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000, 0);
    fake_set8(fn, 0x52, 8); /* cap_len 8: too short */
    fake_virtio_capability(fn, 0x60, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 4);
    fake_set8(fn, 0x62, 16); /* a notify capability without its multiplier */
    fake_virtio_capability(fn, 0x78, VIRTIO_PCI_CAP_DEVICE_CFG, 7, 0x2000, 0x1000, 0); /* reserved BAR */
    fake_virtio_capability(fn, 0x88, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x3800, 0x1000, 0); /* past BAR4's end */
    fake_virtio_capability(fn, 0xa8, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 3); /* multiplier 3 */
    fake_virtio_capability(fn, 0xc0, VIRTIO_PCI_CAP_DEVICE_CFG, 0, 0, 0x10, 0);        /* BAR0 not there */
    /* A common capability of 16 bytes at 0xf4 runs past the space (fake_capability() refuses to build it). */
    fake_set8(fn, 0xc1, 0xf4);
    fake_set8(fn, 0xf4, PCI_CAPABILITY_VENDOR);
    fake_set8(fn, 0xf6, VIRTIO_PCI_CAP_SIZE);
    fake_set8(fn, 0xf7, VIRTIO_PCI_CAP_COMMON_CFG);
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_FIELD), 4);
    assert_int_equal(count(f, PCI_PROBLEM_REGION_OUTSIDE_BAR), 2);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_TRUNCATED), 1);
    assert_int_equal(f->fn.problems, 7);
    assert_int_equal(f->fn.virtio_count, 3); /* common, and the two outside their BARs (kept, not valid) */
    assert_true(f->fn.virtio[0].valid);
    assert_false(f->fn.virtio[1].valid);
    assert_false(f->fn.virtio[2].valid);
    assert_true(f->fn.msix.present);
    assert_string_equal(f->problems.list[0].message,
                        "virtio capability at 0x50 (type 3) is 8 bytes long, at least 16 needed");
    assert_string_equal(f->problems.list[1].message,
                        "virtio capability at 0x60 (type 2) is 16 bytes long, at least 20 needed");
    assert_string_equal(f->problems.list[2].message,
                        "virtio capability at 0x78 (type 4) names reserved BAR 7: ignored");
    assert_string_equal(f->problems.list[3].message,
                        "virtio notify capability at 0xa8: multiplier 3 is not 0 or a power of 2: ignored");
}

static void unknown_virtio_types_are_kept_and_checked(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = virtio_net_with(f);
    fake_virtio_capability(fn, 0x40, 0x63, 4, 0x0, 0x100, 0);
    fake_virtio_capability(fn, 0x50, VIRTIO_PCI_CAP_PCI_CFG, 0xff, 0xffffffff, 0xffffffff, 0); /* its own window */
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(f->problems.count, 0);
    assert_int_equal(f->fn.virtio_count, 2);
    assert_int_equal(f->fn.virtio[0].cfg_type, 0x63);
    assert_true(f->fn.virtio[0].valid);
}

static void shared_memory_regions_have_64_bit_offsets(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = virtio_net_with(f);
    uint8_t body[22] = {24, VIRTIO_PCI_CAP_SHARED_MEMORY_CFG, 4, 1};
    body[6 + 1] = 0x20;  /* offset 0x2000 */
    body[10 + 1] = 0x10; /* length 0x1000 */
    fake_capability(fn, 0x40, PCI_CAPABILITY_VENDOR, body, sizeof(body));
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(f->problems.count, 0);
    assert_int_equal(f->fn.virtio[0].region_offset, 0x2000);
    fake_set8(fn, 0x40 + 16 + 3, 0x01); /* offset_hi: +0x1000000002000 */
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(f->fn.virtio[0].region_offset, 0x0100000000002000ull);
    assert_int_equal(count(f, PCI_PROBLEM_REGION_OUTSIDE_BAR), 1);
    fake_set8(fn, 0x42, 20); /* too short for the 64-bit form */
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_CAPABILITY_FIELD), 1);
}

static void more_virtio_capabilities_than_the_table_holds_are_reported(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_function_add(&f->fake, VIRTIO_DEVICE, 0x1af4, 0x1041, 0x020000, 0);
    fake_memory_bar(fn, 4, 0xfe000000, 0x4000, true, true);
    for (unsigned i = 0; i < PCI_MAX_VIRTIO_CAPABILITIES + 2; i++) {
        fake_virtio_capability(fn, (uint8_t)(0x40 + 16 * i), VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x100, 0);
    }
    probe(f, VIRTIO_DEVICE);
    assert_int_equal(f->fn.virtio_count, PCI_MAX_VIRTIO_CAPABILITIES);
    assert_int_equal(count(f, PCI_PROBLEM_TOO_MANY_VIRTIO), 2);
    assert_int_equal(f->fn.capability_count, PCI_MAX_VIRTIO_CAPABILITIES + 2);
}

static void vendor_capabilities_of_other_devices_are_not_virtio(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    fake_virtio_capability(fn, 0x40, VIRTIO_PCI_CAP_COMMON_CFG, 0, 0, 0x1000, 0);
    probe(f, DEVICE);
    assert_int_equal(f->fn.virtio_count, 0);
    assert_int_equal(f->fn.capability_count, 1);
    assert_int_equal(f->problems.count, 0);
}

static void a_failing_read_ends_the_walk_with_one_report(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = plain_device(f);
    static const uint8_t body[2] = {0};
    for (unsigned offset = 0x40; offset < 0x80; offset += 0x10) {
        fake_capability(fn, (uint8_t)offset, PCI_CAPABILITY_POWER, body, sizeof(body));
    }
    f->fake.fail_address = DEVICE;
    f->fake.fail_from = 0x60;
    f->fake.fail_error = ERROR_TIMEOUT;
    probe(f, DEVICE);
    assert_int_equal(count(f, PCI_PROBLEM_ACCESS), 1);
    assert_int_equal(f->problems.count, 1);
    assert_int_equal(f->fn.capability_count, 2); /* 0x40, 0x50 */
    assert_string_equal(f->problems.list[0].message,
                        "configuration read at 0x60 failed in the capability list: timeout");
}

/* Random bytes above the header, on a virtio device so every reader runs: reported, never a crash or a hang. */
static void random_capability_bytes_never_crash_or_hang(void **state)
{
    struct fixture *f = *state;
    uint32_t seed = 0x12345678;
    for (unsigned round = 0; round < 3000; round++) {
        fake_config_init(&f->fake);
        struct fake_function *fn = fake_virtio_net(&f->fake, VIRTIO_DEVICE);
        for (unsigned offset = PCI_HEADER_SIZE; offset < PCI_CONFIG_SIZE; offset++) {
            seed = seed * 1103515245u + 12345u;
            fn->bytes[offset] = (uint8_t)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        fake_set8(fn, PCI_CAPABILITY_POINTER, (uint8_t)(seed >> 16));
        memset(&f->problems, 0, sizeof(f->problems));
        unsigned long reads_before = f->fake.reads;
        pci_function_probe(&f->config, VIRTIO_DEVICE, false, &f->fn, &f->problems);
        assert_true(f->fn.capability_count <= PCI_MAX_CAPABILITIES);
        assert_true(f->fn.virtio_count <= PCI_MAX_VIRTIO_CAPABILITIES);
        assert_true(f->fake.reads - reads_before < 2000);
        if (f->fn.msix.present) {
            assert_true(f->fn.msix.table_bar == 1 || f->fn.msix.table_bar == 4);
        }
    }
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(reads_a_virtio_net_as_qemu_builds_it),
        TEST(reads_msi),
        TEST(reads_msi_with_many_vectors_and_masking),
        TEST(no_capability_list_bit_means_no_walk),
        TEST(the_low_pointer_bits_are_masked),
        TEST(a_pointer_into_the_header_ends_the_list),
        TEST(a_capability_pointing_at_itself_is_a_loop),
        TEST(a_long_loop_is_found_once_every_capability_was_seen),
        TEST(a_full_list_of_48_capabilities_is_fine),
        TEST(capabilities_running_past_the_end_are_left_out),
        TEST(a_second_msi_or_msix_is_ignored),
        TEST(reserved_msi_and_msix_fields_are_refused),
        TEST(an_msix_table_outside_a_memory_bar_withdraws_msix),
        TEST(an_msix_pba_past_its_bar_withdraws_msix),
        TEST(malformed_virtio_capabilities_are_reported),
        TEST(unknown_virtio_types_are_kept_and_checked),
        TEST(shared_memory_regions_have_64_bit_offsets),
        TEST(more_virtio_capabilities_than_the_table_holds_are_reported),
        TEST(vendor_capabilities_of_other_devices_are_not_virtio),
        TEST(a_failing_read_ends_the_walk_with_one_report),
        TEST(random_capability_bytes_never_crash_or_hang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
