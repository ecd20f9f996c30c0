/*
 * User side of the system-call ABI (kapsel/abi.h): the one `syscall`
 * instruction, IPC helpers, the UTCB, and one function per kernel-object
 * operation. Object operations put their arguments into the calling thread's
 * message registers, invoke the capability, and read any results back from
 * them; they return the kernel's error code (ERROR_NONE on success).
 *
 * Capabilities are slot numbers in the calling task's capability table.
 */
#ifndef KAPSEL_SYSCALL_H
#define KAPSEL_SYSCALL_H

#include <kapsel/abi.h>
#include <kapsel/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest CONSOLE_WRITE: message[0] holds the count, the bytes fill the other registers. */
#define CONSOLE_WRITE_MAX_BYTES ((MESSAGE_REGISTERS - 1) * sizeof(uint64_t))

struct invoke_result {
    enum error error;
    uint64_t tag;   /* of the message received (for a kernel object: its reply, MESSAGE_TAG(0, words, 0)) */
    uint64_t label; /* of the gate or Irq the message came through */
};

/* The system call: selector = SELECTOR(capability, IPC_* flags), tag = MESSAGE_TAG(), timeouts = TIMEOUTS(). */
static inline struct invoke_result invoke(uint64_t selector, uint64_t tag, uint64_t timeouts)
{
    uint64_t error;
    /* The kernel returns the tag in %rsi and the label in %rdi, and clobbers %rcx and %r11 (sysret). */
    __asm__ volatile("syscall" : "=a"(error), "+D"(selector), "+S"(tag) : "d"(timeouts) : "rcx", "r11", "memory");
    return (struct invoke_result){(enum error)error, tag, selector};
}

/* --- the UTCB ------------------------------------------------------------------------------- */

/* The calling thread's UTCB: the kernel runs every thread with %fs at its UTCB, whose self word holds its address. */
static inline struct utcb *utcb(void)
{
    struct utcb *self;
    /* Not volatile: the answer never changes within a thread, so the compiler may reuse it. */
    __asm__("movq %%fs:%c1, %0" : "=r"(self) : "i"(UTCB_SELF_OFFSET));
    return self;
}

/* --- IPC ------------------------------------------------------------------------------------ */

/* Sends to capability (a gate, or a kernel object) and waits for the reply. */
struct invoke_result ipc_call(uint64_t capability, uint64_t tag, uint64_t timeouts);

/* Sends to capability without waiting for an answer. */
struct invoke_result ipc_send(uint64_t capability, uint64_t tag, uint64_t timeouts);

/* Waits for a message through any gate or Irq bound to this thread (only the receive timeout counts). */
struct invoke_result ipc_wait(uint64_t timeouts);

/* Replies to the last caller, then waits as ipc_wait() does; the usual loop of a server. */
struct invoke_result ipc_reply_and_wait(uint64_t tag, uint64_t timeouts);

/* Waits for a message through one gate or Irq (bound to this thread), ignoring the others. */
struct invoke_result ipc_receive(uint64_t gate_capability, uint64_t timeouts);

/* Replies to the last caller without waiting; fails with ERROR_NO_CALLER if none waits. */
struct invoke_result ipc_reply(uint64_t tag);

/* --- Factory -------------------------------------------------------------------------------- */

/* Each creates an object into the empty slot dest_slot of the caller, with all rights. */
enum error factory_create_task(uint64_t factory, uint64_t dest_slot, uint64_t capability_slots);
enum error factory_create_thread(uint64_t factory, uint64_t dest_slot);
/* A gate whose messages go to the thread in thread_slot, which sees them with this label. */
enum error factory_create_gate(uint64_t factory, uint64_t dest_slot, uint64_t thread_slot, uint64_t label);
/* A software Irq (IRQ_TRIGGER raises it). */
enum error factory_create_irq(uint64_t factory, uint64_t dest_slot);
/* A child factory with quota bytes taken from this factory's quota. */
enum error factory_create_factory(uint64_t factory, uint64_t dest_slot, uint64_t quota);
/* A Vm with vcpus virtual CPUs (1..VM_MAX_VCPUS); its vCPUs and guest page tables are charged to this factory. */
enum error factory_create_vm(uint64_t factory, uint64_t dest_slot, uint64_t vcpus);
enum error factory_info(uint64_t factory, uint64_t *quota, uint64_t *used);

/* --- Task ----------------------------------------------------------------------------------- */

/* Maps the caller's memory named by item (ITEM_MEMORY) into the task at dest_address. */
enum error task_map(uint64_t task, uint64_t item, uint64_t dest_address);
/* Revokes the task's memory named by item from every task it was mapped on to (UNMAP_SELF: from the task too). */
enum error task_unmap(uint64_t task, uint64_t item, unsigned flags);
/* Copies the caller's capabilities named by item (ITEM_CAPABILITY) into the task from dest_slot on. */
enum error task_map_capability(uint64_t task, uint64_t item, uint64_t dest_slot);
/* Revokes the copies derived from the task's capability in slot (UNMAP_SELF: that capability too). */
enum error task_unmap_capability(uint64_t task, uint64_t slot, unsigned flags);
/* Destroys the object the task's capability in slot names (it needs RIGHT_DELETE). */
enum error task_delete_object(uint64_t task, uint64_t slot);
/* What the task's slot holds: OBJECT_NONE if empty. */
enum error task_capability_info(uint64_t task, uint64_t slot, enum object_type *type, unsigned *rights);
/* Whether address is mapped in the task, and with which MEMORY_* rights. */
enum error task_memory_info(uint64_t task, uint64_t address, bool *mapped, unsigned *rights);
/* Whether address in the task is device memory, mapped uncached (false if nothing is mapped there). */
enum error task_memory_is_device(uint64_t task, uint64_t address, bool *device);

/* --- Thread --------------------------------------------------------------------------------- */

/* Binds a new thread to the task in task_slot, with its UTCB page at utcb_address in that task. */
enum error thread_configure(uint64_t thread, uint64_t task_slot, uint64_t utcb_address, uint64_t pager_slot,
                            uint64_t exception_slot);
/* Sets rip and rsp (EX_REGS_CANCEL_IPC: and aborts its IPC); the old ones are left in message[0] and [1]. */
enum error thread_ex_regs(uint64_t thread, uint64_t rip, uint64_t rsp, unsigned flags);
/* Slots, in the thread's task, of the gates its page faults and exceptions go to. */
enum error thread_set_handlers(uint64_t thread, uint64_t pager_slot, uint64_t exception_slot);
enum error thread_info(uint64_t thread, enum thread_state *state, uint64_t *ticks_run, unsigned *priority);

/* --- Scheduler ------------------------------------------------------------------------------ */

/* Starts (or re-prioritises) a configured thread: priority 0..255, higher first; slice 1..1000 ticks. */
enum error scheduler_run(uint64_t scheduler, uint64_t thread_slot, unsigned priority, unsigned slice_ticks);
enum error scheduler_info(uint64_t scheduler, uint64_t *ticks, uint64_t *idle_ticks, uint64_t *ticks_per_second);
/* Unix seconds (UTC) at tick 0, from the real-time clock the kernel read at boot; 0: the kernel knows no date. */
enum error scheduler_wall_clock(uint64_t scheduler, uint64_t *boot_seconds);

/* --- Irq ------------------------------------------------------------------------------------ */

/* The Irq arrives at the thread in thread_slot as a message with this label. */
enum error irq_bind(uint64_t irq, uint64_t thread_slot, uint64_t label);
enum error irq_trigger(uint64_t irq);
/* Ready for the next one; raises in the meantime were kept as one pending. */
enum error irq_acknowledge(uint64_t irq);

/* Ties irq to a hardware interrupt line (flags ICU_LINE_ISA: line is an ISA IRQ number). */
enum error icu_bind_line(uint64_t icu, uint64_t irq, uint64_t line, unsigned flags);
/* The number of hardware interrupt lines (0: no interrupt controller). */
enum error icu_info(uint64_t icu, uint64_t *lines);
/*
 * Ties irq to a fresh message-signalled interrupt vector: program the device's MSI capability or
 * MSI-X table entry with *address and *data. ERROR_BUSY if irq is bound already, ERROR_TOO_MANY if
 * no vector is free.
 */
enum error icu_bind_msi(uint64_t icu, uint64_t irq, uint64_t *address, uint32_t *data);
/* Releases irq's line or MSI vector (ERROR_NOT_FOUND if it has neither). */
enum error icu_unbind(uint64_t icu, uint64_t irq);
/* Message-signalled interrupt vectors: how many in all, and how many are free. */
enum error icu_msi_info(uint64_t icu, uint64_t *total, uint64_t *available);

/* Lets task use ports [first, first + count) (x86 I/O port space capability). */
enum error io_ports_grant(uint64_t io_ports, uint64_t task, uint64_t first, uint64_t count);
enum error io_ports_revoke(uint64_t io_ports, uint64_t task, uint64_t first, uint64_t count);

/* --- Device memory (a bus driver's: registers that are not RAM) ------------------------------- */

/*
 * Maps the device registers at physical address phys uncached at the caller's region named by item
 * (ITEM_MEMORY(page, order, MEMORY_READ [| MEMORY_WRITE], 0): 2^order pages, phys aligned to their
 * size), as the root of their mappings: task_map and map items pass them on, task_unmap revokes them.
 * ERROR_NOT_DEVICE_MEMORY if part of the range is RAM or registers the kernel keeps (its interrupt
 * controllers), ERROR_BUSY if part of it is mapped this way already, ERROR_OUT_OF_RANGE if it lies
 * beyond the physical address width, ERROR_SLOT_OCCUPIED if a destination page is in use.
 */
enum error device_memory_map(uint64_t device_memory, uint64_t item, uint64_t phys);
/* The machine's physical address bits, and how many ranges device_memory_map has mapped now, of how many pages. */
enum error device_memory_info(uint64_t device_memory, unsigned *address_bits, uint64_t *ranges, uint64_t *pages);

/* PCI Express configuration space as the firmware's ACPI MCFG describes one segment's buses: bus b at base + b << 20.
 */
struct pci_ecam_region {
    uint64_t base;
    uint16_t segment;
    uint8_t first_bus;
    uint8_t last_bus;
};
/* The index-th ECAM region the firmware describes; ERROR_NOT_FOUND past the last (none without an MCFG). */
enum error device_memory_pci_ecam(uint64_t device_memory, unsigned index, struct pci_ecam_region *region);
/* 2^order contiguous zeroed RAM frames mapped at item (ITEM_MEMORY(page, order, READ [| WRITE], 0)); *phys: the first.
 */
enum error dma_memory_allocate(uint64_t dma_memory, uint64_t item, uint64_t *phys);
/* The physical address of address in the caller if DMA memory is mapped there (0: none), and the blocks and pages
 * allocated now. */
enum error dma_memory_info(uint64_t dma_memory, uint64_t address, uint64_t *phys, uint64_t *blocks, uint64_t *pages);

/* --- Vm ------------------------------------------------------------------------------------ */

/* Maps the caller's memory named by item (ITEM_MEMORY) into the guest at guest_physical (aligned to the item). */
enum error vm_map(uint64_t vm, uint64_t item, uint64_t guest_physical);
/* Removes guest memory: item is ITEM_MEMORY(guest page, order, 0, 0). */
enum error vm_unmap(uint64_t vm, uint64_t item);
/* Creates vCPU index; the kernel maps its struct vcpu_state (kapsel/vcpu_state.h) at state_address in the caller. */
enum error vm_vcpu_create(uint64_t vm, uint64_t index, uint64_t state_address);
/* Runs vCPU index until an exit needs the VMM; the exit and the guest's registers are in its state page. */
enum error vm_run(uint64_t vm, uint64_t index);
/* Makes vCPU index's VM_RUN return (VCPU_EXIT_KICKED) as soon as it can: from another VMM thread. */
enum error vm_kick(uint64_t vm, uint64_t index);
/* The Vm's vCPU count, guest-physical bytes mapped, and whether this machine can run VMs at all. */
enum error vm_info(uint64_t vm, uint64_t *vcpus, uint64_t *guest_bytes, bool *supported);

/* --- Memory and console (the root task's) ---------------------------------------------------- */

/* Maps fresh zeroed frames at the caller's region named by item (ITEM_MEMORY with the wanted rights). */
enum error memory_allocate(uint64_t memory, uint64_t item);
enum error memory_info(uint64_t memory, uint64_t *free_bytes, uint64_t *total_bytes);
/* Writes at most CONSOLE_WRITE_MAX_BYTES to the kernel console (more: ERROR_MESSAGE_TOO_LONG). */
enum error console_write(uint64_t console, const char *bytes, size_t length);

#endif
