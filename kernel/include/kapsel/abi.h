/*
 * The user/kernel interface: one system call, invoke(capability, tag, timeouts),
 * message registers in the thread's UTCB, and the operations of each kernel
 * object. Shared by the kernel and the user-level runtime; docs/architecture.md
 * has the tables.
 *
 * x86-64 calling convention of the `syscall` instruction:
 *   in:  %rdi = selector  (capability index << 8 | IPC_* flags)
 *        %rsi = tag       (what is being sent; MESSAGE_TAG())
 *        %rdx = timeouts  (TIMEOUTS(send, receive))
 *   out: %rax = enum error, %rsi = tag of the received message,
 *        %rdi = label of the gate (or Irq) the message came through
 * %rcx and %r11 are clobbered (syscall/sysret); all other registers are kept.
 */
#ifndef KAPSEL_ABI_H
#define KAPSEL_ABI_H

#include <kapsel/error.h>
#include <stdint.h>

/* --- selectors: which capability, and which IPC phases ------------------------------------- */

#define IPC_SEND 0x1u      /* send a message to the capability's object */
#define IPC_RECEIVE 0x2u   /* then wait for a message (a reply, after a send) */
#define IPC_OPEN_WAIT 0x4u /* receive from any gate bound to this thread, not just the capability */
#define IPC_REPLY 0x8u     /* first answer the caller this thread received from */

#define IPC_CALL (IPC_SEND | IPC_RECEIVE)
#define IPC_WAIT (IPC_RECEIVE | IPC_OPEN_WAIT)
#define IPC_REPLY_AND_WAIT (IPC_REPLY | IPC_RECEIVE | IPC_OPEN_WAIT)

#define SELECTOR(capability, flags) ((uint64_t)(capability) << 8 | (flags))
#define SELECTOR_CAPABILITY(selector) ((selector) >> 8)
#define SELECTOR_FLAGS(selector) ((selector)&0xffu)

/* --- message tags --------------------------------------------------------------------------- */

#define MESSAGE_REGISTERS 64
#define MESSAGE_MAX_ITEMS 8

/* label: protocol or operation; words: untyped message registers; items: typed pairs after them */
#define MESSAGE_TAG(label, words, items) ((uint64_t)(label) << 16 | (uint64_t)(items) << 8 | (uint64_t)(words))
#define MESSAGE_TAG_WORDS(tag) ((unsigned)((tag)&0x7fu))
#define MESSAGE_TAG_ITEMS(tag) ((unsigned)(((tag) >> 8) & 0xfu))
#define MESSAGE_TAG_LABEL(tag) ((tag) >> 16)

/* --- timeouts: milliseconds, rounded up to scheduler ticks -------------------------------- */

#define TIMEOUT_NEVER 0xffffffffu /* wait as long as it takes */
#define TIMEOUT_POLL 0u           /* do not wait at all */
#define TIMEOUTS(send_ms, receive_ms) ((uint64_t)(receive_ms) << 32 | (uint32_t)(send_ms))
#define TIMEOUT_SEND(timeouts) ((uint32_t)(timeouts))
#define TIMEOUT_RECEIVE(timeouts) ((uint32_t)((timeouts) >> 32))

/* --- the UTCB: one page per thread, shared by the thread and the kernel --------------------- */

struct utcb {
    uint64_t message[MESSAGE_REGISTERS];
    /* Receive windows: where items sent to this thread may land (0 = accept none). */
    uint64_t memory_window;     /* ITEM_MEMORY(base page, order, 0, 0): a region of this task */
    uint64_t capability_window; /* ITEM_CAPABILITY(first slot, order, 0, 0): slots of this task */
    uint64_t user[6];           /* the runtime's own use (e.g. its thread-local pointer) */
    uint64_t self;              /* the UTCB's own address, written by the kernel */
};

/* Each user thread runs with its %fs base at its UTCB, so user code finds it without a system call. */
#define UTCB_SELF_OFFSET (MESSAGE_REGISTERS * 8 + 2 * 8 + 6 * 8)

/* --- typed items: two message registers each, after the untyped words --------------------- */

#define ITEM_TYPE_MEMORY 1u
#define ITEM_TYPE_CAPABILITY 2u
#define ITEM_GRANT 0x4u /* move instead of copy: the sender loses it */

/* word 0 of an item (and a receive window): what, how many (2^order pages or slots), which rights */
#define ITEM_MEMORY(page, order, rights, flags)                                                                        \
    ((uint64_t)(page) << 16 | (uint64_t)(order) << 8 | (uint64_t)(rights) << 4 | (flags) | ITEM_TYPE_MEMORY)
#define ITEM_CAPABILITY(slot, order, rights, flags)                                                                    \
    ((uint64_t)(slot) << 16 | (uint64_t)(order) << 8 | (uint64_t)(rights) << 4 | (flags) | ITEM_TYPE_CAPABILITY)
#define ITEM_TYPE(word) ((unsigned)((word)&0x3u))
#define ITEM_FLAGS(word) ((unsigned)((word)&0xcu))
#define ITEM_RIGHTS(word) ((unsigned)(((word) >> 4) & 0xfu))
#define ITEM_ORDER(word) ((unsigned)(((word) >> 8) & 0xffu))
#define ITEM_BASE(word) ((word) >> 16) /* page number or first slot */
/* word 1 of an item: where it lands, as an offset into the receiver's window (bytes or slots) */

#define PAGE_SHIFT_BITS 12

/* --- rights --------------------------------------------------------------------------------- */

#define MEMORY_READ 0x1u
#define MEMORY_WRITE 0x2u
#define MEMORY_EXECUTE 0x4u
#define MEMORY_ALL (MEMORY_READ | MEMORY_WRITE | MEMORY_EXECUTE)

#define RIGHT_READ 0x1u   /* query the object */
#define RIGHT_WRITE 0x2u  /* invoke it: send to a gate, change a thread, create from a factory */
#define RIGHT_GRANT 0x4u  /* pass this capability on through IPC or a task map */
#define RIGHT_DELETE 0x8u /* destroy the object, which invalidates every capability to it */
#define RIGHTS_ALL (RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT | RIGHT_DELETE)

/* --- objects -------------------------------------------------------------------------------- */

enum object_type {
    OBJECT_NONE = 0,
    OBJECT_TASK,
    OBJECT_THREAD,
    OBJECT_IPC_GATE,
    OBJECT_IRQ,
    OBJECT_FACTORY,
    OBJECT_SCHEDULER,
    OBJECT_MEMORY,        /* the root task's source of physical memory */
    OBJECT_CONSOLE,       /* the kernel console, for the root task's log service */
    OBJECT_VM,            /* a guest-physical address space and its virtual CPUs */
    OBJECT_ICU,           /* the interrupt controller: ties Irq objects to hardware interrupt lines */
    OBJECT_IO_PORTS,      /* x86 I/O port space: grants port ranges to tasks */
    OBJECT_DEVICE_MEMORY, /* physical ranges that are not RAM (device registers): maps them into the caller */
    OBJECT_DMA_MEMORY,    /* contiguous RAM for device drivers: the caller learns its physical address */
    OBJECT_TYPE_COUNT
};

/* Operations: the label of a message sent to a kernel object; arguments in message[0..]. */
enum task_operation {
    TASK_MAP = 1,          /* [0] memory item in the caller, [1] destination address in the task */
    TASK_UNMAP,            /* [0] ITEM_MEMORY in the task, [1] UNMAP_* flags: revoke recursively */
    TASK_MAP_CAPABILITY,   /* [0] capability item in the caller, [1] destination slot in the task */
    TASK_UNMAP_CAPABILITY, /* [0] slot in the task, [1] UNMAP_* flags: revoke derived copies */
    TASK_DELETE_OBJECT,    /* [0] slot in the task whose capability has RIGHT_DELETE */
    TASK_CAPABILITY_INFO,  /* [0] slot -> [0] object type (0 if empty), [1] rights */
    TASK_MEMORY_INFO,      /* [0] address -> [0] 1 if mapped, [1] MEMORY_* rights, [2] 1 if device memory (uncached) */
};

#define UNMAP_SELF 0x1u /* also remove the named mapping or capability itself, not only copies */

enum thread_operation {
    THREAD_CONFIGURE = 1, /* [0] task slot, [1] UTCB address in that task, [2] pager slot, [3] exception slot */
    THREAD_EX_REGS,       /* [0] rip, [1] rsp, [2] EX_REGS_* flags -> [0] old rip, [1] old rsp */
    THREAD_SET_HANDLERS,  /* [0] pager slot, [1] exception handler slot (in the thread's task) */
    THREAD_INFO,          /* -> [0] enum thread_state, [1] ticks run, [2] priority */
};

#define EX_REGS_CANCEL_IPC 0x1u /* abort an IPC the thread is blocked in (it sees ERROR_CANCELED) */

enum thread_state {
    THREAD_INACTIVE = 1, /* created, not yet started by the scheduler */
    THREAD_READY,
    THREAD_RUNNING,
    THREAD_SENDING,   /* blocked until the receiver is ready */
    THREAD_RECEIVING, /* blocked waiting for a message */
    THREAD_DEAD,      /* killed by an unhandled fault; waits to be deleted */
};

enum scheduler_operation {
    SCHEDULER_RUN = 1, /* [0] thread slot, [1] priority (0..255, higher runs first), [2] time slice in ticks */
    SCHEDULER_INFO,    /* -> [0] ticks since boot, [1] ticks spent idle, [2] ticks per second,
                          [3] Unix seconds (UTC) at tick 0, from the real-time clock at boot; 0: unknown */
};

enum factory_operation {
    FACTORY_CREATE = 1, /* [0] object type, [1] destination slot, [2..] type-specific, see below */
    FACTORY_INFO,       /* -> [0] quota in bytes, [1] bytes in use */
};
/*
 * FACTORY_CREATE arguments from [2]:
 *   task:    [2] capability slots (a power of two, 16..65536)
 *   thread:  none
 *   gate:    [2] slot of the thread to bind to, [3] label the receiver sees
 *   irq:     none (a software Irq)
 *   factory: [2] quota in bytes, taken from this factory's quota
 *   vm:      [2] number of virtual CPUs (1..VM_MAX_VCPUS)
 */

enum irq_operation {
    IRQ_BIND = 1,    /* [0] thread slot, [1] label: the Irq arrives as a message with that label */
    IRQ_TRIGGER,     /* raise it (software Irq) */
    IRQ_ACKNOWLEDGE, /* ready for the next one; triggers meanwhile are kept as one pending */
};

enum icu_operation {
    ICU_BIND_LINE = 1, /* [0] Irq slot, [1] line, [2] ICU_LINE_* flags: the line raises that Irq */
    ICU_INFO,          /* -> [0] number of hardware interrupt lines (0: no interrupt controller),
                          [1] message-signalled interrupt vectors in all, [2] of those still free */
    ICU_BIND_MSI,      /* [0] Irq slot: binds it to a fresh message-signalled interrupt vector
                          -> [0] address, [1] data: a device that writes data (32 bits) to address raises the Irq */
    ICU_UNBIND,        /* [0] Irq slot: releases its line or MSI vector (ERROR_NOT_FOUND: bound to neither) */
};

#define ICU_LINE_ISA 0x1u /* [1] is an ISA IRQ number, translated through the firmware's overrides */

enum io_ports_operation {
    IO_PORTS_GRANT = 1, /* [0] task slot, [1] first port, [2] count: the task may use these ports */
    IO_PORTS_REVOKE,    /* [0] task slot, [1] first port, [2] count */
};

enum memory_operation {
    MEMORY_ALLOCATE = 1, /* [0] ITEM_MEMORY in the caller: fresh zeroed frames mapped there */
    MEMORY_INFO,         /* -> [0] free bytes, [1] total bytes */
};

/*
 * Device memory: device registers (PCI BARs, chipset MMIO) mapped uncached into the caller, as
 * root mappings of the mapping database. From there TASK_MAP and map items pass them on (rights
 * reduced, never executable) and TASK_UNMAP revokes them, exactly as memory. A physical range has
 * one root mapping at a time: mapped again only once every page of it has been unmapped.
 */
enum device_memory_operation {
    DEVICE_MEMORY_MAP = 1,  /* [0] ITEM_MEMORY(page, order, MEMORY_READ [| MEMORY_WRITE], 0) in the caller,
                               [1] physical address, aligned to 2^order pages: maps those device registers there */
    DEVICE_MEMORY_INFO,     /* -> [0] physical address bits of the machine, [1] ranges mapped now, [2] pages in them */
    DEVICE_MEMORY_PCI_ECAM, /* [0] index -> PCI Express configuration space (ECAM) as the firmware's ACPI MCFG
                               describes it: [0] physical address of bus 0's space (bus b at + b << 20), [1] PCI
                               segment group, [2] first bus, [3] last bus; ERROR_NOT_FOUND past the last */
};

/*
 * DMA memory: physically contiguous, zeroed RAM frames for a driver to hand its device (there is no
 * IOMMU: the holder learns physical addresses). The frames are root mappings of the mapping database,
 * mapped on and revoked like memory, never executable; they are charged (FRAME_SIZE a page, with the
 * mapping records and page tables) to the caller's factory and go back when the last mapping of every
 * page of the block is gone.
 */
enum dma_memory_operation {
    DMA_MEMORY_ALLOCATE = 1, /* [0] ITEM_MEMORY(page, order, MEMORY_READ [| MEMORY_WRITE], 0) in the caller,
                                order <= DMA_MEMORY_MAX_ORDER -> [0] physical address of the first frame
                                (the block is aligned to its size) */
    DMA_MEMORY_INFO,         /* [0] address in the caller -> [0] physical address of that byte if DMA memory
                                is mapped there (0: none), [1] blocks allocated now, [2] pages in them */
};

#define DMA_MEMORY_MAX_ORDER 9 /* 2 MiB at once */

enum console_operation {
    CONSOLE_WRITE = 1, /* [0] byte count, [1..] the bytes */
};

enum vm_operation {
    VM_MAP = 1,     /* [0] memory item in the caller, [1] guest-physical destination (page-aligned) */
    VM_UNMAP,       /* [0] ITEM_MEMORY(guest page, order, 0, 0): removes guest memory */
    VM_VCPU_CREATE, /* [0] vCPU index, [1] address in the caller for its state page (struct vcpu_state) */
    VM_RUN,         /* [0] vCPU index: runs the guest until an exit needs the VMM; see state->exit */
    VM_INFO,        /* -> [0] vCPUs, [1] guest-physical bytes mapped, [2] 1 if the hardware supports VMs */
    VM_KICK,        /* [0] vCPU index: its VM_RUN returns with VCPU_EXIT_KICKED as soon as it can */
};

#define VM_MAX_VCPUS 16
#define VM_GUEST_PHYSICAL_LIMIT 0x0000010000000000ull /* 1 TiB of guest-physical space */

/* --- page faults and exceptions, as the kernel sends them to a thread's handlers ------------ */

#define LABEL_PAGE_FAULT 0xfff1ull /* [0] address, [1] PAGE_FAULT_* bits, [2] rip; reply with a map item */
#define LABEL_EXCEPTION 0xfff2ull  /* [0] vector, [1] error code, [2] rip, [3] rsp, [4] address (CR2) */
#define PAGE_FAULT_WRITE 0x2u
#define PAGE_FAULT_EXECUTE 0x10u
/* A handler's reply with label EXCEPTION_RESUME resumes the thread; anything else leaves it dead. */
#define EXCEPTION_RESUME 1

/* --- the root task's start-up state ----------------------------------------------------------- */

enum root_capability {
    ROOT_TASK = 1,
    ROOT_THREAD,
    ROOT_FACTORY,
    ROOT_SCHEDULER,
    ROOT_MEMORY,
    ROOT_CONSOLE,
    ROOT_ICU,
    ROOT_IO_PORTS,
    ROOT_DEVICE_MEMORY,
    ROOT_DMA_MEMORY,
    ROOT_FIRST_FREE_SLOT,
};

#define ROOT_CAPABILITY_SLOTS 4096
#define ROOT_BOOT_INFO_ADDRESS 0x00003ffffff00000ull /* struct root_boot_info, read-only; %rdi at entry */
#define ROOT_BOOT_MODULES_ADDRESS 0x0000400000000000ull
#define ROOT_UTCB_ADDRESS 0x00007fff00000000ull
#define ROOT_STACK_TOP 0x00007ffe00000000ull
#define ROOT_STACK_SIZE 0x10000ull

#define ROOT_BOOT_INFO_MAGIC 0x4b617073656c3031ull /* "Kapsel01" */
#define ROOT_MAX_MODULES 32

struct root_boot_module {
    uint64_t address; /* where the module is mapped in the root task, read-only */
    uint64_t size;
    char name[48];
};

struct root_boot_info {
    uint64_t magic;
    uint64_t module_count;
    struct root_boot_module modules[ROOT_MAX_MODULES];
    char command_line[256];
};

#endif
