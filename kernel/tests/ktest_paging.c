/* The kernel address space after paging_init: W^X image, physmap, no identity map. */
#include <arch/paging.h>
#include <kapsel/kernel.h>
#include <kapsel/ktest.h>
#include <kapsel/memory.h>

extern char __kernel_text_start[], __kernel_rodata_start[], __kernel_data_start[];
static uint64_t writable_global = 1;

KTEST(paging_text_is_executable_and_read_only)
{
    uint64_t phys, flags;
    KTEST_EXPECT(paging_translate((uint64_t)(uintptr_t)__kernel_text_start, &phys, &flags));
    KTEST_EXPECT(!(flags & PTE_WRITABLE));
    KTEST_EXPECT(!(flags & PTE_NO_EXECUTE));
    KTEST_EXPECT(!(flags & PTE_USER));
    KTEST_EXPECT(phys == kernel_image_virt_to_phys(__kernel_text_start));
}

KTEST(paging_rodata_is_read_only_and_not_executable)
{
    uint64_t phys, flags;
    KTEST_EXPECT(paging_translate((uint64_t)(uintptr_t)__kernel_rodata_start, &phys, &flags));
    KTEST_EXPECT(!(flags & PTE_WRITABLE));
    KTEST_EXPECT(flags & PTE_NO_EXECUTE);
}

KTEST(paging_data_is_writable_and_not_executable)
{
    uint64_t phys, flags;
    KTEST_EXPECT(paging_translate((uint64_t)(uintptr_t)&writable_global, &phys, &flags));
    KTEST_EXPECT(flags & PTE_WRITABLE);
    KTEST_EXPECT(flags & PTE_NO_EXECUTE);
    KTEST_EXPECT(*(uint64_t *)phys_to_virt(phys) == writable_global);
}

KTEST(paging_boot_identity_map_is_gone)
{
    uint64_t phys, flags;
    KTEST_EXPECT(!paging_translate(0, &phys, &flags));
    KTEST_EXPECT(!paging_translate(0x200000, &phys, &flags));
}

KTEST(paging_physmap_covers_usable_ram)
{
    const struct boot_info *info = kernel_boot_info();
    for (size_t i = 0; i < info->memory_count; i++) {
        if (info->memory[i].type != MEMORY_USABLE) {
            continue;
        }
        uint64_t last = info->memory[i].base + info->memory[i].size - 1;
        uint64_t phys, flags;
        KTEST_EXPECT(paging_translate(PHYSMAP_BASE + info->memory[i].base, &phys, &flags));
        KTEST_EXPECT(phys == info->memory[i].base);
        KTEST_EXPECT(paging_translate(PHYSMAP_BASE + last, &phys, &flags));
        KTEST_EXPECT(phys == last);
        KTEST_EXPECT((flags & PTE_NO_EXECUTE) && !(flags & PTE_USER));
    }
}
