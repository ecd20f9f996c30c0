/* Unit tests for the ACPI tables (vmm/boot/acpi_tables.c, acpi_dsdt.c), read back from guest RAM. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "acpi_tables.h"
#include "aml_reader.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GUEST_SIZE 0x100000u
#define BASE 0xe0000u
#define GARBAGE 0xa5
#define HEADER_SIZE 36

static struct guest_memory memory;
static struct acpi_virtio_mmio_device devices[ACPI_MAX_VIRTIO_MMIO_DEVICES + 1];
static struct acpi_config config;

static int set_up(void **state)
{
    (void)state;
    memory = (struct guest_memory){malloc(GUEST_SIZE), GUEST_SIZE};
    memset(memory.host_base, GARBAGE, GUEST_SIZE);
    for (uint32_t i = 0; i < ACPI_MAX_VIRTIO_MMIO_DEVICES + 1; i++) {
        devices[i] = (struct acpi_virtio_mmio_device){0xd0000000u + 0x200 * i, 0x200, 16 + i};
    }
    config = (struct acpi_config){.vcpu_count = 2, .io_apic_id = 2, .devices = devices, .device_count = 3};
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    free(memory.host_base);
    return 0;
}

static uint32_t get32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

static uint64_t get64(const uint8_t *bytes)
{
    return get32(bytes) | (uint64_t)get32(bytes + 4) << 32;
}

static uint8_t sum(const uint8_t *bytes, size_t length)
{
    uint8_t total = 0;
    for (size_t i = 0; i < length; i++) {
        total = (uint8_t)(total + bytes[i]);
    }
    return total;
}

struct tables {
    uint64_t rsdp_address;
    uint64_t used;
    const uint8_t *rsdp;
    const uint8_t *xsdt;
    const uint8_t *fadt;
    const uint8_t *madt;
    const uint8_t *dsdt;
};

/* Checks one table's header and checksum, that it lies inside what acpi_build said it used, and returns it. */
static const uint8_t *table(const struct guest_memory *guest, const struct tables *tables, uint64_t base,
                            uint64_t address, const char *signature)
{
    assert_true(address >= base && address + HEADER_SIZE <= base + tables->used);
    const uint8_t *bytes = guest->host_base + address;
    assert_memory_equal(bytes, signature, 4);
    uint32_t length = get32(bytes + 4);
    assert_true(length >= HEADER_SIZE && address + length <= base + tables->used);
    assert_int_equal(sum(bytes, length), 0);
    assert_memory_equal(bytes + 10, "KAPSEL", 6);
    return bytes;
}

/* Builds the tables at base in guest and follows every pointer from the RSDP, checking as it goes. */
static struct tables build_at(const struct guest_memory *guest, uint64_t base)
{
    struct tables tables;
    assert_int_equal(acpi_build(guest, base, &config, &tables.rsdp_address, &tables.used), BOOT_OK);
    assert_true(tables.rsdp_address % 16 == 0 && tables.rsdp_address >= base && tables.rsdp_address < base + 16);
    tables.rsdp = guest->host_base + tables.rsdp_address;
    assert_memory_equal(tables.rsdp, "RSD PTR ", 8);
    assert_int_equal(sum(tables.rsdp, 20), 0);
    assert_int_equal(sum(tables.rsdp, 36), 0);
    assert_int_equal(tables.rsdp[15], 2);          /* revision */
    assert_int_equal(get32(tables.rsdp + 16), 0);  /* no RSDT */
    assert_int_equal(get32(tables.rsdp + 20), 36); /* length */
    tables.xsdt = table(guest, &tables, base, get64(tables.rsdp + 24), "XSDT");
    assert_int_equal(get32(tables.xsdt + 4), HEADER_SIZE + 2 * 8);
    tables.fadt = table(guest, &tables, base, get64(tables.xsdt + HEADER_SIZE), "FACP");
    tables.madt = table(guest, &tables, base, get64(tables.xsdt + HEADER_SIZE + 8), "APIC");
    tables.dsdt = table(guest, &tables, base, get64(tables.fadt + 140), "DSDT");
    /* The DSDT comes last and ends exactly where the used bytes do. */
    assert_int_equal(tables.dsdt + get32(tables.dsdt + 4), guest->host_base + base + tables.used);
    return tables;
}

static struct tables build(void)
{
    return build_at(&memory, BASE);
}

static void test_rsdp_leads_to_every_table(void **state)
{
    (void)state;
    struct tables tables = build();
    assert_int_equal(tables.rsdp_address, BASE);
    /* No two tables share a byte. */
    const uint8_t *starts[] = {tables.rsdp, tables.xsdt, tables.fadt, tables.madt, tables.dsdt};
    size_t lengths[] = {36, get32(tables.xsdt + 4), get32(tables.fadt + 4), get32(tables.madt + 4),
                        get32(tables.dsdt + 4)};
    for (size_t a = 0; a < 5; a++) {
        for (size_t b = 0; b < a; b++) {
            assert_true(starts[a] >= starts[b] + lengths[b] || starts[b] >= starts[a] + lengths[a]);
        }
    }
}

static void test_rsdp_is_16_byte_aligned(void **state)
{
    (void)state;
    struct tables tables = build_at(&memory, BASE + 4);
    assert_int_equal(tables.rsdp_address, BASE + 16);
}

static void test_fadt_is_hardware_reduced_and_points_at_the_dsdt(void **state)
{
    (void)state;
    struct tables tables = build();
    const uint8_t *fadt = tables.fadt;
    assert_int_equal(get32(fadt + 4), 276);
    assert_int_equal(fadt[8], 6);                /* revision */
    assert_int_equal(fadt[131], 5);              /* minor version: ACPI 6.5 */
    assert_true(get32(fadt + 112) & (1u << 20)); /* HW_REDUCED_ACPI */
    assert_int_equal(get32(fadt + 40), tables.dsdt - memory.host_base);
    assert_int_equal(get64(fadt + 140), tables.dsdt - memory.host_base);
    assert_int_equal(get32(fadt + 36), 0); /* no FACS */
    assert_int_equal(get64(fadt + 132), 0);
    assert_int_equal(fadt[46] | fadt[47] << 8, 0); /* no SCI */
    assert_int_equal(get32(fadt + 76), 0);         /* no PM timer */
    assert_int_equal(get64(fadt + 208 + 4), 0);    /* X_PM_TMR_BLK address */
    uint16_t boot_flags = (uint16_t)(fadt[109] | fadt[110] << 8);
    assert_int_equal(boot_flags & 0x3, 0);       /* no LEGACY_DEVICES, no 8042 */
    assert_true(boot_flags & (1u << 2));         /* no VGA */
    assert_true(get32(fadt + 112) & (1u << 10)); /* RESET_REG_SUP */
    /* Reset, sleep control and sleep status registers: one-byte I/O ports (GAS: space 1, 8 bits, byte access). */
    const struct {
        unsigned offset;
        uint64_t port;
    } registers[] = {{116, 0xcf9}, {244, 0x600}, {256, 0x601}};
    for (size_t i = 0; i < sizeof(registers) / sizeof(registers[0]); i++) {
        const uint8_t *gas = fadt + registers[i].offset;
        assert_int_equal(gas[0], 1);
        assert_int_equal(gas[1], 8);
        assert_int_equal(gas[3], 1);
        assert_int_equal(get64(gas + 4), registers[i].port);
    }
    assert_int_equal(fadt[128], 0x06); /* RESET_VALUE: CPU reset with a full system reset at 0xcf9 */
}

static void test_madt_lists_every_vcpu_and_the_io_apic(void **state)
{
    (void)state;
    config.vcpu_count = 4;
    struct tables tables = build();
    const uint8_t *madt = tables.madt;
    assert_int_equal(get32(madt + 36), 0xfee00000u);
    assert_int_equal(get32(madt + 40), 0); /* no PCAT_COMPAT */
    uint32_t length = get32(madt + 4);
    unsigned local_apics = 0, io_apics = 0;
    for (uint32_t at = 44; at < length; at += madt[at + 1]) {
        const uint8_t *entry = madt + at;
        assert_true(entry[1] >= 2 && at + entry[1] <= length);
        if (entry[0] == 0) {
            assert_int_equal(entry[1], 8);
            assert_int_equal(entry[2], local_apics); /* processor UID */
            assert_int_equal(entry[3], local_apics); /* APIC ID */
            assert_int_equal(get32(entry + 4), 1);   /* enabled */
            local_apics++;
        } else {
            assert_int_equal(entry[0], 1);
            assert_int_equal(entry[1], 12);
            assert_int_equal(entry[2], 2);
            assert_int_equal(get32(entry + 4), 0xfec00000u);
            assert_int_equal(get32(entry + 8), 0);
            io_apics++;
        }
    }
    assert_int_equal(local_apics, 4);
    assert_int_equal(io_apics, 1);
}

/* The DSDT names count virtio-mmio devices, then the PS/2 keyboard controller, and nothing else. */
static void check_devices(const struct tables *tables, size_t count)
{
    struct aml_device found[ACPI_MAX_VIRTIO_MMIO_DEVICES + 2];
    const char *error = NULL;
    uint64_t s5[2] = {UINT64_MAX, UINT64_MAX};
    int decoded = aml_read_devices(tables->dsdt + HEADER_SIZE, get32(tables->dsdt + 4) - HEADER_SIZE, s5, found,
                                   ACPI_MAX_VIRTIO_MMIO_DEVICES + 2, &error);
    if (decoded < 0) {
        fail_msg("DSDT AML: %s", error);
    }
    assert_int_equal(decoded, count + 1);
    assert_int_equal(s5[0], ACPI_SLEEP_TYPE_S5); /* what the sleep control register takes as "power off" */
    assert_int_equal(s5[1], 0);
    for (size_t i = 0; i < count; i++) {
        const char name[5] = {'V', 'R', (char)('0' + i / 10), (char)('0' + i % 10), 0};
        assert_string_equal(found[i].name, name);
        assert_string_equal(found[i].hid, "LNRO0005");
        assert_true(found[i].has_uid);
        assert_int_equal(found[i].uid, i);
        assert_true(found[i].has_memory);
        assert_true(found[i].memory_writable);
        assert_int_equal(found[i].memory_base, devices[i].base);
        assert_int_equal(found[i].memory_size, devices[i].size);
        assert_true(found[i].has_interrupt);
        assert_int_equal(found[i].interrupt_flags, 0x03); /* consumer, edge, active-high, exclusive */
        assert_int_equal(found[i].interrupt, devices[i].gsi);
        assert_int_equal(found[i].io_count, 0);
        assert_int_equal(found[i].isa_irq_mask, 0);
    }
    /* What Linux's i8042 driver takes through PNP: data port, command port (one byte each), ISA IRQ 1. */
    const struct aml_device *keyboard = &found[count];
    assert_string_equal(keyboard->name, "PS2K");
    assert_string_equal(keyboard->hid, "PNP0303");
    assert_false(keyboard->has_memory);
    assert_false(keyboard->has_interrupt);
    assert_int_equal(keyboard->io_count, 2);
    assert_int_equal(keyboard->io[0].base, 0x60);
    assert_int_equal(keyboard->io[0].length, 1);
    assert_int_equal(keyboard->io[1].base, 0x64);
    assert_int_equal(keyboard->io[1].length, 1);
    assert_int_equal(keyboard->isa_irq_mask, 1u << 1);
}

static void test_dsdt_names_every_virtio_mmio_device_and_the_keyboard(void **state)
{
    (void)state;
    struct tables tables = build();
    assert_int_equal(tables.dsdt[8], 2); /* revision: 64-bit integers */
    check_devices(&tables, 3);
}

static void test_dsdt_without_devices(void **state)
{
    (void)state;
    config.device_count = 0;
    struct tables tables = build();
    check_devices(&tables, 0);
}

/* 100 devices make the scope several KiB: its PkgLength takes three bytes. */
static void test_largest_configuration(void **state)
{
    (void)state;
    config.vcpu_count = ACPI_MAX_VCPUS;
    config.device_count = ACPI_MAX_VIRTIO_MMIO_DEVICES;
    struct tables tables = build();
    assert_int_equal(get32(tables.madt + 4), 44 + 8 * ACPI_MAX_VCPUS + 12);
    assert_true(get32(tables.dsdt + 4) > 0x1000);
    check_devices(&tables, ACPI_MAX_VIRTIO_MMIO_DEVICES);
}

static void test_rejects_bad_vcpu_counts(void **state)
{
    (void)state;
    uint64_t rsdp, used;
    config.vcpu_count = 0;
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_ERROR_ACPI_BAD_VCPU_COUNT);
    config.vcpu_count = ACPI_MAX_VCPUS + 1;
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_ERROR_ACPI_BAD_VCPU_COUNT);
}

static void test_rejects_too_many_devices(void **state)
{
    (void)state;
    uint64_t rsdp, used;
    config.device_count = ACPI_MAX_VIRTIO_MMIO_DEVICES + 1;
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_ERROR_ACPI_TOO_MANY_DEVICES);
}

static void test_rejects_device_windows_memory32fixed_cannot_say(void **state)
{
    (void)state;
    uint64_t rsdp, used;
    devices[1].size = 0;
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_ERROR_ACPI_BAD_DEVICE_WINDOW);
    devices[1] = (struct acpi_virtio_mmio_device){0xffffff00u, 0x200, 17};
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_ERROR_ACPI_BAD_DEVICE_WINDOW);
    devices[1].base = 0x100000000ull;
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_ERROR_ACPI_BAD_DEVICE_WINDOW);
    devices[1].base = 0xfffffe00u; /* ends exactly at 4 GiB */
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_OK);
}

static void test_rejects_tables_past_guest_memory_and_writes_nothing(void **state)
{
    (void)state;
    uint64_t rsdp, used;
    assert_int_equal(acpi_build(&memory, BASE, &config, &rsdp, &used), BOOT_OK);
    uint64_t last_fit = (GUEST_SIZE - used) & ~15ull; /* 16-byte aligned, so no padding before the RSDP */
    memset(memory.host_base, GARBAGE, GUEST_SIZE);
    assert_int_equal(acpi_build(&memory, last_fit + 16, &config, &rsdp, &used), BOOT_ERROR_ACPI_NO_ROOM);
    assert_int_equal(acpi_build(&memory, UINT64_MAX - 8, &config, &rsdp, &used), BOOT_ERROR_ACPI_NO_ROOM);
    for (size_t i = 0; i < GUEST_SIZE; i++) {
        assert_int_equal(memory.host_base[i], GARBAGE);
    }
    assert_int_equal(acpi_build(&memory, last_fit, &config, &rsdp, &used), BOOT_OK);
}

/* Above 4 GiB the FADT's 32-bit DSDT field cannot hold the address: only X_DSDT has it. */
static void test_tables_above_4g(void **state)
{
    (void)state;
    uint64_t size = 0x100000000ull + GUEST_SIZE;
    void *big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(big != MAP_FAILED);
    struct guest_memory high = {big, size};
    struct tables tables = build_at(&high, 0x100000000ull);
    assert_int_equal(get32(tables.fadt + 40), 0);
    assert_int_equal(get64(tables.fadt + 140), tables.dsdt - high.host_base);
    check_devices(&tables, 3);
    munmap(big, size);
}

#define ACPI_TEST(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ACPI_TEST(test_rsdp_leads_to_every_table),
        ACPI_TEST(test_rsdp_is_16_byte_aligned),
        ACPI_TEST(test_fadt_is_hardware_reduced_and_points_at_the_dsdt),
        ACPI_TEST(test_madt_lists_every_vcpu_and_the_io_apic),
        ACPI_TEST(test_dsdt_names_every_virtio_mmio_device_and_the_keyboard),
        ACPI_TEST(test_dsdt_without_devices),
        ACPI_TEST(test_largest_configuration),
        ACPI_TEST(test_rejects_bad_vcpu_counts),
        ACPI_TEST(test_rejects_too_many_devices),
        ACPI_TEST(test_rejects_device_windows_memory32fixed_cannot_say),
        ACPI_TEST(test_rejects_tables_past_guest_memory_and_writes_nothing),
        ACPI_TEST(test_tables_above_4g),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
