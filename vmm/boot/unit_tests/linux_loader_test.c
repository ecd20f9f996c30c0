/* Unit tests for loading Linux into guest RAM (vmm/boot/linux_loader.c, zero_page.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "host_kernel.h"
#include "linux_loader.h"
#include "synthetic_bzimage.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* struct boot_params offsets outside the setup header, from Documentation/arch/x86/zero-page.rst. */
enum {
    BP_ACPI_RSDP_ADDR = 0x070,
    BP_EXT_RAMDISK_IMAGE = 0x0c0,
    BP_EXT_RAMDISK_SIZE = 0x0c4,
    BP_EXT_CMD_LINE_PTR = 0x0c8,
    BP_E820_ENTRIES = 0x1e8,
    BP_SENTINEL = 0x1ef,
    BP_E820_TABLE = 0x2d0,
};

#define MIB 0x100000ull
#define GUEST_SIZE (8 * MIB)
#define GARBAGE 0xa5
#define RSDP 0xe0000u
#define INITRD_SIZE 0x1800u /* a page and a half */

static uint8_t *image;
static struct guest_memory memory;
static struct linux_e820_entry e820[LINUX_E820_MAX_ENTRIES + 1];
static struct linux_boot_layout layout;
static uint8_t initrd[0x2000];

/* RAM below the VGA hole, ACPI tables at 0xE0000, RAM from 1 MiB to the end of guest memory. */
static int set_up(void **state)
{
    (void)state;
    image = synthetic_bzimage();
    memory.size = GUEST_SIZE;
    memory.host_base = malloc(GUEST_SIZE);
    memset(memory.host_base, GARBAGE, GUEST_SIZE);
    e820[0] = (struct linux_e820_entry){0, 0x9fc00, LINUX_E820_RAM};
    e820[1] = (struct linux_e820_entry){0xe0000, 0x20000, LINUX_E820_ACPI};
    e820[2] = (struct linux_e820_entry){MIB, GUEST_SIZE - MIB, LINUX_E820_RAM};
    layout = (struct linux_boot_layout){
        .zero_page_address = LINUX_ZERO_PAGE_ADDRESS,
        .command_line_address = LINUX_COMMAND_LINE_ADDRESS,
        .e820 = e820,
        .e820_count = 3,
        .acpi_rsdp_address = RSDP,
    };
    for (size_t i = 0; i < sizeof initrd; i++) {
        initrd[i] = (uint8_t)(i * 13 + 1);
    }
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    free(image);
    free(memory.host_base);
    return 0;
}

static enum boot_error load(const char *command_line, size_t initrd_size, struct linux_boot_entry *entry)
{
    return linux_load(&memory, image, SYNTHETIC_IMAGE_SIZE, initrd, initrd_size, command_line, &layout, entry);
}

static const uint8_t *guest(uint64_t address)
{
    return memory.host_base + address;
}

static void test_loads_kernel_at_its_preferred_address(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    assert_int_equal(load("console=ttyS0", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_address, SYNTHETIC_PREF_ADDRESS);
    assert_int_equal(entry.entry_address, SYNTHETIC_PREF_ADDRESS + 0x200);
    assert_int_equal(entry.kernel_span, SYNTHETIC_INIT_SIZE);
    assert_int_equal(entry.zero_page_address, LINUX_ZERO_PAGE_ADDRESS);
    assert_int_equal(entry.initrd_address, 0);
    assert_memory_equal(guest(SYNTHETIC_PREF_ADDRESS), image + SYNTHETIC_KERNEL_OFFSET, SYNTHETIC_KERNEL_SIZE);
    assert_int_equal(guest(SYNTHETIC_PREF_ADDRESS + SYNTHETIC_KERNEL_SIZE)[0], GARBAGE); /* nothing more */
}

static void test_fills_the_zero_page(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    assert_int_equal(load("console=ttyS0", 0, &entry), BOOT_OK);
    const uint8_t *zero_page = guest(LINUX_ZERO_PAGE_ADDRESS);

    /* The setup header is the image's, but for the fields a loader writes. */
    uint8_t expected_header[HDR_END_2_15 - HDR_SETUP_SECTS];
    memcpy(expected_header, image + HDR_SETUP_SECTS, sizeof expected_header);
    expected_header[HDR_TYPE_OF_LOADER - HDR_SETUP_SECTS] = 0xff;
    put32(expected_header, HDR_CMD_LINE_PTR - HDR_SETUP_SECTS, LINUX_COMMAND_LINE_ADDRESS);
    assert_memory_equal(zero_page + HDR_SETUP_SECTS, expected_header, sizeof expected_header);
    assert_int_equal(zero_page[HDR_LOADFLAGS], 0x01);
    assert_int_equal(get32(zero_page, HDR_RAMDISK_IMAGE), 0);
    assert_int_equal(get32(zero_page, HDR_RAMDISK_SIZE), 0);

    assert_int_equal(get64(zero_page, BP_ACPI_RSDP_ADDR), RSDP);
    assert_int_equal(get32(zero_page, BP_EXT_CMD_LINE_PTR), 0);
    assert_int_equal(zero_page[BP_SENTINEL], 0);
    assert_int_equal(zero_page[BP_E820_ENTRIES], 3);
    for (size_t i = 0; i < 3; i++) {
        const uint8_t *entry_bytes = zero_page + BP_E820_TABLE + 20 * i;
        assert_int_equal(get64(entry_bytes, 0), e820[i].address);
        assert_int_equal(get64(entry_bytes, 8), e820[i].size);
        assert_int_equal(get32(entry_bytes, 16), e820[i].type);
    }
    /* Everything else is zero, though guest RAM was not. */
    for (size_t i = 0; i < BP_ACPI_RSDP_ADDR; i++) {
        assert_int_equal(zero_page[i], 0);
    }
    for (size_t i = BP_ACPI_RSDP_ADDR + 8; i < BP_E820_ENTRIES; i++) {
        assert_int_equal(zero_page[i], 0);
    }
    for (size_t i = BP_E820_ENTRIES + 1; i < HDR_SETUP_SECTS; i++) {
        assert_int_equal(zero_page[i], 0);
    }
    for (size_t i = HDR_END_2_15; i < BP_E820_TABLE; i++) {
        assert_int_equal(zero_page[i], 0);
    }
    for (size_t i = BP_E820_TABLE + 3 * 20; i < LINUX_ZERO_PAGE_SIZE; i++) {
        assert_int_equal(zero_page[i], 0);
    }
}

static void test_copies_the_command_line_with_its_nul(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    assert_int_equal(load("console=ttyS0 root=/dev/vda", 0, &entry), BOOT_OK);
    assert_string_equal((const char *)guest(LINUX_COMMAND_LINE_ADDRESS), "console=ttyS0 root=/dev/vda");
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(guest(LINUX_COMMAND_LINE_ADDRESS)[0], 0);
}

static void test_command_line_up_to_cmdline_size(void **state)
{
    (void)state;
    char command_line[SYNTHETIC_CMDLINE_SIZE + 2];
    memset(command_line, 'x', sizeof command_line);
    command_line[SYNTHETIC_CMDLINE_SIZE] = 0;
    struct linux_boot_entry entry;
    assert_int_equal(load(command_line, 0, &entry), BOOT_OK);
    command_line[SYNTHETIC_CMDLINE_SIZE] = 'x';
    command_line[SYNTHETIC_CMDLINE_SIZE + 1] = 0;
    assert_int_equal(load(command_line, 0, &entry), BOOT_ERROR_COMMAND_LINE_TOO_LONG);
}

static void test_kernel_without_preferred_address_loads_above_1_mib(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put64(image, HDR_PREF_ADDRESS, 0);
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_address, 2 * MIB); /* 1 MiB aligned up to 2 MiB */
    put32(image, HDR_KERNEL_ALIGNMENT, 0x1000);
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_address, MIB);
    image[HDR_RELOCATABLE_KERNEL] = 0;
    put32(image, HDR_KERNEL_ALIGNMENT, 0x400000);
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_address, MIB);
}

static void test_relocatable_kernel_aligns_its_preferred_address(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put64(image, HDR_PREF_ADDRESS, 0x280000);
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_address, 0x400000);
    image[HDR_RELOCATABLE_KERNEL] = 0; /* it runs where it says */
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_address, 0x280000);
}

static void test_kernel_span_is_the_larger_of_init_size_and_image(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put32(image, HDR_INIT_SIZE, 0x100);
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(entry.kernel_span, SYNTHETIC_KERNEL_SIZE);
}

static void test_initrd_goes_to_the_top_of_ram(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    uint64_t expected = GUEST_SIZE - 0x2000; /* page-aligned below the end */
    assert_int_equal(entry.initrd_address, expected);
    assert_memory_equal(guest(expected), initrd, INITRD_SIZE);
    const uint8_t *zero_page = guest(LINUX_ZERO_PAGE_ADDRESS);
    assert_int_equal(get32(zero_page, HDR_RAMDISK_IMAGE), expected);
    assert_int_equal(get32(zero_page, HDR_RAMDISK_SIZE), INITRD_SIZE);
    assert_int_equal(get32(zero_page, BP_EXT_RAMDISK_IMAGE), 0);
    assert_int_equal(get32(zero_page, BP_EXT_RAMDISK_SIZE), 0);
}

static void test_initrd_stays_below_initrd_addr_max(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put32(image, HDR_INITRD_ADDR_MAX, 0x5fffff); /* its highest byte */
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, 0x600000 - 0x2000);
    put32(image, HDR_INITRD_ADDR_MAX, 0x600000 - 0x2000 + INITRD_SIZE - 2);
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, 0x600000 - 0x3000);
}

static void test_initrd_ignores_initrd_addr_max_when_it_may_be_above_4g(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put32(image, HDR_INITRD_ADDR_MAX, 0x5fffff);
    put16(image, HDR_XLOADFLAGS, 0x03); /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, GUEST_SIZE - 0x2000);
}

static void test_initrd_slides_below_reserved_ranges(void **state)
{
    (void)state;
    /* A reserved range over the RAM range's end, as a caller may mark one (Linux lets it win). */
    e820[3] = (struct linux_e820_entry){GUEST_SIZE - 0x8000, 0x8000, LINUX_E820_RESERVED};
    layout.e820_count = 4;
    struct linux_boot_entry entry;
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, GUEST_SIZE - 0x8000 - 0x2000);
    /* The page above it is too small a gap. */
    e820[3] = (struct linux_e820_entry){GUEST_SIZE - 0x10000, 0xf000, LINUX_E820_RESERVED};
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, GUEST_SIZE - 0x10000 - 0x2000);
}

static void test_initrd_slides_below_the_kernel(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    /* Only RAM up to just past the kernel: the top candidate would overlap it. */
    e820[2].size = SYNTHETIC_PREF_ADDRESS + SYNTHETIC_INIT_SIZE + 0x1000 - MIB;
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, SYNTHETIC_PREF_ADDRESS - 0x2000);
    /* Whole pages end right where the kernel starts. */
    assert_int_equal(load("", 0x2000, &entry), BOOT_OK);
    assert_int_equal(entry.initrd_address, SYNTHETIC_PREF_ADDRESS - 0x2000);
}

static void test_initrd_needs_room(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put32(image, HDR_INITRD_ADDR_MAX, MIB + 0x1000 - 1); /* leaves one page of RAM above 1 MiB */
    e820[0].size = 0x1000;                               /* and one page at 0 */
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_ERROR_NO_ROOM_FOR_INITRD);
    /* Two pages below the limit, but RAM starts mid-page: page-aligned, the initrd would start below it. */
    put32(image, HDR_INITRD_ADDR_MAX, MIB + 0x2000 - 1);
    e820[2] = (struct linux_e820_entry){MIB + 0x800, GUEST_SIZE - MIB - 0x800, LINUX_E820_RAM};
    assert_int_equal(load("", INITRD_SIZE, &entry), BOOT_ERROR_NO_ROOM_FOR_INITRD);
}

static void test_kernel_must_fit_in_guest_memory(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    put32(image, HDR_INIT_SIZE, GUEST_SIZE);
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OUTSIDE_GUEST_MEMORY);
}

static void test_boot_data_must_fit_in_guest_memory(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    layout.zero_page_address = GUEST_SIZE - 0x800;
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OUTSIDE_GUEST_MEMORY);
    layout.zero_page_address = LINUX_ZERO_PAGE_ADDRESS;
    layout.command_line_address = GUEST_SIZE - 4;
    assert_int_equal(load("four", 0, &entry), BOOT_ERROR_OUTSIDE_GUEST_MEMORY); /* the NUL does not fit */
    layout.command_line_address = UINT64_MAX - 2;
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OUTSIDE_GUEST_MEMORY);
}

static void test_kernel_must_be_in_e820_ram(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    e820[2].size = MIB; /* RAM ends at 2 MiB, where the kernel starts */
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_KERNEL_NOT_IN_RAM);
    e820[2].type = LINUX_E820_RESERVED;
    e820[2].size = GUEST_SIZE - MIB;
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_KERNEL_NOT_IN_RAM);
}

static void test_placements_must_not_overlap(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    layout.command_line_address = SYNTHETIC_PREF_ADDRESS + SYNTHETIC_INIT_SIZE - 1; /* the kernel's last byte */
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OVERLAP);
    layout.command_line_address = LINUX_ZERO_PAGE_ADDRESS + 0xfff; /* the zero page's last byte */
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OVERLAP);
    layout.command_line_address = LINUX_ZERO_PAGE_ADDRESS + 0x1000; /* right after it */
    assert_int_equal(load("", 0, &entry), BOOT_OK);
}

static void test_placements_must_not_overlap_reserved_ranges(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    layout.zero_page_address = 0xdf800; /* runs into the ACPI tables at 0xE0000 */
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OVERLAP);
    layout.zero_page_address = LINUX_ZERO_PAGE_ADDRESS;
    e820[3] = (struct linux_e820_entry){SYNTHETIC_PREF_ADDRESS + 0x8000, 0x1000, LINUX_E820_NVS};
    layout.e820_count = 4;
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_OVERLAP);
}

static void test_checks_the_e820_map(void **state)
{
    (void)state;
    struct linux_boot_entry entry;
    for (size_t i = 3; i < LINUX_E820_MAX_ENTRIES + 1; i++) {
        e820[i] = (struct linux_e820_entry){0xfee00000 + 0x1000 * i, 0x1000, LINUX_E820_RESERVED};
    }
    layout.e820_count = LINUX_E820_MAX_ENTRIES;
    assert_int_equal(load("", 0, &entry), BOOT_OK);
    assert_int_equal(guest(LINUX_ZERO_PAGE_ADDRESS)[BP_E820_ENTRIES], LINUX_E820_MAX_ENTRIES);
    layout.e820_count = LINUX_E820_MAX_ENTRIES + 1;
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_TOO_MANY_E820_ENTRIES);

    layout.e820_count = 4;
    e820[3] = (struct linux_e820_entry){0xfec00000, 0, LINUX_E820_RESERVED};
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_BAD_E820_ENTRY);
    e820[3] = (struct linux_e820_entry){UINT64_MAX - 0xfff, 0x1000, LINUX_E820_RESERVED};
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_BAD_E820_ENTRY);
    e820[3] = (struct linux_e820_entry){GUEST_SIZE, MIB, LINUX_E820_RAM}; /* RAM the guest does not have */
    assert_int_equal(load("", 0, &entry), BOOT_ERROR_BAD_E820_ENTRY);
    e820[3] = (struct linux_e820_entry){4 * 0x100000000ull, MIB, LINUX_E820_RESERVED}; /* a device window */
    assert_int_equal(load("", 0, &entry), BOOT_OK);
}

static void test_failure_writes_nothing(void **state)
{
    (void)state;
    uint8_t *before = malloc(GUEST_SIZE);
    memcpy(before, memory.host_base, GUEST_SIZE);
    struct linux_boot_entry entry;
    put32(image, HDR_INITRD_ADDR_MAX, MIB + 0x1000 - 1); /* the last check fails: no room for the initrd */
    e820[0].size = 0x1000;
    assert_int_equal(load("console=ttyS0", INITRD_SIZE, &entry), BOOT_ERROR_NO_ROOM_FOR_INITRD);
    assert_memory_equal(memory.host_base, before, GUEST_SIZE);
    free(before);
}

/* Guest RAM past 4 GiB, mapped lazily: only the pages the loader writes are ever touched. */
static void test_boot_data_above_4g_needs_the_kernel_flag(void **state)
{
    (void)state;
    uint64_t size = 0x100000000ull + 2 * MIB;
    void *big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(big != MAP_FAILED);
    struct guest_memory high = {big, size};
    e820[2].size = size - MIB;
    layout.zero_page_address = 0x100000000ull;
    struct linux_boot_entry entry;
    assert_int_equal(linux_load(&high, image, SYNTHETIC_IMAGE_SIZE, initrd, 0, "", &layout, &entry),
                     BOOT_ERROR_ABOVE_4G);
    layout.zero_page_address = LINUX_ZERO_PAGE_ADDRESS;
    layout.command_line_address = 0x100001000ull;
    assert_int_equal(linux_load(&high, image, SYNTHETIC_IMAGE_SIZE, initrd, 0, "", &layout, &entry),
                     BOOT_ERROR_ABOVE_4G);
    layout.command_line_address = 0xfffffffe; /* "hi" and its NUL end one byte past 4 GiB */
    assert_int_equal(linux_load(&high, image, SYNTHETIC_IMAGE_SIZE, initrd, 0, "hi", &layout, &entry),
                     BOOT_ERROR_ABOVE_4G);
    assert_int_equal(linux_load(&high, image, SYNTHETIC_IMAGE_SIZE, initrd, 0, "h", &layout, &entry), BOOT_OK);
    layout.command_line_address = LINUX_COMMAND_LINE_ADDRESS;
    put64(image, HDR_PREF_ADDRESS, 0x100000000ull); /* the kernel itself */
    assert_int_equal(linux_load(&high, image, SYNTHETIC_IMAGE_SIZE, initrd, 0, "", &layout, &entry),
                     BOOT_ERROR_ABOVE_4G);
    put64(image, HDR_PREF_ADDRESS, SYNTHETIC_PREF_ADDRESS);
    layout.command_line_address = 0x100001000ull;

    put16(image, HDR_XLOADFLAGS, 0x03); /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
    assert_int_equal(linux_load(&high, image, SYNTHETIC_IMAGE_SIZE, initrd, INITRD_SIZE, "hi", &layout, &entry),
                     BOOT_OK);
    const uint8_t *zero_page = (const uint8_t *)big + LINUX_ZERO_PAGE_ADDRESS;
    assert_int_equal(get32(zero_page, HDR_CMD_LINE_PTR), 0x1000);
    assert_int_equal(get32(zero_page, BP_EXT_CMD_LINE_PTR), 1);
    assert_int_equal(entry.initrd_address, size - 0x2000);
    assert_int_equal(get32(zero_page, HDR_RAMDISK_IMAGE), (uint32_t)(size - 0x2000));
    assert_int_equal(get32(zero_page, BP_EXT_RAMDISK_IMAGE), 1);
    assert_string_equal((const char *)big + 0x100001000ull, "hi");
    munmap(big, size);
}

static void test_loads_debian_cloud_kernel(void **state)
{
    (void)state;
    char path[256];
    size_t size;
    uint8_t *kernel = host_kernel_read(&size, path, sizeof path);
    if (kernel == NULL) {
        print_message("SKIPPED: no " HOST_KERNEL_PATTERN " (apt-get install linux-image-cloud-amd64)\n");
        skip();
    }
    uint64_t guest_size = 256 * MIB;
    struct guest_memory big = {calloc(1, guest_size), guest_size};
    e820[2].size = guest_size - MIB;
    struct linux_boot_entry entry;
    assert_int_equal(linux_load(&big, kernel, size, initrd, INITRD_SIZE, "console=ttyS0", &layout, &entry), BOOT_OK);
    uint64_t pref_address = get64(kernel, HDR_PREF_ADDRESS);
    print_message("%s: kernel at %#lx (%#lx bytes), entry %#lx, initrd at %#lx\n", path,
                  (unsigned long)entry.kernel_address, (unsigned long)entry.kernel_span,
                  (unsigned long)entry.entry_address, (unsigned long)entry.initrd_address);
    assert_int_equal(entry.kernel_address, pref_address);
    assert_int_equal(entry.entry_address, pref_address + 0x200);
    size_t kernel_offset = ((size_t)kernel[HDR_SETUP_SECTS] + 1) * 512;
    assert_memory_equal(big.host_base + pref_address, kernel + kernel_offset, size - kernel_offset);
    assert_memory_equal(big.host_base + LINUX_ZERO_PAGE_ADDRESS + 0x202, "HdrS", 4);
    free(big.host_base);
    free(kernel);
}

#define LOADER_TEST(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOADER_TEST(test_loads_kernel_at_its_preferred_address),
        LOADER_TEST(test_fills_the_zero_page),
        LOADER_TEST(test_copies_the_command_line_with_its_nul),
        LOADER_TEST(test_command_line_up_to_cmdline_size),
        LOADER_TEST(test_kernel_without_preferred_address_loads_above_1_mib),
        LOADER_TEST(test_relocatable_kernel_aligns_its_preferred_address),
        LOADER_TEST(test_kernel_span_is_the_larger_of_init_size_and_image),
        LOADER_TEST(test_initrd_goes_to_the_top_of_ram),
        LOADER_TEST(test_initrd_stays_below_initrd_addr_max),
        LOADER_TEST(test_initrd_ignores_initrd_addr_max_when_it_may_be_above_4g),
        LOADER_TEST(test_initrd_slides_below_reserved_ranges),
        LOADER_TEST(test_initrd_slides_below_the_kernel),
        LOADER_TEST(test_initrd_needs_room),
        LOADER_TEST(test_kernel_must_fit_in_guest_memory),
        LOADER_TEST(test_boot_data_must_fit_in_guest_memory),
        LOADER_TEST(test_kernel_must_be_in_e820_ram),
        LOADER_TEST(test_placements_must_not_overlap),
        LOADER_TEST(test_placements_must_not_overlap_reserved_ranges),
        LOADER_TEST(test_checks_the_e820_map),
        LOADER_TEST(test_failure_writes_nothing),
        LOADER_TEST(test_boot_data_above_4g_needs_the_kernel_flag),
        LOADER_TEST(test_loads_debian_cloud_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
