#include "io_apic.h"

#define REGISTER_SELECT 0x00u
#define REGISTER_WINDOW 0x10u
#define REGISTER_END_OF_INTERRUPT 0x40u

#define INDEX_ID 0x00u
#define INDEX_VERSION 0x01u
#define INDEX_ARBITRATION 0x02u
#define INDEX_REDIRECTION_FIRST 0x10u

/* Version 0x20, maximum redirection entry 23. */
#define VERSION_VALUE (0x20u | (IO_APIC_PINS - 1u) << 16)

#define ENTRY_VECTOR 0xffull
#define ENTRY_DELIVERY_MODE (7ull << 8)
#define ENTRY_DELIVERY_FIXED (0ull << 8)
#define ENTRY_DELIVERY_LOWEST_PRIORITY (1ull << 8)
#define ENTRY_DESTINATION_LOGICAL (1ull << 11)
#define ENTRY_REMOTE_IRR (1ull << 14)
#define ENTRY_LEVEL_TRIGGER (1ull << 15)
#define ENTRY_MASKED (1ull << 16)
#define ENTRY_DESTINATION_SHIFT 56
/* Vector, delivery and destination modes, polarity, trigger mode, mask, destination; the status bits are ours. */
#define ENTRY_WRITABLE (0xff000000000000ffull | 0x1af00ull)

#define BROADCAST_ID 0xffu

static bool reaches_local_apic(const struct io_apic *io_apic, uint64_t entry)
{
    uint8_t destination = (uint8_t)(entry >> ENTRY_DESTINATION_SHIFT);
    const struct local_apic *apic = io_apic->local_apic;
    if (entry & ENTRY_DESTINATION_LOGICAL) {
        return (destination & (apic->logical_destination >> 24)) != 0;
    }
    return destination == apic->id || destination == BROADCAST_ID;
}

static void deliver(struct io_apic *io_apic, unsigned pin)
{
    uint64_t *entry = &io_apic->redirection[pin];
    uint64_t mode = *entry & ENTRY_DELIVERY_MODE;
    if ((*entry & ENTRY_MASKED) || (mode != ENTRY_DELIVERY_FIXED && mode != ENTRY_DELIVERY_LOWEST_PRIORITY) ||
        !reaches_local_apic(io_apic, *entry)) {
        return; /* NMI, SMI, INIT and ExtINT routings are not used with one vCPU and a PIC on LINT0 */
    }
    bool level = (*entry & ENTRY_LEVEL_TRIGGER) != 0;
    if (level && (*entry & ENTRY_REMOTE_IRR)) {
        io_apic->asserted_in_service |= 1u << pin;
        return;
    }
    if (level) {
        *entry |= ENTRY_REMOTE_IRR;
    }
    local_apic_accept(io_apic->local_apic, (uint8_t)(*entry & ENTRY_VECTOR), level);
}

void io_apic_pulse(struct io_apic *io_apic, unsigned pin)
{
    if (pin < IO_APIC_PINS) {
        deliver(io_apic, pin);
    }
}

/* The local APIC ended a level-triggered vector: clear remote IRR of the inputs using it, deliver what came since. */
static void end_of_interrupt(struct io_apic *io_apic, uint8_t vector)
{
    for (unsigned pin = 0; pin < IO_APIC_PINS; pin++) {
        uint64_t *entry = &io_apic->redirection[pin];
        if ((*entry & ENTRY_VECTOR) != vector || !(*entry & ENTRY_REMOTE_IRR)) {
            continue;
        }
        *entry &= ~ENTRY_REMOTE_IRR;
        if (io_apic->asserted_in_service & (1u << pin)) {
            io_apic->asserted_in_service &= ~(1u << pin);
            deliver(io_apic, pin);
        }
    }
}

static void local_apic_end_of_interrupt(void *context, uint8_t vector)
{
    end_of_interrupt(context, vector);
}

void io_apic_init(struct io_apic *io_apic, uint8_t id, struct local_apic *local_apic)
{
    *io_apic = (struct io_apic){.id = id, .local_apic = local_apic};
    for (unsigned pin = 0; pin < IO_APIC_PINS; pin++) {
        io_apic->redirection[pin] = ENTRY_MASKED;
    }
    local_apic->level_end_of_interrupt = local_apic_end_of_interrupt;
    local_apic->end_of_interrupt_context = io_apic;
}

static uint32_t indirect_read(const struct io_apic *io_apic)
{
    uint32_t index = io_apic->select;
    if (index == INDEX_ID || index == INDEX_ARBITRATION) {
        return (uint32_t)io_apic->id << 24;
    }
    if (index == INDEX_VERSION) {
        return VERSION_VALUE;
    }
    if (index >= INDEX_REDIRECTION_FIRST && index < INDEX_REDIRECTION_FIRST + 2 * IO_APIC_PINS) {
        uint64_t entry = io_apic->redirection[(index - INDEX_REDIRECTION_FIRST) / 2];
        return (uint32_t)(index % 2 ? entry >> 32 : entry);
    }
    return 0; /* unimplemented indices read as 0 */
}

static void indirect_write(struct io_apic *io_apic, uint32_t value)
{
    uint32_t index = io_apic->select;
    if (index == INDEX_ID) {
        io_apic->id = (uint8_t)((value >> 24) & 0xfu);
        return;
    }
    if (index < INDEX_REDIRECTION_FIRST || index >= INDEX_REDIRECTION_FIRST + 2 * IO_APIC_PINS) {
        return; /* version, arbitration and unimplemented indices are read-only */
    }
    unsigned pin = (index - INDEX_REDIRECTION_FIRST) / 2;
    uint64_t *entry = &io_apic->redirection[pin];
    uint64_t half = index % 2 ? (uint64_t)value << 32 : value;
    uint64_t half_mask = index % 2 ? 0xffffffff00000000ull : 0xffffffffull;
    uint64_t updated = (*entry & ~(half_mask & ENTRY_WRITABLE)) | (half & ENTRY_WRITABLE);
    if (!(updated & ENTRY_LEVEL_TRIGGER)) {
        updated &= ~ENTRY_REMOTE_IRR;
    }
    bool unmasked = (*entry & ENTRY_MASKED) && !(updated & ENTRY_MASKED);
    *entry = updated;
    if (unmasked && (io_apic->asserted_in_service & (1u << pin))) {
        io_apic->asserted_in_service &= ~(1u << pin);
        deliver(io_apic, pin);
    }
}

static const char *register_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    struct io_apic *io_apic = context;
    (void)size;
    if (offset == REGISTER_SELECT) {
        *value = io_apic->select;
    } else if (offset == REGISTER_WINDOW) {
        *value = indirect_read(io_apic);
    } else {
        *value = 0; /* the EOI register is write-only; the rest of the window is reserved */
    }
    return NULL;
}

static const char *register_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct io_apic *io_apic = context;
    (void)size;
    if (offset == REGISTER_SELECT) {
        io_apic->select = (uint32_t)value & 0xffu;
    } else if (offset == REGISTER_WINDOW) {
        indirect_write(io_apic, (uint32_t)value);
    } else if (offset == REGISTER_END_OF_INTERRUPT) {
        end_of_interrupt(io_apic, (uint8_t)value);
    }
    return NULL;
}

enum error io_apic_register(struct io_apic *io_apic, struct device_registry *registry)
{
    const struct device window = {
        .name = "I/O APIC",
        .space = DEVICE_SPACE_MMIO,
        .base = IO_APIC_BASE,
        .size = IO_APIC_SIZE,
        .access_sizes = 4,
        .read = register_read,
        .write = register_write,
        .context = io_apic,
    };
    return device_registry_add(registry, &window);
}
