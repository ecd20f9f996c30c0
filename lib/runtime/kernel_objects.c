/*
 * One function per kernel-object operation (kapsel/abi.h): arguments go into
 * the caller's message registers, and the kernel answers in the same
 * registers before the system call returns.
 */
#include <kapsel/syscall.h>
#include <string.h>

/* Kernel objects answer at once, so the timeouts never come into play. */
static enum error operate(uint64_t capability, uint64_t operation, unsigned words)
{
    return ipc_call(capability, MESSAGE_TAG(operation, words, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)).error;
}

static enum error operate1(uint64_t capability, uint64_t operation, uint64_t a)
{
    utcb()->message[0] = a;
    return operate(capability, operation, 1);
}

static enum error operate2(uint64_t capability, uint64_t operation, uint64_t a, uint64_t b)
{
    uint64_t *message = utcb()->message;
    message[0] = a;
    message[1] = b;
    return operate(capability, operation, 2);
}

static enum error operate3(uint64_t capability, uint64_t operation, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t *message = utcb()->message;
    message[0] = a;
    message[1] = b;
    message[2] = c;
    return operate(capability, operation, 3);
}

static enum error operate4(uint64_t capability, uint64_t operation, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t *message = utcb()->message;
    message[0] = a;
    message[1] = b;
    message[2] = c;
    message[3] = d;
    return operate(capability, operation, 4);
}

/* For queries: the first two reply words, when the operation succeeded. */
static enum error reply_words(enum error error, uint64_t *first, uint64_t *second)
{
    if (error == ERROR_NONE) {
        *first = utcb()->message[0];
        *second = utcb()->message[1];
    }
    return error;
}

enum error factory_create_task(uint64_t factory, uint64_t dest_slot, uint64_t capability_slots)
{
    return operate3(factory, FACTORY_CREATE, OBJECT_TASK, dest_slot, capability_slots);
}

enum error factory_create_thread(uint64_t factory, uint64_t dest_slot)
{
    return operate2(factory, FACTORY_CREATE, OBJECT_THREAD, dest_slot);
}

enum error factory_create_gate(uint64_t factory, uint64_t dest_slot, uint64_t thread_slot, uint64_t label)
{
    return operate4(factory, FACTORY_CREATE, OBJECT_IPC_GATE, dest_slot, thread_slot, label);
}

enum error factory_create_irq(uint64_t factory, uint64_t dest_slot)
{
    return operate2(factory, FACTORY_CREATE, OBJECT_IRQ, dest_slot);
}

enum error factory_create_factory(uint64_t factory, uint64_t dest_slot, uint64_t quota)
{
    return operate3(factory, FACTORY_CREATE, OBJECT_FACTORY, dest_slot, quota);
}

enum error factory_create_vm(uint64_t factory, uint64_t dest_slot, uint64_t vcpus)
{
    return operate3(factory, FACTORY_CREATE, OBJECT_VM, dest_slot, vcpus);
}

enum error factory_info(uint64_t factory, uint64_t *quota, uint64_t *used)
{
    return reply_words(operate(factory, FACTORY_INFO, 0), quota, used);
}

enum error task_map(uint64_t task, uint64_t item, uint64_t dest_address)
{
    return operate2(task, TASK_MAP, item, dest_address);
}

enum error task_unmap(uint64_t task, uint64_t item, unsigned flags)
{
    return operate2(task, TASK_UNMAP, item, flags);
}

enum error task_map_capability(uint64_t task, uint64_t item, uint64_t dest_slot)
{
    return operate2(task, TASK_MAP_CAPABILITY, item, dest_slot);
}

enum error task_unmap_capability(uint64_t task, uint64_t slot, unsigned flags)
{
    return operate2(task, TASK_UNMAP_CAPABILITY, slot, flags);
}

enum error task_delete_object(uint64_t task, uint64_t slot)
{
    return operate1(task, TASK_DELETE_OBJECT, slot);
}

enum error task_capability_info(uint64_t task, uint64_t slot, enum object_type *type, unsigned *rights)
{
    uint64_t type_word;
    uint64_t rights_word;
    enum error error = reply_words(operate1(task, TASK_CAPABILITY_INFO, slot), &type_word, &rights_word);
    if (error == ERROR_NONE) {
        *type = (enum object_type)type_word;
        *rights = (unsigned)rights_word;
    }
    return error;
}

enum error task_memory_info(uint64_t task, uint64_t address, bool *mapped, unsigned *rights)
{
    uint64_t mapped_word;
    uint64_t rights_word;
    enum error error = reply_words(operate1(task, TASK_MEMORY_INFO, address), &mapped_word, &rights_word);
    if (error == ERROR_NONE) {
        *mapped = mapped_word != 0;
        *rights = (unsigned)rights_word;
    }
    return error;
}

enum error task_memory_is_device(uint64_t task, uint64_t address, bool *device)
{
    enum error error = operate1(task, TASK_MEMORY_INFO, address);
    if (error == ERROR_NONE) {
        *device = utcb()->message[2] != 0;
    }
    return error;
}

enum error thread_configure(uint64_t thread, uint64_t task_slot, uint64_t utcb_address, uint64_t pager_slot,
                            uint64_t exception_slot)
{
    return operate4(thread, THREAD_CONFIGURE, task_slot, utcb_address, pager_slot, exception_slot);
}

enum error thread_ex_regs(uint64_t thread, uint64_t rip, uint64_t rsp, unsigned flags)
{
    return operate3(thread, THREAD_EX_REGS, rip, rsp, flags);
}

enum error thread_set_handlers(uint64_t thread, uint64_t pager_slot, uint64_t exception_slot)
{
    return operate2(thread, THREAD_SET_HANDLERS, pager_slot, exception_slot);
}

enum error thread_info(uint64_t thread, enum thread_state *state, uint64_t *ticks_run, unsigned *priority)
{
    enum error error = operate(thread, THREAD_INFO, 0);
    if (error == ERROR_NONE) {
        const uint64_t *message = utcb()->message;
        *state = (enum thread_state)message[0];
        *ticks_run = message[1];
        *priority = (unsigned)message[2];
    }
    return error;
}

enum error scheduler_run(uint64_t scheduler, uint64_t thread_slot, unsigned priority, unsigned slice_ticks)
{
    return operate3(scheduler, SCHEDULER_RUN, thread_slot, priority, slice_ticks);
}

enum error scheduler_info(uint64_t scheduler, uint64_t *ticks, uint64_t *idle_ticks, uint64_t *ticks_per_second)
{
    enum error error = reply_words(operate(scheduler, SCHEDULER_INFO, 0), ticks, idle_ticks);
    if (error == ERROR_NONE) {
        *ticks_per_second = utcb()->message[2];
    }
    return error;
}

enum error scheduler_wall_clock(uint64_t scheduler, uint64_t *boot_seconds)
{
    enum error error = operate(scheduler, SCHEDULER_INFO, 0);
    if (error == ERROR_NONE) {
        *boot_seconds = utcb()->message[3];
    }
    return error;
}

enum error irq_bind(uint64_t irq, uint64_t thread_slot, uint64_t label)
{
    return operate2(irq, IRQ_BIND, thread_slot, label);
}

enum error irq_trigger(uint64_t irq)
{
    return operate(irq, IRQ_TRIGGER, 0);
}

enum error irq_acknowledge(uint64_t irq)
{
    return operate(irq, IRQ_ACKNOWLEDGE, 0);
}

enum error icu_bind_line(uint64_t icu, uint64_t irq, uint64_t line, unsigned flags)
{
    return operate3(icu, ICU_BIND_LINE, irq, line, flags);
}

enum error icu_info(uint64_t icu, uint64_t *lines)
{
    enum error error = operate(icu, ICU_INFO, 0);
    if (error == ERROR_NONE) {
        *lines = utcb()->message[0];
    }
    return error;
}

enum error icu_bind_msi(uint64_t icu, uint64_t irq, uint64_t *address, uint32_t *data)
{
    enum error error = operate1(icu, ICU_BIND_MSI, irq);
    if (error == ERROR_NONE) {
        *address = utcb()->message[0];
        *data = (uint32_t)utcb()->message[1];
    }
    return error;
}

enum error icu_unbind(uint64_t icu, uint64_t irq)
{
    return operate1(icu, ICU_UNBIND, irq);
}

enum error icu_msi_info(uint64_t icu, uint64_t *total, uint64_t *available)
{
    enum error error = operate(icu, ICU_INFO, 0);
    if (error == ERROR_NONE) {
        *total = utcb()->message[1];
        *available = utcb()->message[2];
    }
    return error;
}

enum error io_ports_grant(uint64_t io_ports, uint64_t task, uint64_t first, uint64_t count)
{
    return operate3(io_ports, IO_PORTS_GRANT, task, first, count);
}

enum error io_ports_revoke(uint64_t io_ports, uint64_t task, uint64_t first, uint64_t count)
{
    return operate3(io_ports, IO_PORTS_REVOKE, task, first, count);
}

enum error vm_map(uint64_t vm, uint64_t item, uint64_t guest_physical)
{
    return operate2(vm, VM_MAP, item, guest_physical);
}

enum error vm_unmap(uint64_t vm, uint64_t item)
{
    return operate1(vm, VM_UNMAP, item);
}

enum error vm_vcpu_create(uint64_t vm, uint64_t index, uint64_t state_address)
{
    return operate2(vm, VM_VCPU_CREATE, index, state_address);
}

enum error vm_run(uint64_t vm, uint64_t index)
{
    return operate1(vm, VM_RUN, index);
}

enum error vm_kick(uint64_t vm, uint64_t index)
{
    return operate1(vm, VM_KICK, index);
}

enum error vm_info(uint64_t vm, uint64_t *vcpus, uint64_t *guest_bytes, bool *supported)
{
    enum error error = reply_words(operate(vm, VM_INFO, 0), vcpus, guest_bytes);
    if (error == ERROR_NONE) {
        *supported = utcb()->message[2] != 0;
    }
    return error;
}

enum error memory_allocate(uint64_t memory, uint64_t item)
{
    return operate1(memory, MEMORY_ALLOCATE, item);
}

enum error memory_info(uint64_t memory, uint64_t *free_bytes, uint64_t *total_bytes)
{
    return reply_words(operate(memory, MEMORY_INFO, 0), free_bytes, total_bytes);
}

enum error device_memory_map(uint64_t device_memory, uint64_t item, uint64_t phys)
{
    return operate2(device_memory, DEVICE_MEMORY_MAP, item, phys);
}

enum error device_memory_info(uint64_t device_memory, unsigned *address_bits, uint64_t *ranges, uint64_t *pages)
{
    enum error error = operate(device_memory, DEVICE_MEMORY_INFO, 0);
    if (error == ERROR_NONE) {
        *address_bits = (unsigned)utcb()->message[0];
        *ranges = utcb()->message[1];
        *pages = utcb()->message[2];
    }
    return error;
}

enum error device_memory_pci_ecam(uint64_t device_memory, unsigned index, struct pci_ecam_region *region)
{
    enum error error = operate1(device_memory, DEVICE_MEMORY_PCI_ECAM, index);
    if (error == ERROR_NONE) {
        region->base = utcb()->message[0];
        region->segment = (uint16_t)utcb()->message[1];
        region->first_bus = (uint8_t)utcb()->message[2];
        region->last_bus = (uint8_t)utcb()->message[3];
    }
    return error;
}

enum error dma_memory_allocate(uint64_t dma_memory, uint64_t item, uint64_t *phys)
{
    enum error error = operate1(dma_memory, DMA_MEMORY_ALLOCATE, item);
    if (error == ERROR_NONE) {
        *phys = utcb()->message[0];
    }
    return error;
}

enum error dma_memory_info(uint64_t dma_memory, uint64_t address, uint64_t *phys, uint64_t *blocks, uint64_t *pages)
{
    enum error error = operate1(dma_memory, DMA_MEMORY_INFO, address);
    if (error == ERROR_NONE) {
        *phys = utcb()->message[0];
        *blocks = utcb()->message[1];
        *pages = utcb()->message[2];
    }
    return error;
}

enum error console_write(uint64_t console, const char *bytes, size_t length)
{
    if (length > CONSOLE_WRITE_MAX_BYTES) {
        return ERROR_MESSAGE_TOO_LONG;
    }
    uint64_t *message = utcb()->message;
    message[0] = length;
    memcpy(&message[1], bytes, length);
    return operate(console, CONSOLE_WRITE, 1 + (unsigned)((length + sizeof(uint64_t) - 1) / sizeof(uint64_t)));
}
