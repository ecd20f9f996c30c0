/* PVH entry (Xen/QEMU direct boot): 32-bit protected mode, paging off,
 * %ebx = physical address of struct hvm_start_info.
 * Builds boot page tables that map the first 4 GiB three times (identity,
 * physmap, and the kernel's top 2 GiB), enters long mode and jumps to C. */

#include <arch/memory_layout.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define PAGE_PRESENT  0x001
#define PAGE_WRITABLE 0x002
#define PAGE_LARGE    0x080

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

    .section .note.Xen, "a"
    .p2align 2
    .long 4                          /* name size */
    .long 4                          /* descriptor size */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long pvh_entry32

    .section .boot.text, "ax"
    .code32
    .global pvh_entry32
pvh_entry32:
    cli
    cld
    mov %ebx, %esi                   /* keep start_info across the setup */

    /* Zero .bss (loaders are not required to). */
    mov $(__kernel_bss_start - KERNEL_VIRT_BASE), %edi
    mov $(__kernel_data_end - KERNEL_VIRT_BASE), %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* Four page directories of 2 MiB pages cover 0..4 GiB. */
    mov $boot_page_directories, %edi
    mov $(PAGE_PRESENT | PAGE_WRITABLE | PAGE_LARGE), %eax
    xor %edx, %edx
    mov $2048, %ecx
1:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 1b

    /* Low PDPT: entries 0..3 -> the four directories (identity and physmap). */
    mov $boot_pdpt_low, %edi
    mov $boot_page_directories, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov $4, %ecx
2:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 2b

    /* High PDPT: entries 510, 511 -> first two directories (top 2 GiB = phys 0..2 GiB). */
    mov $boot_page_directories, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov %eax, (boot_pdpt_high + 510 * 8)
    add $4096, %eax
    mov %eax, (boot_pdpt_high + 511 * 8)

    mov $boot_pdpt_low, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov %eax, (boot_pml4)
    mov %eax, (boot_pml4 + PHYSMAP_PML4_INDEX * 8)
    mov $boot_pdpt_high, %eax
    or $(PAGE_PRESENT | PAGE_WRITABLE), %eax
    mov %eax, (boot_pml4 + 511 * 8)

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PE | CR0_PG | CR0_WP), %eax
    mov %eax, %cr0

    lgdt boot_gdt_descriptor
    ljmp $0x08, $pvh_entry64

    .code64
pvh_entry64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    mov %esi, %edi                   /* zero-extends: start_info physical address */
    movabs $x86_64_kernel_entry, %rax
    call *%rax
3:  cli
    hlt
    jmp 3b

    .section .boot.data, "aw"
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff         /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff         /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_descriptor:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .boot.bss, "aw", @nobits
    .p2align 12
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_page_directories:
    .skip 4 * 4096

    .bss
    .p2align 12
boot_stack:
    .skip 16384
boot_stack_top:
