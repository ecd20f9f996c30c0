/*
 * Device memory: DEVICE_MEMORY_MAP maps registers that are not RAM, uncached, as the root of their
 * mappings; TASK_MAP and grants pass them on, TASK_UNMAP revokes them. RAM, the boot reservations and
 * the kernel's interrupt controllers are refused, and so is every malformed request.
 *
 * The device read: on q35 the ICH9 HPET at 0xfed00000 (its capabilities register names vendor
 * 0x8086; the kernel does not use the HPET), on microvm (no HPET) the first virtio-mmio transport at
 * 0xfeb00000 (magic "virt", vendor "QEMU"). Each machine has exactly one of them; the test reads both
 * addresses and needs one of the two to answer.
 *
 * DEVICE_MEMORY_PCI_ECAM reports the firmware's ACPI MCFG: on q35 one region (segment 0, buses 0-255), whose bus 0
 * device 0 reads as the Q35 host bridge once mapped; microvm has no MCFG and so no region.
 */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <stdio.h>

#define HPET_BASE 0xfed00000ull
#define HPET_VENDOR_INTEL 0x8086u
#define HPET_MAX_PERIOD_FS 100000000u /* the specification's limit: 100 ns */
#define VIRTIO_MMIO_BASE 0xfeb00000ull
#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x554d4551u /* "QEMU" */
#define LOCAL_APIC_BASE 0xfee00000ull
#define IO_APIC_BASE 0xfec00000ull
#define MICROVM_SECOND_IO_APIC                                                                                         \
    0xfec10000ull                      /* microvm's I/O APIC for its virtio-mmio lines: the kernel does not use it */
#define KERNEL_IMAGE_BASE 0x200000ull  /* the kernel is loaded at 2 MiB: RAM on every machine */
#define RAM_16M 0x1000000ull           /* usable RAM with the 512 MiB every scenario gives */
#define NOTHING_THERE 0x8000000000ull  /* 512 GiB: no RAM, no device, no PCI window on either machine */
#define Q35_HOST_BRIDGE_ID 0x29c08086u /* its device and vendor ID, configuration space offset 0 */
#define ACPI_PAST_ANY_REGION 1000u     /* more MCFG regions than the kernel keeps */

/* Destinations of device mappings: far from everything else the tests map (aligned up to 1 GiB). */
#define DEVICE_WINDOW 0x0000640000000000ull
#define CHILD_WINDOW 0x0000650000000000ull

static uint64_t device_memory(void)
{
    uint64_t capability = capability_named("device_memory");
    EXPECT(capability != 0);
    return capability;
}

static uint64_t info_ranges(uint64_t capability)
{
    unsigned bits = 0;
    uint64_t ranges = 0, pages = 0;
    EXPECT_ERROR(device_memory_info(capability, &bits, &ranges, &pages), ERROR_NONE);
    return ranges;
}

static bool mapped(uint64_t task, uint64_t address, unsigned *rights)
{
    bool is_mapped = false;
    unsigned unused;
    EXPECT_ERROR(task_memory_info(task, address, &is_mapped, rights ? rights : &unused), ERROR_NONE);
    return is_mapped;
}

static bool is_device(uint64_t task, uint64_t address)
{
    bool device = false;
    EXPECT_ERROR(task_memory_is_device(task, address, &device), ERROR_NONE);
    return device;
}

static uint32_t read32(uint64_t address)
{
    return *(volatile uint32_t *)(uintptr_t)address;
}

static void unmap_self(uint64_t task, uint64_t address, unsigned order)
{
    EXPECT_ERROR(task_unmap(task, ITEM_MEMORY(address >> 12, order, 0, 0), UNMAP_SELF), ERROR_NONE);
}

/* Which device of the two answers at its address, mapped read-only at window: its physical page, or 0. */
static uint64_t find_test_device(uint64_t capability, uint64_t window)
{
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), HPET_BASE), ERROR_NONE);
    uint32_t capabilities = read32(window);
    uint32_t period = read32(window + 4);
    unmap_self(APP_TASK, window, 0);
    if (capabilities >> 16 == HPET_VENDOR_INTEL && period != 0 && period <= HPET_MAX_PERIOD_FS) {
        return HPET_BASE;
    }
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), VIRTIO_MMIO_BASE),
                 ERROR_NONE);
    uint32_t magic = read32(window);
    uint32_t vendor = read32(window + 0xc);
    unmap_self(APP_TASK, window, 0);
    if (magic == VIRTIO_MMIO_MAGIC && vendor == VIRTIO_MMIO_VENDOR) {
        return VIRTIO_MMIO_BASE;
    }
    printf("    neither an HPET at %#llx (read %#x, period %u fs) nor virtio-mmio at %#llx (read %#x, vendor %#x)\n",
           (unsigned long long)HPET_BASE, capabilities, period, (unsigned long long)VIRTIO_MMIO_BASE, magic, vendor);
    return 0;
}

/* The register each device keeps constant: HPET capabilities (low half), virtio-mmio magic. */
static uint32_t signature_of(uint64_t device)
{
    return device == HPET_BASE ? HPET_VENDOR_INTEL : VIRTIO_MMIO_MAGIC;
}

static uint32_t read_signature(uint64_t device, uint64_t address)
{
    uint32_t word = read32(address);
    return device == HPET_BASE ? word >> 16 : word;
}

static void maps_a_device_uncached_and_readable(void)
{
    uint64_t capability = device_memory();
    unsigned bits = 0;
    uint64_t ranges = 0, pages = 0;
    EXPECT_ERROR(device_memory_info(capability, &bits, &ranges, &pages), ERROR_NONE);
    EXPECT(bits >= 36 && bits <= 52);
    EXPECT(ranges == 0 && pages == 0);
    uint64_t device = find_test_device(capability, DEVICE_WINDOW);
    EXPECT(device != 0);
    if (!device) {
        return;
    }
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(DEVICE_WINDOW >> 12, 0, MEMORY_READ, 0), device),
                 ERROR_NONE);
    unsigned rights = 0;
    EXPECT(mapped(APP_TASK, DEVICE_WINDOW, &rights));
    EXPECT(rights == MEMORY_READ);
    EXPECT(is_device(APP_TASK, DEVICE_WINDOW));
    EXPECT(read_signature(device, DEVICE_WINDOW) == signature_of(device));
    printf("    read %s at %#llx: %#x\n", device == HPET_BASE ? "the HPET's capabilities" : "virtio-mmio's magic",
           (unsigned long long)device, read32(DEVICE_WINDOW));
    EXPECT_ERROR(device_memory_info(capability, &bits, &ranges, &pages), ERROR_NONE);
    EXPECT(ranges == 1 && pages == 1);
    /* Ordinary memory is not device memory. */
    static uint8_t ordinary[4096] __attribute__((aligned(4096)));
    ordinary[0] = 1;
    EXPECT(!is_device(APP_TASK, (uint64_t)(uintptr_t)ordinary));
    /* Mapped once at the root: the same range again, or a larger one around it, is busy. */
    uint64_t other = DEVICE_WINDOW + 0x200000;
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(other >> 12, 0, MEMORY_READ, 0), device), ERROR_BUSY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(other >> 12, 4, MEMORY_READ, 0), device & ~0xffffull),
                 ERROR_BUSY);
    EXPECT(!mapped(APP_TASK, other, NULL));
    /* Unmapped, the range is free again. */
    unmap_self(APP_TASK, DEVICE_WINDOW, 0);
    EXPECT(!mapped(APP_TASK, DEVICE_WINDOW, NULL));
    EXPECT(info_ranges(capability) == 0);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(other >> 12, 0, MEMORY_READ | MEMORY_WRITE, 0), device),
                 ERROR_NONE);
    EXPECT(mapped(APP_TASK, other, &rights));
    EXPECT(rights == (MEMORY_READ | MEMORY_WRITE));
    EXPECT(read_signature(device, other) == signature_of(device));
    unmap_self(APP_TASK, other, 0);
    EXPECT(info_ranges(capability) == 0);
}

static void refuses_ram(void)
{
    uint64_t capability = device_memory();
    uint64_t window = DEVICE_WINDOW;
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), KERNEL_IMAGE_BASE),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), RAM_16M),
                 ERROR_NOT_DEVICE_MEMORY);
    /* The first MiB (real-mode memory, the BIOS areas, VGA) and a range that holds RAM somewhere. */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), 0),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), 0xa0000),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 18, MEMORY_READ, 0), 0),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT(!mapped(APP_TASK, window, NULL));
    EXPECT(info_ranges(capability) == 0);
}

static void refuses_the_interrupt_controllers(void)
{
    uint64_t capability = device_memory();
    uint64_t window = DEVICE_WINDOW;
    /* The local APIC's page, the rest of its message window, and the I/O APIC (both machines have one). */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), LOCAL_APIC_BASE),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), LOCAL_APIC_BASE + 0x1000),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), 0xfeeff000),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), IO_APIC_BASE),
                 ERROR_NOT_DEVICE_MEMORY);
    /* Larger ranges around them: the 2 MiB holding the local APIC, the last 256 MiB below 4 GiB. */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 9, MEMORY_READ, 0), 0xfee00000),
                 ERROR_NOT_DEVICE_MEMORY);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 16, MEMORY_READ, 0), 0xf0000000),
                 ERROR_NOT_DEVICE_MEMORY);
    /* microvm's second I/O APIC: the kernel leaves it masked and unused, but it is an interrupt controller all the
     * same. */
    if (find_test_device(capability, window) == VIRTIO_MMIO_BASE) {
        EXPECT_ERROR(
            device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), MICROVM_SECOND_IO_APIC),
            ERROR_NOT_DEVICE_MEMORY);
    }
    /* Next to them is fine: the page below the I/O APIC is not the kernel's. */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), IO_APIC_BASE - 0x1000),
                 ERROR_NONE);
    unmap_self(APP_TASK, window, 0);
    EXPECT(info_ranges(capability) == 0);
}

static void checks_its_arguments(void)
{
    uint64_t capability = device_memory();
    uint64_t page = DEVICE_WINDOW >> 12;
    uint64_t phys = NOTHING_THERE; /* valid but for the argument tested */
    /* Physical address not aligned to the range's size; destination not aligned to it. */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_READ, 0), phys + 0x800),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 4, MEMORY_READ, 0), phys + 0x1000),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page + 1, 4, MEMORY_READ, 0), phys), ERROR_INVALID_ARGUMENT);
    /* Rights: none, write without read, execute; a grant flag; a capability item; more than 1 GiB. */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, 0, 0), phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_WRITE, 0), phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_READ | MEMORY_EXECUTE, 0), phys),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_READ, ITEM_GRANT), phys),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_CAPABILITY(page, 0, MEMORY_READ, 0), phys), ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(0, 19, MEMORY_READ, 0), 0), ERROR_INVALID_ARGUMENT);
    /* A destination in the kernel half, and one the caller uses already (its UTCB). */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(0xffff800000000000ull >> 12, 0, MEMORY_READ, 0), phys),
                 ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(APP_UTCB_ADDRESS >> 12, 0, MEMORY_READ, 0), phys),
                 ERROR_SLOT_OCCUPIED);
    /* At and beyond the physical address width (an aligned range never straddles it), and near 2^64. */
    unsigned bits = 0;
    uint64_t ranges = 0, pages = 0;
    EXPECT_ERROR(device_memory_info(capability, &bits, &ranges, &pages), ERROR_NONE);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_READ, 0), 1ull << bits), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 18, MEMORY_READ, 0), 1ull << 52), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_READ, 0), 0xfffffffffffff000ull),
                 ERROR_OUT_OF_RANGE);
    /* The last page below the width is fine (mapped, never touched). */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(page, 0, MEMORY_READ, 0), (1ull << bits) - 0x1000),
                 ERROR_NONE);
    unmap_self(APP_TASK, DEVICE_WINDOW, 0);
    /* The physical address word is missing; the ECAM index is missing; an operation the object does not have. */
    utcb()->message[0] = ITEM_MEMORY(page, 0, MEMORY_READ, 0);
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(DEVICE_MEMORY_MAP, 1, 0), NEVER).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(DEVICE_MEMORY_PCI_ECAM, 0, 0), NEVER).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_call(capability, MESSAGE_TAG(DEVICE_MEMORY_PCI_ECAM + 1, 2, 0), NEVER).error,
                 ERROR_INVALID_OPERATION);
    /* None of it mapped anything. */
    EXPECT(!mapped(APP_TASK, DEVICE_WINDOW, NULL));
    EXPECT(info_ranges(capability) == 0);
}

static void needs_its_rights(void)
{
    uint64_t capability = device_memory();
    uint64_t page = DEVICE_WINDOW >> 12;
    uint64_t phys = NOTHING_THERE;
    unsigned bits = 0;
    uint64_t ranges = 0, pages = 0;
    /* Query-only: no mapping. Invoke-only: no query. */
    uint64_t read_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(capability, 0, RIGHT_READ, 0), read_only), ERROR_NONE);
    EXPECT_ERROR(device_memory_map(read_only, ITEM_MEMORY(page, 0, MEMORY_READ, 0), phys), ERROR_MISSING_RIGHTS);
    EXPECT_ERROR(device_memory_info(read_only, &bits, &ranges, &pages), ERROR_NONE);
    uint64_t write_only = slot_new();
    EXPECT_ERROR(task_map_capability(APP_TASK, ITEM_CAPABILITY(capability, 0, RIGHT_WRITE, 0), write_only), ERROR_NONE);
    EXPECT_ERROR(device_memory_info(write_only, &bits, &ranges, &pages), ERROR_MISSING_RIGHTS);
    EXPECT(!mapped(APP_TASK, DEVICE_WINDOW, NULL));
    /* The write-only copy maps; revoked, it is gone, and the mapping it made stays the caller's. */
    EXPECT_ERROR(device_memory_map(write_only, ITEM_MEMORY(page, 0, MEMORY_READ, 0), phys), ERROR_NONE);
    EXPECT_ERROR(task_unmap_capability(APP_TASK, write_only, UNMAP_SELF), ERROR_NONE);
    EXPECT_ERROR(device_memory_map(write_only, ITEM_MEMORY(page + 1, 0, MEMORY_READ, 0), phys + 0x1000),
                 ERROR_INVALID_CAPABILITY);
    EXPECT(mapped(APP_TASK, DEVICE_WINDOW, NULL));
    unmap_self(APP_TASK, DEVICE_WINDOW, 0);
    EXPECT_ERROR(task_unmap_capability(APP_TASK, read_only, UNMAP_SELF), ERROR_NONE);
    /* A task that was never given the capability has nothing to invoke. */
    uint64_t empty = slot_new();
    EXPECT_ERROR(device_memory_map(empty, ITEM_MEMORY(page, 0, MEMORY_READ, 0), phys), ERROR_INVALID_CAPABILITY);
    EXPECT(info_ranges(capability) == 0);
}

/* Mapped on with fewer rights to another task and to the caller itself; revoking the root takes them all. */
static void is_mapped_on_and_revoked(void)
{
    uint64_t capability = device_memory();
    uint64_t device = find_test_device(capability, DEVICE_WINDOW);
    EXPECT(device != 0);
    if (!device) {
        return;
    }
    uint64_t root = DEVICE_WINDOW;
    uint64_t alias = DEVICE_WINDOW + 0x10000;
    uint64_t task = task_sharing_image();
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(root >> 12, 0, MEMORY_READ | MEMORY_WRITE, 0), device),
                 ERROR_NONE);
    /* Asked for everything, the child gets read and write: device registers are never executable. */
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(root >> 12, 0, MEMORY_ALL, 0), CHILD_WINDOW), ERROR_NONE);
    unsigned rights = 0;
    EXPECT(mapped(task, CHILD_WINDOW, &rights));
    EXPECT(rights == (MEMORY_READ | MEMORY_WRITE));
    EXPECT(is_device(task, CHILD_WINDOW));
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(root >> 12, 0, MEMORY_READ, 0), alias), ERROR_NONE);
    EXPECT(mapped(APP_TASK, alias, &rights));
    EXPECT(rights == MEMORY_READ);
    EXPECT(is_device(APP_TASK, alias));
    EXPECT(read_signature(device, alias) == signature_of(device));
    /* A grandchild, from the child's copy, into the caller. */
    uint64_t grandchild = DEVICE_WINDOW + 0x20000;
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY(alias >> 12, 0, MEMORY_READ, 0), grandchild), ERROR_NONE);
    EXPECT(read_signature(device, grandchild) == signature_of(device));
    /* Revoking what derives from the root: the copies go, the root stays, the range stays taken. */
    EXPECT_ERROR(task_unmap(APP_TASK, ITEM_MEMORY(root >> 12, 0, 0, 0), 0), ERROR_NONE);
    EXPECT(!mapped(task, CHILD_WINDOW, NULL));
    EXPECT(!mapped(APP_TASK, alias, NULL));
    EXPECT(!mapped(APP_TASK, grandchild, NULL));
    EXPECT(mapped(APP_TASK, root, NULL));
    EXPECT(read_signature(device, root) == signature_of(device));
    EXPECT(info_ranges(capability) == 1);
    /* Mapped on again, then the root itself: everything goes and the range is free. */
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(root >> 12, 0, MEMORY_READ, 0), CHILD_WINDOW), ERROR_NONE);
    unmap_self(APP_TASK, root, 0);
    EXPECT(!mapped(APP_TASK, root, NULL));
    EXPECT(!mapped(task, CHILD_WINDOW, NULL));
    EXPECT(info_ranges(capability) == 0);
    object_delete(task);
}

/* A grant moves the root mapping; the range stays taken until the task that holds it is gone. */
static void grant_moves_the_root_and_task_deletion_frees_it(void)
{
    uint64_t capability = device_memory();
    uint64_t device = find_test_device(capability, DEVICE_WINDOW);
    EXPECT(device != 0);
    if (!device) {
        return;
    }
    uint64_t task = task_sharing_image();
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(DEVICE_WINDOW >> 12, 0, MEMORY_READ, 0), device),
                 ERROR_NONE);
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(DEVICE_WINDOW >> 12, 0, MEMORY_READ, ITEM_GRANT), CHILD_WINDOW),
                 ERROR_NONE);
    EXPECT(!mapped(APP_TASK, DEVICE_WINDOW, NULL));
    EXPECT(mapped(task, CHILD_WINDOW, NULL));
    EXPECT(is_device(task, CHILD_WINDOW));
    EXPECT(info_ranges(capability) == 1);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(DEVICE_WINDOW >> 12, 0, MEMORY_READ, 0), device),
                 ERROR_BUSY);
    /* The child maps it back to us (it holds the root now); deleting the child revokes that too. */
    EXPECT_ERROR(task_map(task, ITEM_MEMORY(CHILD_WINDOW >> 12, 0, MEMORY_READ, 0), CHILD_WINDOW + 0x1000), ERROR_NONE);
    object_delete(task);
    EXPECT(info_ranges(capability) == 0);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(DEVICE_WINDOW >> 12, 0, MEMORY_READ, 0), device),
                 ERROR_NONE);
    unmap_self(APP_TASK, DEVICE_WINDOW, 0);
    EXPECT(info_ranges(capability) == 0);
}

/* Several pages at once, all or nothing: a destination page in use leaves nothing mapped and the range free. */
static void larger_ranges_all_or_nothing(void)
{
    uint64_t capability = device_memory();
    uint64_t phys = NOTHING_THERE; /* 16 pages with nothing behind them */
    uint64_t window = DEVICE_WINDOW;
    static uint8_t in_the_way[4096] __attribute__((aligned(4096)));
    in_the_way[0] = 1;
    uint64_t blocker = window + 5 * 0x1000;
    EXPECT_ERROR(task_map(APP_TASK, ITEM_MEMORY((uint64_t)(uintptr_t)in_the_way >> 12, 0, MEMORY_READ, 0), blocker),
                 ERROR_NONE);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 4, MEMORY_READ, 0), phys),
                 ERROR_SLOT_OCCUPIED);
    EXPECT(!mapped(APP_TASK, window, NULL));
    EXPECT(info_ranges(capability) == 0);
    unmap_self(APP_TASK, blocker, 0);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 4, MEMORY_READ, 0), phys), ERROR_NONE);
    unsigned bits = 0;
    uint64_t ranges = 0, pages = 0;
    EXPECT_ERROR(device_memory_info(capability, &bits, &ranges, &pages), ERROR_NONE);
    EXPECT(ranges == 1 && pages == 16);
    EXPECT(mapped(APP_TASK, window, NULL) && mapped(APP_TASK, window + 15 * 0x1000, NULL));
    EXPECT(is_device(APP_TASK, window + 15 * 0x1000));
    /* Any page inside is busy; unmapping part of it keeps the range until the last page goes. */
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY((window >> 12) + 32, 0, MEMORY_READ, 0), phys + 0xf000),
                 ERROR_BUSY);
    unmap_self(APP_TASK, window, 3);
    EXPECT(info_ranges(capability) == 1);
    EXPECT(!mapped(APP_TASK, window, NULL) && mapped(APP_TASK, window + 8 * 0x1000, NULL));
    unmap_self(APP_TASK, window + 8 * 0x1000, 3);
    EXPECT(info_ranges(capability) == 0);
}

static void reports_the_firmware_pci_ecam(void)
{
    uint64_t capability = device_memory();
    uint64_t window = DEVICE_WINDOW;
    uint64_t device = find_test_device(capability, window);
    struct pci_ecam_region region = {0};
    EXPECT_ERROR(device_memory_pci_ecam(capability, ACPI_PAST_ANY_REGION, &region), ERROR_NOT_FOUND);
    if (device != HPET_BASE) {
        EXPECT_ERROR(device_memory_pci_ecam(capability, 0, &region), ERROR_NOT_FOUND);
        return;
    }
    EXPECT_ERROR(device_memory_pci_ecam(capability, 0, &region), ERROR_NONE);
    EXPECT(region.segment == 0 && region.first_bus == 0 && region.last_bus == 255 && region.base != 0 &&
           region.base % (1ull << 28) == 0);
    EXPECT_ERROR(device_memory_pci_ecam(capability, 1, &region), ERROR_NOT_FOUND);
    EXPECT_ERROR(device_memory_map(capability, ITEM_MEMORY(window >> 12, 0, MEMORY_READ, 0), region.base), ERROR_NONE);
    uint32_t id = read32(window);
    EXPECT(id == Q35_HOST_BRIDGE_ID);
    unmap_self(APP_TASK, window, 0);
    EXPECT(info_ranges(capability) == 0);
}

static const struct user_test tests[] = {
    {"device_memory_maps_a_device_uncached_and_readable", maps_a_device_uncached_and_readable},
    {"device_memory_refuses_ram", refuses_ram},
    {"device_memory_refuses_the_interrupt_controllers", refuses_the_interrupt_controllers},
    {"device_memory_checks_its_arguments", checks_its_arguments},
    {"device_memory_needs_its_rights", needs_its_rights},
    {"device_memory_is_mapped_on_and_revoked", is_mapped_on_and_revoked},
    {"device_memory_grant_moves_the_root_and_task_deletion_frees_it", grant_moves_the_root_and_task_deletion_frees_it},
    {"device_memory_larger_ranges_all_or_nothing", larger_ranges_all_or_nothing},
    {"device_memory_reports_the_firmware_pci_ecam", reports_the_firmware_pci_ecam},
};
TEST_TABLE(device_memory_tests, tests);
