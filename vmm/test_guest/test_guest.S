/*
 * The uvmm's test guest: a flat 32-bit binary loaded and entered at
 * guest-physical 0x8000, in protected mode with paging off (flat segments),
 * esp at the top of RAM, and the scenario number in ebx, in the order of
 * test_guest_scenarios in vmm/guest_image.c:
 *
 *   1 basic         prints a line through the UART, the CPUID hypervisor signature, writes the
 *                   MMIO scratch register and prints (hypercall 1) what reads back, prints the MMIO
 *                   ID register, then exits with status 0 (hypercall 2)
 *   2 out_of_ram    reads guest-physical 0x40000000: neither RAM nor a device
 *   3 triple_fault  int3 with an empty IDT: #GP, then #DF, then shutdown
 *   4 spin          prints "spinning", counts down SPIN_ITERATIONS (seconds under QEMU) without a
 *                   single exit, prints "spun" and exits with status 0: only the host's timer can
 *                   take the CPU from it meanwhile
 *   5 ticker        TICKS times: counts down TICK_ITERATIONS (about 0.1 s under QEMU), then prints
 *                   the tick's number (hypercall 1); then exits with status 0. It shows progress
 *                   while another VM spins, which only preemption of that guest allows
 *   6 paged_mmio    turns on 32-bit paging with 4 MiB pages, where linear 4 MiB aliases physical 0,
 *                   and from code running at that alias writes the MMIO scratch register and prints
 *                   what reads back, then exits with status 0: the VMM must fetch the instruction
 *                   through the guest's page tables (linear as physical would be outside RAM)
 *   7 virtio_bad_queue    brings up the transmit queue of the virtio console (the VM's first virtio
 *                   slot) as a driver would and offers it a buffer outside guest RAM: the VMM must
 *                   end this VM, with the device's reason, instead of touching that address
 *   8 virtio_bad_register writes garbage (bits the spec does not define) to the virtio console's
 *                   Status register: the VMM must refuse the access and end this VM
 *
 * Everything lives in .text: the image is copied into RAM as one block, and
 * nothing here protects RAM from writes.
 */
#define SERIAL_DATA 0x3f8
#define SERIAL_LINE_STATUS 0x3fd
#define SERIAL_TRANSMITTER_EMPTY 0x20
#define TEST_DEVICE 0xd0000000
#define TEST_DEVICE_SCRATCH 0
#define TEST_DEVICE_ID 4
#define HYPERCALL_PRINT 1
#define HYPERCALL_EXIT 2
#define HYPERVISOR_LEAF 0x40000000
#define OUTSIDE_RAM 0x40000000
#define SPIN_ITERATIONS 600000000
#define TICK_ITERATIONS 30000000
#define TICKS 10
#define UNKNOWN_SCENARIO_STATUS 99
#define PAGED_SCRATCH_VALUE 0x600d9a9e
#define ALIAS_OFFSET 0x400000 /* linear 4 MiB maps physical 0 */
#define PDE_LARGE_RW_PRESENT 0x83
#define PDE_UNCACHED 0x10
#define CR0_PG 0x80000000
#define CR4_PSE 0x10
#define VIRTIO_WINDOW 0xd1000000 /* slot 0: the virtio console */
#define VIRTIO_DRIVER_FEATURES 0x020
#define VIRTIO_DRIVER_FEATURES_SELECT 0x024
#define VIRTIO_QUEUE_SELECT 0x030
#define VIRTIO_QUEUE_SIZE 0x038
#define VIRTIO_QUEUE_READY 0x044
#define VIRTIO_QUEUE_NOTIFY 0x050
#define VIRTIO_STATUS 0x070
#define VIRTIO_QUEUE_DESCRIPTOR_LOW 0x080
#define VIRTIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_QUEUE_DEVICE_LOW 0x0a0
#define TRANSMIT_QUEUE 1
#define QUEUE_ENTRIES 8
#define DESCRIPTOR_TABLE 0x10000
#define AVAILABLE_RING 0x10080
#define USED_RING 0x11000

    .code32
    .text
    .globl _start
_start:
    cmp $1, %ebx
    je basic
    cmp $2, %ebx
    je out_of_ram
    cmp $3, %ebx
    je triple_fault
    cmp $4, %ebx
    je spin
    cmp $5, %ebx
    je ticker
    cmp $6, %ebx
    je paged_mmio
    cmp $7, %ebx
    je virtio_bad_queue
    cmp $8, %ebx
    je virtio_bad_register
    mov $unknown_scenario, %esi
    call puts
    mov $UNKNOWN_SCENARIO_STATUS, %ebx
    jmp exit

basic:
    mov $hello, %esi
    call puts

    mov $HYPERVISOR_LEAF, %eax
    xor %ecx, %ecx
    cpuid
    mov %ebx, signature
    mov %ecx, signature + 4
    mov %edx, signature + 8
    mov $signature_line, %esi
    call puts

    /* Different ModRM forms on purpose: [edi] with an immediate, [edi + ecx * 1] (SIB), [edi + disp8]. */
    mov $TEST_DEVICE, %edi
    movl $0x1234abcd, TEST_DEVICE_SCRATCH(%edi)
    xor %ecx, %ecx
    mov TEST_DEVICE_SCRATCH(%edi, %ecx, 1), %ebx
    mov $HYPERCALL_PRINT, %eax
    vmmcall
    mov TEST_DEVICE_ID(%edi), %ebx
    mov $HYPERCALL_PRINT, %eax
    vmmcall
    xor %ebx, %ebx
    jmp exit

out_of_ram:
    mov $OUTSIDE_RAM, %edi
    mov (%edi), %eax
    mov $unexpected, %esi
    call puts
    mov $1, %ebx
    jmp exit

triple_fault:
    lidt empty_idt
    int3
    mov $unexpected, %esi
    call puts
    mov $1, %ebx
    jmp exit

spin:
    mov $spinning, %esi
    call puts
    mov $SPIN_ITERATIONS, %ecx
1:  dec %ecx
    jnz 1b
    mov $spun, %esi
    call puts
    xor %ebx, %ebx
    jmp exit

ticker:
    mov $1, %esi
1:  mov $TICK_ITERATIONS, %ecx
2:  dec %ecx
    jnz 2b
    mov %esi, %ebx
    mov $HYPERCALL_PRINT, %eax
    vmmcall
    inc %esi
    cmp $TICKS, %esi
    jbe 1b
    xor %ebx, %ebx
    jmp exit

paged_mmio:
    movl $PDE_LARGE_RW_PRESENT, page_directory                 /* 0-4 MiB: identity (code, stack) */
    movl $PDE_LARGE_RW_PRESENT, page_directory + 4             /* 4-8 MiB: the alias of 0-4 MiB */
    movl $(TEST_DEVICE | PDE_LARGE_RW_PRESENT | PDE_UNCACHED), page_directory + (TEST_DEVICE >> 22) * 4
    mov $page_directory, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PSE, %eax
    mov %eax, %cr4
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    mov $(aliased + ALIAS_OFFSET), %eax
    jmp *%eax
aliased:
    mov $TEST_DEVICE, %edi
    movl $PAGED_SCRATCH_VALUE, TEST_DEVICE_SCRATCH(%edi)
    mov TEST_DEVICE_SCRATCH(%edi), %ebx
    mov $HYPERCALL_PRINT, %eax
    vmmcall
    xor %ebx, %ebx
    jmp exit

virtio_bad_queue:
    mov $VIRTIO_WINDOW, %edi
    movl $0, VIRTIO_STATUS(%edi)                      /* reset */
    movl $1, VIRTIO_STATUS(%edi)                      /* ACKNOWLEDGE */
    movl $3, VIRTIO_STATUS(%edi)                      /* DRIVER */
    movl $1, VIRTIO_DRIVER_FEATURES_SELECT(%edi)
    movl $1, VIRTIO_DRIVER_FEATURES(%edi)             /* VIRTIO_F_VERSION_1 (bit 32) */
    movl $0xb, VIRTIO_STATUS(%edi)                    /* FEATURES_OK */
    movl $TRANSMIT_QUEUE, VIRTIO_QUEUE_SELECT(%edi)
    movl $QUEUE_ENTRIES, VIRTIO_QUEUE_SIZE(%edi)
    movl $DESCRIPTOR_TABLE, VIRTIO_QUEUE_DESCRIPTOR_LOW(%edi)
    movl $AVAILABLE_RING, VIRTIO_QUEUE_DRIVER_LOW(%edi)
    movl $USED_RING, VIRTIO_QUEUE_DEVICE_LOW(%edi)
    movl $1, VIRTIO_QUEUE_READY(%edi)
    movl $0xf, VIRTIO_STATUS(%edi)                    /* DRIVER_OK */
    movl $OUTSIDE_RAM, DESCRIPTOR_TABLE               /* descriptor 0: 16 bytes outside RAM */
    movl $0, DESCRIPTOR_TABLE + 4
    movl $16, DESCRIPTOR_TABLE + 8
    movl $0, DESCRIPTOR_TABLE + 12
    movl $0, AVAILABLE_RING + 4                       /* ring[0] = descriptor 0 */
    movl $0x00010000, AVAILABLE_RING                  /* flags 0, idx 1 */
    movl $TRANSMIT_QUEUE, VIRTIO_QUEUE_NOTIFY(%edi)
    mov $unexpected, %esi
    call puts
    mov $1, %ebx
    jmp exit

virtio_bad_register:
    mov $VIRTIO_WINDOW, %edi
    movl $0x1234, VIRTIO_STATUS(%edi)
    mov $unexpected, %esi
    call puts
    mov $1, %ebx
    jmp exit

/* Hypercall 2 with the status in ebx; the VM ends there. */
exit:
    mov $HYPERCALL_EXIT, %eax
    vmmcall
    ud2

/* Prints the NUL-terminated string at esi and a line end. Clobbers eax, edx, esi. */
puts:
    lodsb
    test %al, %al
    jz 1f
    call putc
    jmp puts
1:  mov $'\n', %al
    call putc
    ret

/* Sends al through the UART once its transmitter is empty. Clobbers edx, ah. */
putc:
    mov %al, %ah
    mov $SERIAL_LINE_STATUS, %dx
1:  inb %dx, %al
    test $SERIAL_TRANSMITTER_EMPTY, %al
    jz 1b
    mov $SERIAL_DATA, %dx
    mov %ah, %al
    outb %al, %dx
    ret

empty_idt:
    .word 0
    .long 0

hello:
    .asciz "hello from the test guest"
signature_line:
    .ascii "CPUID 0x40000000 signature: "
signature:
    .fill 12, 1, 0
    .byte 0
unexpected:
    .asciz "the scenario went on where it should not have"
unknown_scenario:
    .asciz "unknown scenario"
spinning:
    .asciz "spinning"
spun:
    .asciz "spun"

    .balign 4096
page_directory:
    .fill 1024, 4, 0
