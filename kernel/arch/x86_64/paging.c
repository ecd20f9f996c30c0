#include <arch/cpu.h>
#include <arch/paging.h>
#include <kapsel/arch.h>
#include <kapsel/memory.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>
#include <string.h>

extern char __kernel_text_start[], __kernel_text_end[];
extern char __kernel_rodata_start[], __kernel_rodata_end[];
extern char __kernel_data_start[], __kernel_data_end[];

#define CR4_PGE (1ull << 7)
#define ENTRIES_PER_TABLE 512

static uint64_t kernel_pml4;

static uint64_t *table_at(uint64_t phys)
{
    return phys_to_virt(phys);
}

static unsigned table_index(uint64_t virt, unsigned level)
{
    return (unsigned)(virt >> (12 + 9 * (level - 1))) & (ENTRIES_PER_TABLE - 1);
}

static uint64_t allocate_table(void)
{
    uint64_t phys;
    enum error error = frame_allocator_alloc(physical_memory(), 0, &phys);
    if (error != ERROR_NONE) {
        panic("no memory for kernel page tables: %s", error_name(error));
    }
    memset(table_at(phys), 0, PAGE_SIZE);
    return phys;
}

/* Returns the entry for virt at leaf_level (1 = 4 KiB, 2 = 2 MiB), creating tables above it; NULL if a large page is in
 * the way. */
static uint64_t *walk_create(uint64_t virt, unsigned leaf_level)
{
    uint64_t table = kernel_pml4;
    for (unsigned level = 4; level > leaf_level; level--) {
        uint64_t *entry = &table_at(table)[table_index(virt, level)];
        if (!(*entry & PTE_PRESENT)) {
            *entry = allocate_table() | PTE_PRESENT | PTE_WRITABLE;
        } else if (*entry & PTE_LARGE) {
            return NULL;
        }
        table = *entry & PTE_ADDRESS_MASK;
    }
    return &table_at(table)[table_index(virt, leaf_level)];
}

static void map_pages(uint64_t virt, uint64_t phys, uint64_t size, uint64_t flags, unsigned leaf_level)
{
    uint64_t page = leaf_level == 2 ? LARGE_PAGE_SIZE : PAGE_SIZE;
    for (uint64_t offset = 0; offset < size; offset += page) {
        uint64_t *entry = walk_create(virt + offset, leaf_level);
        if (!entry) {
            panic("kernel mapping at %#llx collides with a large page", (unsigned long long)(virt + offset));
        }
        if (*entry & PTE_PRESENT) {
            continue; /* regions that share a 2 MiB page are mapped once */
        }
        *entry = (phys + offset) | flags | PTE_PRESENT | (leaf_level == 2 ? PTE_LARGE : 0);
    }
}

/* Maps [base, end) of physical memory into the physmap: 2 MiB pages where a whole one fits, 4 KiB elsewhere. */
static void map_physmap_range(uint64_t base, uint64_t end, uint64_t flags)
{
    uint64_t phys = base;
    while (phys < end) {
        bool large_fits = phys % LARGE_PAGE_SIZE == 0 && end - phys >= LARGE_PAGE_SIZE;
        uint64_t *entry = large_fits ? walk_create(PHYSMAP_BASE + phys, 2) : NULL;
        if (entry && !(*entry & PTE_PRESENT)) {
            *entry = phys | flags | PTE_PRESENT | PTE_LARGE;
            phys += LARGE_PAGE_SIZE;
            continue;
        }
        entry = walk_create(PHYSMAP_BASE + phys, 1);
        if (entry && !(*entry & PTE_PRESENT)) {
            *entry = phys | flags | PTE_PRESENT;
        }
        phys += PAGE_SIZE; /* NULL: a large page already maps this address */
    }
}

/*
 * RAM (usable and ACPI) is mapped write-back; every other region of the
 * memory map only at its own 4 KiB pages and uncached, since it may be
 * device memory, and so that device windows next to it can still be mapped.
 */
static void map_physmap(const struct boot_info *info)
{
    for (size_t i = 0; i < info->memory_count; i++) {
        const struct memory_region *region = &info->memory[i];
        uint64_t base = region->base & ~(uint64_t)(PAGE_SIZE - 1);
        uint64_t end = (region->base + region->size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
        if (end > PHYSMAP_SIZE) {
            kprintf("memory above %#llx is not mapped (physmap limit)\n", (unsigned long long)PHYSMAP_SIZE);
            end = PHYSMAP_SIZE;
        }
        bool ram =
            region->type == MEMORY_USABLE || region->type == MEMORY_ACPI_RECLAIMABLE || region->type == MEMORY_ACPI_NVS;
        uint64_t flags = PTE_WRITABLE | PTE_GLOBAL | PTE_NO_EXECUTE;
        if (!ram) {
            flags |= PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
        }
        if (base < end) {
            map_physmap_range(base, end, flags);
        }
    }
}

static void map_image_section(const char *start, const char *end, uint64_t flags)
{
    uint64_t virt = (uint64_t)(uintptr_t)start;
    map_pages(virt, kernel_image_virt_to_phys(start), (uint64_t)(end - start), flags | PTE_GLOBAL, 1);
}

void paging_init(const struct boot_info *info)
{
    if (!(cpuid(0x80000001, 0).edx & (1u << 20))) {
        boot_fail("this CPU has no NX bit; Kapsel needs it to keep kernel data non-executable");
    }
    msr_write(MSR_EFER, msr_read(MSR_EFER) | EFER_NXE);

    kernel_pml4 = allocate_table();
    map_physmap(info);
    map_image_section(__kernel_text_start, __kernel_text_end, 0);
    map_image_section(__kernel_rodata_start, __kernel_rodata_end, PTE_NO_EXECUTE);
    map_image_section(__kernel_data_start, __kernel_data_end, PTE_WRITABLE | PTE_NO_EXECUTE);

    __asm__ volatile("mov %0, %%cr4" : : "r"(read_cr4() | CR4_PGE));
    write_cr3(kernel_pml4);
}

/* The device registers the kernel mapped for itself: never device memory a task may map. */
#define MAX_KERNEL_DEVICES 16
static struct phys_range kernel_devices[MAX_KERNEL_DEVICES];
static size_t kernel_device_count;

void *paging_map_device(uint64_t phys, size_t size)
{
    uint64_t base = phys & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (phys + size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    if (kernel_device_count == MAX_KERNEL_DEVICES || end <= base) {
        return NULL;
    }
    kernel_devices[kernel_device_count++] = (struct phys_range){base, end};
    for (uint64_t page = base; page < end; page += PAGE_SIZE) {
        uint64_t *entry = walk_create(PHYSMAP_BASE + page, 1);
        if (!entry) {
            return NULL; /* already covered by a RAM large page: not a device */
        }
        *entry = page | PTE_PRESENT | PTE_WRITABLE | PTE_CACHE_DISABLE | PTE_WRITE_THROUGH | PTE_NO_EXECUTE;
        __asm__ volatile("invlpg (%0)" : : "r"(PHYSMAP_BASE + page) : "memory");
    }
    return phys_to_virt(phys);
}

bool paging_kernel_device_overlaps(uint64_t base, uint64_t end)
{
    for (size_t i = 0; i < kernel_device_count; i++) {
        if (kernel_devices[i].base < end && kernel_devices[i].end > base) {
            return true;
        }
    }
    return false;
}

bool paging_translate(uint64_t virt, uint64_t *phys, uint64_t *flags)
{
    uint64_t table = read_cr3() & PTE_ADDRESS_MASK;
    for (unsigned level = 4; level >= 1; level--) {
        uint64_t entry = table_at(table)[table_index(virt, level)];
        if (!(entry & PTE_PRESENT)) {
            return false;
        }
        if (level == 1 || (entry & PTE_LARGE)) {
            uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
            *phys = (entry & PTE_ADDRESS_MASK & ~page_mask) | (virt & page_mask);
            *flags = entry & ~PTE_ADDRESS_MASK;
            return true;
        }
        table = entry & PTE_ADDRESS_MASK;
    }
    return false;
}

uint64_t paging_kernel_root(void)
{
    return kernel_pml4;
}

void arch_memory_init(const struct boot_info *info)
{
    paging_init(info);
}
