/* BAR decoding and sizing (drivers/pci/pci_bar.c): every kind, the command register around it, hostile reads. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/pci_bar.h"
#include "drivers/pci/pci_function.h"
#include "drivers/pci/pci_registers.h"
#include "fake_config.h"
#include "fake_devices.h"

#include <stdlib.h>
#include <string.h>

#define DEVICE ((struct pci_address){0, 5, 0})

/* --- pci_bar_decode: pure ------------------------------------------------------------------- */

static enum pci_problem_kind decode(uint32_t original, uint32_t readback, uint32_t upper_original,
                                    uint32_t upper_readback, struct pci_bar *bar)
{
    char why[96];
    struct pci_bar_reading reading = {original, readback, upper_original, upper_readback};
    memset(bar, 0x5a, sizeof(*bar));
    enum pci_problem_kind kind = pci_bar_decode(&reading, bar, why, sizeof(why));
    assert_true((kind == PCI_PROBLEM_NONE) == (why[0] == '\0'));
    return kind;
}

static void decodes_io_bars_of_16_and_32_bit_decoders(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0x0000c041, 0x0000ffe1, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.kind, PCI_BAR_IO);
    assert_int_equal(bar.address, 0xc040);
    assert_int_equal(bar.size, 32);
    assert_false(bar.prefetchable);
    assert_int_equal(decode(0x00000701, 0xffffffc1, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.address, 0x700);
    assert_int_equal(bar.size, 64);
}

static void decodes_32_bit_memory(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0xfebd1000, 0xfffff000, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.kind, PCI_BAR_MEMORY32);
    assert_int_equal(bar.address, 0xfebd1000);
    assert_int_equal(bar.size, 0x1000);
    assert_int_equal(decode(0xfd000008, 0xff000008, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_true(bar.prefetchable);
    assert_int_equal(bar.size, 16 << 20);
    assert_int_equal(decode(0x00000000, 0x80000000, 0, 0, &bar), PCI_PROBLEM_NONE); /* 2 GiB, not assigned */
    assert_int_equal(bar.address, 0);
    assert_int_equal(bar.size, 0x80000000);
}

static void decodes_64_bit_memory_below_and_above_4g(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0xfe00000c, 0xffffc00c, 0, 0xffffffff, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.kind, PCI_BAR_MEMORY64);
    assert_true(bar.prefetchable);
    assert_int_equal(bar.address, 0xfe000000);
    assert_int_equal(bar.size, 0x4000);
    assert_int_equal(decode(0x0000000c, 0x0000000c, 0x8, 0xfffffffe, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.address, 0x800000000ull);
    assert_int_equal(bar.size, 0x200000000ull); /* 8 GiB */
}

static void unimplemented_bars_are_unused(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0, 0, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.kind, PCI_BAR_UNUSED);
    assert_int_equal(bar.size, 0);
    assert_int_equal(decode(1, 1, 0, 0, &bar), PCI_PROBLEM_NONE); /* I/O with no address bits */
    assert_int_equal(bar.kind, PCI_BAR_UNUSED);
    assert_int_equal(decode(0x4, 0x4, 0, 0, &bar), PCI_PROBLEM_NONE); /* 64-bit, nothing writable */
    assert_int_equal(bar.kind, PCI_BAR_UNUSED);
}

static void size_reads_that_are_not_masks_are_invalid(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0xfe000000, 0xff00ff00, 0, 0, &bar), PCI_PROBLEM_BAR_SIZE);
    assert_int_equal(bar.kind, PCI_BAR_INVALID);
    assert_int_equal(bar.size, 0);
    assert_int_equal(decode(0x0000c001, 0x0000f0f1, 0, 0, &bar), PCI_PROBLEM_BAR_SIZE);
    /* A 64-bit BAR whose upper half is not writable cannot be placed anywhere a mask says. */
    assert_int_equal(decode(0xfe00000c, 0xffffc00c, 0, 0, &bar), PCI_PROBLEM_BAR_SIZE);
    assert_int_equal(decode(0xc, 0xc, 0, 0x0000ffff, &bar), PCI_PROBLEM_BAR_SIZE);
}

static void an_assigned_bar_that_sizes_to_nothing_is_invalid(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0xfebd1000, 0x00000000, 0, 0, &bar), PCI_PROBLEM_BAR_SIZE);
    assert_int_equal(bar.kind, PCI_BAR_INVALID);
    assert_int_equal(decode(0x0000c001, 0x00000001, 0, 0, &bar), PCI_PROBLEM_BAR_SIZE);
    assert_int_equal(decode(0x0000000c, 0x0000000c, 1, 0, &bar), PCI_PROBLEM_BAR_SIZE);
}

static void type_bits_that_change_or_are_reserved_are_invalid(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0xfebd1000, 0xfffff008, 0, 0, &bar), PCI_PROBLEM_BAR_TYPE); /* prefetchable appears */
    assert_int_equal(decode(0xfebd1000, 0xfffff001, 0, 0, &bar), PCI_PROBLEM_BAR_TYPE); /* turns into I/O */
    assert_int_equal(decode(0x0000c001, 0xffffffc0, 0, 0, &bar), PCI_PROBLEM_BAR_TYPE); /* turns into memory */
    assert_int_equal(decode(0x000d0002, 0xfffff002, 0, 0, &bar), PCI_PROBLEM_BAR_TYPE); /* below 1 MiB */
    assert_int_equal(decode(0xfebd1006, 0xfffff006, 0, 0, &bar), PCI_PROBLEM_BAR_TYPE); /* type 3 */
    assert_int_equal(bar.kind, PCI_BAR_INVALID);
}

static void misplaced_bars_are_invalid(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(decode(0xfebd1800, 0xfffff000, 0, 0, &bar), PCI_PROBLEM_BAR_PLACEMENT); /* not aligned */
    assert_int_equal(decode(0x0000ffe1, 0x0000ffe1, 0, 0, &bar), PCI_PROBLEM_NONE);          /* the last 32 ports */
    assert_int_equal(bar.size, 32);
    assert_int_equal(decode(0x0000fff1, 0x0000fff1, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.address, 0xfff0);
    assert_int_equal(decode(0xffff0001, 0xfffffff1, 0, 0, &bar), PCI_PROBLEM_BAR_PLACEMENT); /* beyond 64 KiB */
    assert_int_equal(decode(0x00000001, 0xffff0001, 0, 0, &bar), PCI_PROBLEM_NONE);          /* upper half only */
    assert_int_equal(bar.kind, PCI_BAR_UNUSED);
    assert_int_equal(decode(0x00000001, 0xffff8001, 0, 0, &bar), PCI_PROBLEM_NONE);
    assert_int_equal(bar.size, 0x8000);
}

/* --- pci_bars_probe: through the fake configuration space ------------------------------------- */

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

/* Probes the fake function at address the way pci_function_probe does, BARs only. */
static void probe(struct fixture *f, struct pci_address address)
{
    const struct fake_function *fake = fake_function_at(&f->fake, address);
    unsigned type = fake->bytes[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
    f->fn = (struct pci_function){
        .address = address,
        .class_code = fake->bytes[PCI_CLASS],
        .subclass = fake->bytes[PCI_SUBCLASS],
        .header_type = (uint8_t)type,
        .command = fake_get16(fake, PCI_COMMAND),
        .bar_count = type == PCI_HEADER_DEVICE ? 6 : 2,
    };
    pci_bars_probe(&f->config, &f->fn, &f->problems);
}

static void sizes_a_virtio_net_with_decoding_off_and_restores_everything(void **state)
{
    struct fixture *f = *state;
    struct fake_function *net = fake_virtio_net(&f->fake, DEVICE);
    struct fake_function before = *net;
    probe(f, DEVICE);
    assert_int_equal(f->problems.count, 0);
    assert_int_equal(f->fn.bars[0].kind, PCI_BAR_UNUSED);
    assert_int_equal(f->fn.bars[1].kind, PCI_BAR_MEMORY32);
    assert_int_equal(f->fn.bars[1].address, 0xfebd1000);
    assert_int_equal(f->fn.bars[1].size, 0x1000);
    assert_int_equal(f->fn.bars[4].kind, PCI_BAR_MEMORY64);
    assert_true(f->fn.bars[4].prefetchable);
    assert_int_equal(f->fn.bars[4].address, 0xfe000000);
    assert_int_equal(f->fn.bars[4].size, 0x4000);
    assert_int_equal(f->fn.bars[5].kind, PCI_BAR_UPPER_HALF);
    assert_true(net->bar_writes > 0);
    assert_int_equal(net->bar_writes_while_decoding, 0);
    assert_int_equal(net->command_writes, 2); /* off, then back */
    assert_memory_equal(net->bytes, before.bytes, sizeof(net->bytes));
}

static void sizes_io_bars(void **state)
{
    struct fixture *f = *state;
    fake_q35_ich9(&f->fake);
    probe(f, Q35_SMBUS);
    assert_int_equal(f->problems.count, 0);
    assert_int_equal(f->fn.bars[4].kind, PCI_BAR_IO);
    assert_int_equal(f->fn.bars[4].address, 0x700);
    assert_int_equal(f->fn.bars[4].size, 64);
    assert_int_equal(fake_function_at(&f->fake, Q35_SMBUS)->bar_writes_while_decoding, 0);
}

static void a_function_not_decoding_keeps_its_command_register_untouched(void **state)
{
    struct fixture *f = *state;
    struct fake_function *e1000 = fake_e1000(&f->fake, DEVICE);
    fake_set16(e1000, PCI_COMMAND, 0);
    probe(f, DEVICE);
    assert_int_equal(e1000->command_writes, 0);
    assert_int_equal(f->fn.bars[0].size, 0x20000);
    assert_int_equal(f->fn.bars[1].size, 64);
}

static void a_host_bridge_is_sized_without_stopping_its_decoding(void **state)
{
    struct fixture *f = *state;
    struct fake_function *host = fake_q35_host_bridge(&f->fake);
    fake_memory_bar(host, 0, 0xb0000000, 0x10000000, false, false); /* e.g. a chipset's ECAM window */
    probe(f, Q35_HOST_BRIDGE);
    assert_int_equal(host->command_writes, 0);
    assert_int_equal(f->fn.bars[0].size, 0x10000000);
    assert_int_equal(f->problems.count, 0);
}

static void a_bridge_has_two_bars(void **state)
{
    struct fixture *f = *state;
    struct fake_function *bridge = fake_bridge(&f->fake, DEVICE, 1, 1);
    fake_memory_bar(bridge, 0, 0xfea52000, 0x1000, false, false);
    fake_set32(bridge, PCI_BAR0 + 8, 0x01010100); /* bus numbers, not a BAR */
    probe(f, DEVICE);
    assert_int_equal(f->fn.bars[0].size, 0x1000);
    assert_int_equal(f->fn.bars[1].kind, PCI_BAR_UNUSED);
    assert_int_equal(f->fn.bars[2].kind, PCI_BAR_UNUSED); /* never touched: zeroed by probe() above */
    assert_int_equal(fake_get32(bridge, PCI_BAR0 + 8), 0x01010100);
    assert_int_equal(f->problems.count, 0);
}

static void a_64_bit_bar_in_the_last_slot_is_invalid_and_left_alone(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_function_add(&f->fake, DEVICE, 0x1234, 0x0001, 0x020000, PCI_HEADER_DEVICE);
    fake_memory_bar(fn, 5, 0xfe000000, 0x4000, true, false);
    fake_set32(fn, PCI_BAR0 + 24, 0x12345678); /* the cardbus pointer after it: not its upper half */
    fn->writable[PCI_BAR0 + 24] = 0xff;
    probe(f, DEVICE);
    assert_int_equal(f->fn.bars[5].kind, PCI_BAR_INVALID);
    assert_int_equal(pci_problems_count(&f->problems, DEVICE, PCI_PROBLEM_BAR_NO_UPPER_HALF), 1);
    assert_int_equal(fake_get32(fn, PCI_BAR0 + 20), 0xfe000004);
    assert_int_equal(fake_get32(fn, PCI_BAR0 + 24), 0x12345678);
    assert_int_equal(f->fn.problems, 1);
}

static void nonsense_size_reads_are_reported_and_the_rest_still_sized(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_function_add(&f->fake, DEVICE, 0x1234, 0x0001, 0x020000, PCI_HEADER_DEVICE);
    fake_set32(fn, PCI_BAR0, 0xfe000000);
    fake_writable32(fn, PCI_BAR0, 0xff00ff00); /* holes in the mask */
    fake_set32(fn, PCI_BAR0 + 4, 0xfd000000);  /* nothing writable: reads its address back */
    fake_set32(fn, PCI_BAR0 + 8, 0xfc000000);
    fake_writable32(fn, PCI_BAR0 + 8, 0xfffff009); /* the prefetchable and I/O bits flip */
    fake_memory_bar(fn, 3, 0xfb000000, 0x1000, false, false);
    fake_set16(fn, PCI_COMMAND, PCI_COMMAND_MEMORY);
    probe(f, DEVICE);
    assert_int_equal(pci_problems_count(&f->problems, DEVICE, PCI_PROBLEM_BAR_SIZE), 2);
    assert_int_equal(pci_problems_count(&f->problems, DEVICE, PCI_PROBLEM_BAR_TYPE), 1);
    assert_int_equal(f->fn.bars[0].kind, PCI_BAR_INVALID);
    assert_int_equal(f->fn.bars[1].kind, PCI_BAR_INVALID);
    assert_int_equal(f->fn.bars[2].kind, PCI_BAR_INVALID);
    assert_int_equal(f->fn.bars[3].kind, PCI_BAR_MEMORY32);
    assert_int_equal(f->fn.problems, 3);
    assert_string_equal(f->problems.list[0].message, "BAR0: size read 0xff00ff00 is not a mask");
    assert_string_equal(f->problems.list[1].message, "BAR1: size read 0xfd000000 is not a mask");
    assert_string_equal(f->problems.list[2].message, "BAR2: type bits 0x0 read back as 0x9 when sized");
    assert_int_equal(fake_get32(fn, PCI_BAR0), 0xfe000000);
    assert_int_equal(fake_get16(fn, PCI_COMMAND), PCI_COMMAND_MEMORY);
    assert_int_equal(fn->bar_writes_while_decoding, 0);
}

static void a_bar_that_does_not_take_its_value_back_is_reported(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_virtio_net(&f->fake, DEVICE);
    fn->freeze_after_write = PCI_BAR0 + 4; /* BAR1 sticks at its size mask once written */
    probe(f, DEVICE);
    assert_int_equal(pci_problems_count(&f->problems, DEVICE, PCI_PROBLEM_NOT_RESTORED), 1);
    assert_string_equal(f->problems.list[0].message,
                        "BAR1 reads 0xfffff000 after its old value 0xfebd1000 was written back");
}

static void a_command_register_that_does_not_take_its_value_back_is_reported(void **state)
{
    struct fixture *f = *state;
    struct fake_function *fn = fake_virtio_net(&f->fake, DEVICE);
    fn->freeze_after_write = PCI_COMMAND;
    probe(f, DEVICE);
    assert_int_equal(pci_problems_count(&f->problems, DEVICE, PCI_PROBLEM_NOT_RESTORED), 1);
    assert_string_equal(f->problems.list[0].message,
                        "command register reads 0x0004 after its old value 0x0007 was written back");
}

static void an_access_failure_invalidates_the_bars_left_and_is_reported_once(void **state)
{
    struct fixture *f = *state;
    fake_virtio_net(&f->fake, DEVICE);
    f->fake.fail_address = DEVICE;
    f->fake.fail_from = PCI_BAR0 + 16;
    f->fake.fail_error = ERROR_OUT_OF_RANGE;
    probe(f, DEVICE);
    assert_int_equal(f->fn.bars[1].kind, PCI_BAR_MEMORY32);
    for (unsigned i = 4; i < 6; i++) {
        assert_int_equal(f->fn.bars[i].kind, PCI_BAR_INVALID);
    }
    assert_int_equal(f->problems.count, 1);
    assert_int_equal(f->problems.list[0].kind, PCI_PROBLEM_ACCESS);
    assert_int_equal(fake_get16(fake_function_at(&f->fake, DEVICE), PCI_COMMAND), 0x0007); /* restored */
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_io_bars_of_16_and_32_bit_decoders),
        cmocka_unit_test(decodes_32_bit_memory),
        cmocka_unit_test(decodes_64_bit_memory_below_and_above_4g),
        cmocka_unit_test(unimplemented_bars_are_unused),
        cmocka_unit_test(size_reads_that_are_not_masks_are_invalid),
        cmocka_unit_test(an_assigned_bar_that_sizes_to_nothing_is_invalid),
        cmocka_unit_test(type_bits_that_change_or_are_reserved_are_invalid),
        cmocka_unit_test(misplaced_bars_are_invalid),
        TEST(sizes_a_virtio_net_with_decoding_off_and_restores_everything),
        TEST(sizes_io_bars),
        TEST(a_function_not_decoding_keeps_its_command_register_untouched),
        TEST(a_host_bridge_is_sized_without_stopping_its_decoding),
        TEST(a_bridge_has_two_bars),
        TEST(a_64_bit_bar_in_the_last_slot_is_invalid_and_left_alone),
        TEST(nonsense_size_reads_are_reported_and_the_rest_still_sized),
        TEST(a_bar_that_does_not_take_its_value_back_is_reported),
        TEST(a_command_register_that_does_not_take_its_value_back_is_reported),
        TEST(an_access_failure_invalidates_the_bars_left_and_is_reported_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
