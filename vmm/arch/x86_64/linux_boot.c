/*
 * Booting Linux through its x86 64-bit boot protocol: ACPI tables and an e820
 * map describe the machine, vmm/boot loads the bzImage, and the boot vCPU
 * enters the kernel in long mode with an identity map of the low 4 GiB, a
 * flat GDT (__BOOT_CS 0x10, __BOOT_DS 0x18) and %rsi at the zero page.
 */
#include "../../arch.h"
#include "../../boot/acpi_tables.h"
#include "../../boot/boot_error.h"
#include "../../boot/linux_loader.h"

#include <string.h>

#define ACPI_TABLES_ADDRESS 0xe0000ull
#define LOW_RAM_END 0x9fc00ull /* the conventional 639 KiB, as PCs report it */
#define HIGH_RAM_START 0x100000ull
#define GDT_ADDRESS 0x1000ull
#define PML4_ADDRESS 0x9000ull
#define PDPT_ADDRESS 0xa000ull
#define PD_ADDRESS 0xb000ull            /* four page directories of 2 MiB pages: 0..4 GiB */
#define RESET_VECTOR_ADDRESS 0xffff0ull /* F000:FFF0, in the BIOS area no e820 entry gives the guest */
#define IDENTITY_GIGABYTES 4

#define PAGE_PRESENT 0x1ull
#define PAGE_WRITABLE 0x2ull
#define PAGE_LARGE 0x80ull

#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

#define BOOT_CODE_SELECTOR 0x10
#define BOOT_DATA_SELECTOR 0x18
#define CODE_64 0xa9b /* present, code, readable, accessed, L=1, G=1 */
#define DATA_FLAT 0xc93
#define TSS_BUSY_64 0x8b
#define LDT_PRESENT 0x82

/* The identity map the 64-bit entry protocol asks for, written into guest RAM. */
static bool write_page_tables(const struct guest_memory *ram)
{
    uint64_t *pml4 = guest_memory_at(ram, PML4_ADDRESS, 4096);
    uint64_t *pdpt = guest_memory_at(ram, PDPT_ADDRESS, 4096);
    uint64_t *directories = guest_memory_at(ram, PD_ADDRESS, 4096ull * IDENTITY_GIGABYTES);
    if (!pml4 || !pdpt || !directories) {
        return false;
    }
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    pml4[0] = PDPT_ADDRESS | PAGE_PRESENT | PAGE_WRITABLE;
    for (uint64_t gigabyte = 0; gigabyte < IDENTITY_GIGABYTES; gigabyte++) {
        pdpt[gigabyte] = (PD_ADDRESS + gigabyte * 4096) | PAGE_PRESENT | PAGE_WRITABLE;
    }
    for (uint64_t entry = 0; entry < 512ull * IDENTITY_GIGABYTES; entry++) {
        directories[entry] = (entry << 21) | PAGE_PRESENT | PAGE_WRITABLE | PAGE_LARGE;
    }
    return true;
}

static bool write_gdt(const struct guest_memory *ram)
{
    static const uint64_t gdt[4] = {0, 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull};
    void *destination = guest_memory_at(ram, GDT_ADDRESS, sizeof(gdt));
    if (!destination) {
        return false;
    }
    memcpy(destination, gdt, sizeof(gdt));
    return true;
}

/*
 * What a PC's firmware has at the reset vector, where the CPU starts after a reset: here, a reset of the machine
 * through the reset control register (the FADT's reset register), which stops the VM. Linux jumps there to reboot
 * "through the BIOS": its fallback when EFI does not reset, and on hardware-reduced ACPI (this platform) it tries EFI
 * before the ACPI reset register even without EFI firmware, so every reboot of a guest ends here.
 */
static bool write_reset_vector(const struct guest_memory *ram)
{
    /* mov dx, ACPI_RESET_PORT; mov al, ACPI_RESET_VALUE; out dx, al; hlt (the VM has stopped by then); jmp to it */
    const uint8_t reset[] = {
        0xba, ACPI_RESET_PORT & 0xff, ACPI_RESET_PORT >> 8, 0xb0, ACPI_RESET_VALUE, 0xee, 0xf4, 0xeb, 0xfd};
    void *destination = guest_memory_at(ram, RESET_VECTOR_ADDRESS, sizeof(reset));
    if (!destination) {
        return false;
    }
    memcpy(destination, reset, sizeof(reset));
    return true;
}

static void enter_long_mode(struct vcpu_state *state, const struct linux_boot_entry *entry)
{
    memset(state, 0, sizeof(*state));
    state->cr0 = CR0_PE | CR0_ET | CR0_PG;
    state->cr3 = PML4_ADDRESS;
    state->cr4 = CR4_PAE;
    state->efer = EFER_LME | EFER_LMA;
    state->rflags = 0x2; /* interrupts off, as the protocol requires */
    state->rip = entry->entry_address;
    state->rsi = entry->zero_page_address;
    state->dr6 = 0xffff0ff0;
    state->dr7 = 0x400;
    state->pat = 0x0007040600070406ull;
    state->cs = (struct vcpu_segment){BOOT_CODE_SELECTOR, CODE_64, 0xffffffff, 0};
    struct vcpu_segment data = {BOOT_DATA_SELECTOR, DATA_FLAT, 0xffffffff, 0};
    state->ds = state->es = state->ss = state->fs = state->gs = data;
    state->tr = (struct vcpu_segment){0, TSS_BUSY_64, 0xffff, 0};
    state->ldtr = (struct vcpu_segment){0, LDT_PRESENT, 0xffff, 0};
    state->gdtr = (struct vcpu_descriptor_table){4 * 8 - 1, 0, GDT_ADDRESS};
    state->idtr = (struct vcpu_descriptor_table){0, 0, 0};
}

const char *arch_linux_setup(struct vm *vm, const uint8_t *kernel, size_t kernel_size, const uint8_t *initrd,
                             size_t initrd_size, const char *command_line)
{
    struct acpi_virtio_mmio_device virtio[VM_MAX_VIRTIO_SLOTS];
    for (unsigned i = 0; i < vm->virtio_slot_count; i++) {
        virtio[i] = (struct acpi_virtio_mmio_device){
            .base = vm->virtio_slots[i].window,
            .size = VIRTIO_MMIO_WINDOW_SIZE,
            .gsi = vm->virtio_slots[i].interrupt,
        };
    }
    const struct acpi_config acpi = {
        .vcpu_count = 1,
        .io_apic_id = 0,
        .devices = virtio,
        .device_count = vm->virtio_slot_count,
    };
    uint64_t rsdp = 0, acpi_size = 0;
    enum boot_error error = acpi_build(&vm->ram, ACPI_TABLES_ADDRESS, &acpi, &rsdp, &acpi_size);
    if (error != BOOT_OK) {
        return boot_error_message(error);
    }
    if (vm->ram.size <= HIGH_RAM_START) {
        return "guest RAM must be larger than 1 MiB for Linux";
    }
    const struct linux_e820_entry e820[] = {
        {0, LOW_RAM_END, LINUX_E820_RAM},
        {ACPI_TABLES_ADDRESS, acpi_size, LINUX_E820_ACPI},
        {HIGH_RAM_START, vm->ram.size - HIGH_RAM_START, LINUX_E820_RAM},
    };
    const struct linux_boot_layout layout = {
        .zero_page_address = LINUX_ZERO_PAGE_ADDRESS,
        .command_line_address = LINUX_COMMAND_LINE_ADDRESS,
        .e820 = e820,
        .e820_count = sizeof(e820) / sizeof(e820[0]),
        .acpi_rsdp_address = rsdp,
    };
    struct linux_boot_entry entry;
    error = linux_load(&vm->ram, kernel, kernel_size, initrd, initrd_size, command_line, &layout, &entry);
    if (error != BOOT_OK) {
        return boot_error_message(error);
    }
    if (!write_page_tables(&vm->ram) || !write_gdt(&vm->ram) || !write_reset_vector(&vm->ram)) {
        return "no room for the boot page tables, GDT and reset vector in guest RAM";
    }
    enter_long_mode(vm->vcpu, &entry);
    return NULL;
}
