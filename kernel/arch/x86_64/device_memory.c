/*
 * What x86-64 adds to the device-memory checks: the physical address width
 * the CPU decodes, and the interrupt controllers' registers, which the kernel
 * keeps for itself (a task that could write them could raise, mask or route
 * any interrupt): the local APIC's window (0xfee00000..0xfeefffff, where
 * message-signalled interrupts land too), every I/O APIC the ACPI MADT lists
 * (the kernel drives the first; the others are interrupt controllers all the
 * same), and whatever else the kernel mapped for itself.
 */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <kapsel/acpi.h>
#include <kapsel/arch.h>
#include <kapsel/kernel.h>

#define LOCAL_APIC_WINDOW_BASE 0xfee00000ull
#define LOCAL_APIC_WINDOW_END 0xfef00000ull
#define IO_APIC_WINDOW_SIZE 0x1000ull
#define CPUID_EXTENDED_MAX 0x80000000u
#define CPUID_ADDRESS_SIZES 0x80000008u
#define DEFAULT_PHYSICAL_BITS 36 /* what the SDM says to assume without leaf 0x80000008 */
#define MAX_PHYSICAL_BITS 52     /* what a page-table entry can hold */

unsigned arch_physical_address_bits(void)
{
    static unsigned bits;
    if (bits == 0) {
        bits = DEFAULT_PHYSICAL_BITS;
        if (cpuid(CPUID_EXTENDED_MAX, 0).eax >= CPUID_ADDRESS_SIZES) {
            unsigned reported = cpuid(CPUID_ADDRESS_SIZES, 0).eax & 0xffu;
            if (reported >= 32 && reported <= MAX_PHYSICAL_BITS) {
                bits = reported;
            }
        }
    }
    return bits;
}

/* The MADT's I/O APICs, read once (firmware tables do not change). */
static const struct acpi_interrupt_controllers *interrupt_controllers(void)
{
    static struct acpi_interrupt_controllers controllers;
    static bool read;
    if (!read) {
        if (acpi_read_interrupt_controllers(kernel_boot_info()->acpi_rsdp, &controllers) != ERROR_NONE) {
            controllers.io_apic_count = 0;
        }
        read = true;
    }
    return &controllers;
}

bool arch_kernel_device_range(uint64_t base, uint64_t end)
{
    if (base < LOCAL_APIC_WINDOW_END && end > LOCAL_APIC_WINDOW_BASE) {
        return true;
    }
    const struct acpi_interrupt_controllers *controllers = interrupt_controllers();
    for (uint32_t i = 0; i < controllers->io_apic_count && i < ACPI_MAX_IO_APICS; i++) {
        uint64_t io_apic = controllers->io_apics[i].address & ~(IO_APIC_WINDOW_SIZE - 1);
        if (base < io_apic + IO_APIC_WINDOW_SIZE && end > io_apic) {
            return true;
        }
    }
    return paging_kernel_device_overlaps(base, end);
}
