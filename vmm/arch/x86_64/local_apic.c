#include "local_apic.h"

/* Register offsets in the xAPIC window (Intel SDM vol. 3, table 11-1); each register is 32 bits on a 16-byte slot. */
enum {
    REGISTER_ID = 0x020,
    REGISTER_VERSION = 0x030,
    REGISTER_TASK_PRIORITY = 0x080,
    REGISTER_ARBITRATION_PRIORITY = 0x090,
    REGISTER_PROCESSOR_PRIORITY = 0x0a0,
    REGISTER_END_OF_INTERRUPT = 0x0b0,
    REGISTER_REMOTE_READ = 0x0c0,
    REGISTER_LOGICAL_DESTINATION = 0x0d0,
    REGISTER_DESTINATION_FORMAT = 0x0e0,
    REGISTER_SPURIOUS_VECTOR = 0x0f0,
    REGISTER_IN_SERVICE = 0x100,        /* 8 registers */
    REGISTER_TRIGGER_MODE = 0x180,      /* 8 registers */
    REGISTER_INTERRUPT_REQUEST = 0x200, /* 8 registers */
    REGISTER_ERROR_STATUS = 0x280,
    REGISTER_LVT_CMCI = 0x2f0,
    REGISTER_COMMAND_LOW = 0x300,
    REGISTER_COMMAND_HIGH = 0x310,
    REGISTER_LVT_FIRST = 0x320, /* timer, thermal, performance, LINT0, LINT1, error: enum local_apic_lvt order */
    REGISTER_TIMER_INITIAL_COUNT = 0x380,
    REGISTER_TIMER_CURRENT_COUNT = 0x390,
    REGISTER_TIMER_DIVIDE = 0x3e0,
};

/* Version 0x14 (an integrated APIC), LVT entries 0..5. */
#define VERSION_VALUE (0x14u | (LOCAL_APIC_LVT_COUNT - 1u) << 16)

#define BASE_MSR_BSP (1ull << 8)
#define BASE_MSR_X2APIC (1ull << 10)
#define BASE_MSR_ENABLE (1ull << 11)
#define BASE_MSR_ADDRESS_MASK 0x000ffffffffff000ull

#define SPURIOUS_SOFTWARE_ENABLE (1u << 8)
#define SPURIOUS_WRITABLE 0x13ffu /* vector, software enable, focus checking, EOI-broadcast suppression */

#define LVT_VECTOR 0xffu
#define LVT_DELIVERY_MODE (7u << 8)
#define LVT_DELIVERY_EXTINT (7u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE (3u << 17)
#define LVT_TIMER_ONE_SHOT (0u << 17)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)

/* Writable bits of each LVT entry, in enum local_apic_lvt order (delivery status and remote IRR are read-only). */
static const uint32_t lvt_writable[LOCAL_APIC_LVT_COUNT] = {
    0x000710ffu, /* timer: vector, mask, mode */
    0x000107ffu, /* thermal: vector, delivery mode, mask */
    0x000107ffu, /* performance */
    0x0001a7ffu, /* LINT0: vector, delivery mode, polarity, trigger mode, mask */
    0x0001a7ffu, /* LINT1 */
    0x000100ffu, /* error: vector, mask */
};

#define COMMAND_VECTOR 0xffu
#define COMMAND_DELIVERY_MODE (7u << 8)
#define COMMAND_DELIVERY_FIXED (0u << 8)
#define COMMAND_DESTINATION_LOGICAL (1u << 11)
#define COMMAND_LEVEL_TRIGGER (1u << 15)
#define COMMAND_SHORTHAND (3u << 18)
#define COMMAND_SHORTHAND_NONE (0u << 18)
#define COMMAND_SHORTHAND_SELF (1u << 18)
#define COMMAND_SHORTHAND_ALL (2u << 18)
#define COMMAND_WRITABLE 0x000ccfffu

#define ERROR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ERROR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define ERROR_ILLEGAL_REGISTER (1u << 7)

#define BROADCAST_ID 0xffu

static bool bit_test(const uint32_t *bits, unsigned index)
{
    return (bits[index / 32] >> (index % 32)) & 1u;
}

static void bit_set(uint32_t *bits, unsigned index, bool value)
{
    uint32_t mask = 1u << (index % 32);
    bits[index / 32] = value ? bits[index / 32] | mask : bits[index / 32] & ~mask;
}

/* The highest set bit of a 256-bit register, or -1. */
static int highest_bit(const uint32_t *bits)
{
    for (int word = 7; word >= 0; word--) {
        if (bits[word]) {
            return word * 32 + 31 - __builtin_clz(bits[word]);
        }
    }
    return -1;
}

static uint32_t processor_priority(const struct local_apic *apic)
{
    int in_service = highest_bit(apic->service);
    uint32_t service_class = in_service < 0 ? 0 : (uint32_t)in_service & 0xf0u;
    return (apic->task_priority & 0xf0u) >= service_class ? apic->task_priority & 0xffu : service_class;
}

/* The divide configuration's bits 0, 1 and 3 name a divider of 2, 4, ..., 128 or (0b1011) 1. */
static uint64_t timer_divider(const struct local_apic *apic)
{
    uint32_t code = (apic->timer_divide_config & 3u) | (apic->timer_divide_config & 8u) >> 1;
    return code == 7 ? 1 : 2ull << code;
}

static uint32_t timer_mode(const struct local_apic *apic)
{
    return apic->lvt[LOCAL_APIC_LVT_TIMER] & LVT_TIMER_MODE;
}

static void timer_start(struct local_apic *apic, uint64_t now_ns)
{
    apic->timer_period_ns =
        (uint64_t)apic->timer_initial_count * timer_divider(apic) * (1000000000ull / LOCAL_APIC_TIMER_HZ);
    apic->timer_fire_ns = apic->timer_period_ns ? now_ns + apic->timer_period_ns : 0;
}

static uint32_t timer_current_count(const struct local_apic *apic, uint64_t now_ns)
{
    if (timer_mode(apic) == LVT_TIMER_TSC_DEADLINE || !apic->timer_fire_ns || now_ns >= apic->timer_fire_ns) {
        return 0;
    }
    return (uint32_t)((apic->timer_fire_ns - now_ns) / (timer_divider(apic) * (1000000000ull / LOCAL_APIC_TIMER_HZ)));
}

void local_apic_init(struct local_apic *apic, uint8_t id, uint64_t (*clock_ns)(void *context), void *clock_context)
{
    *apic = (struct local_apic){
        .id = id,
        .base_msr = LOCAL_APIC_BASE | BASE_MSR_ENABLE | BASE_MSR_BSP,
        .destination_format = 0xffffffffu,
        .spurious_vector = 0xffu,
        .clock_ns = clock_ns,
        .clock_context = clock_context,
    };
    for (unsigned i = 0; i < LOCAL_APIC_LVT_COUNT; i++) {
        apic->lvt[i] = LVT_MASKED;
    }
    /* Firmware leaves the boot processor in virtual wire mode: the PIC's INTR through LINT0, NMI on LINT1. */
    apic->lvt[LOCAL_APIC_LVT_LINT0] = LVT_DELIVERY_EXTINT;
    apic->lvt[LOCAL_APIC_LVT_LINT1] = 4u << 8;
}

bool local_apic_enabled(const struct local_apic *apic)
{
    return (apic->base_msr & BASE_MSR_ENABLE) && (apic->spurious_vector & SPURIOUS_SOFTWARE_ENABLE);
}

void local_apic_accept(struct local_apic *apic, uint8_t vector, bool level_triggered)
{
    if (vector < 16) {
        apic->pending_error |= ERROR_RECEIVE_ILLEGAL_VECTOR;
        return;
    }
    bit_set(apic->request, vector, true);
    bit_set(apic->level_triggered, vector, level_triggered);
}

int local_apic_pending_vector(const struct local_apic *apic)
{
    if (!local_apic_enabled(apic)) {
        return -1;
    }
    int vector = highest_bit(apic->request);
    if (vector < 0 || ((uint32_t)vector & 0xf0u) <= (processor_priority(apic) & 0xf0u)) {
        return -1;
    }
    return vector;
}

void local_apic_acknowledge(struct local_apic *apic, uint8_t vector)
{
    bit_set(apic->request, vector, false);
    bit_set(apic->service, vector, true);
}

bool local_apic_passes_pic(const struct local_apic *apic)
{
    uint32_t lint0 = apic->lvt[LOCAL_APIC_LVT_LINT0];
    return !(apic->base_msr & BASE_MSR_ENABLE) ||
           (!(lint0 & LVT_MASKED) && (lint0 & LVT_DELIVERY_MODE) == LVT_DELIVERY_EXTINT);
}

void local_apic_timer_update(struct local_apic *apic, uint64_t now_ns)
{
    if (!apic->timer_fire_ns || now_ns < apic->timer_fire_ns) {
        return;
    }
    uint32_t timer = apic->lvt[LOCAL_APIC_LVT_TIMER];
    if (!(timer & LVT_MASKED) && local_apic_enabled(apic)) {
        local_apic_accept(apic, (uint8_t)(timer & LVT_VECTOR), false);
    }
    if (timer_mode(apic) == LVT_TIMER_PERIODIC && apic->timer_period_ns) {
        /* Periods missed while the VMM was not scheduled collapse into this one interrupt, as on a busy host. */
        uint64_t late = now_ns - apic->timer_fire_ns;
        apic->timer_fire_ns = now_ns + apic->timer_period_ns - late % apic->timer_period_ns;
        return;
    }
    apic->timer_fire_ns = 0;
    if (timer_mode(apic) == LVT_TIMER_TSC_DEADLINE) {
        apic->tsc_deadline = 0;
    }
}

bool local_apic_write_base_msr(struct local_apic *apic, uint64_t value)
{
    if (value & ~(BASE_MSR_ADDRESS_MASK | BASE_MSR_ENABLE | BASE_MSR_BSP | BASE_MSR_X2APIC)) {
        return false;
    }
    /* x2APIC is not offered, and the window stays where the ACPI tables and the device registry have it. */
    if ((value & BASE_MSR_X2APIC) || (value & BASE_MSR_ADDRESS_MASK) != LOCAL_APIC_BASE ||
        (value & BASE_MSR_BSP) != (apic->base_msr & BASE_MSR_BSP)) {
        return false;
    }
    if (!(value & BASE_MSR_ENABLE) && (apic->base_msr & BASE_MSR_ENABLE)) {
        /* Globally disabling resets the APIC; it stays in that state until re-enabled (SDM 10.4.3). */
        uint8_t id = apic->id;
        local_apic_init(apic, id, apic->clock_ns, apic->clock_context);
        apic->lvt[LOCAL_APIC_LVT_LINT0] = LVT_MASKED;
        apic->lvt[LOCAL_APIC_LVT_LINT1] = LVT_MASKED;
    }
    apic->base_msr = value;
    return true;
}

void local_apic_write_tsc_deadline(struct local_apic *apic, uint64_t tsc_deadline, uint64_t fire_ns)
{
    if (timer_mode(apic) != LVT_TIMER_TSC_DEADLINE) {
        return; /* the MSR write is ignored outside TSC-deadline mode (SDM 10.5.4.1) */
    }
    apic->tsc_deadline = tsc_deadline;
    apic->timer_fire_ns = tsc_deadline ? (fire_ns ? fire_ns : 1) : 0;
}

static void end_of_interrupt(struct local_apic *apic)
{
    int vector = highest_bit(apic->service);
    if (vector < 0) {
        return;
    }
    bit_set(apic->service, (unsigned)vector, false);
    if (bit_test(apic->level_triggered, (unsigned)vector) && apic->level_end_of_interrupt) {
        apic->level_end_of_interrupt(apic->end_of_interrupt_context, (uint8_t)vector);
    }
}

/* An interprocessor interrupt: with one vCPU only fixed interrupts that include this APIC do anything. */
static void send_command(struct local_apic *apic)
{
    uint32_t command = apic->command_low;
    uint8_t vector = (uint8_t)(command & COMMAND_VECTOR);
    uint32_t shorthand = command & COMMAND_SHORTHAND;
    uint8_t destination = (uint8_t)(apic->command_high >> 24);
    bool to_self = shorthand == COMMAND_SHORTHAND_SELF || shorthand == COMMAND_SHORTHAND_ALL;
    if (shorthand == COMMAND_SHORTHAND_NONE) {
        to_self = (command & COMMAND_DESTINATION_LOGICAL) ? (destination & (apic->logical_destination >> 24)) != 0
                                                          : destination == apic->id || destination == BROADCAST_ID;
    }
    if ((command & COMMAND_DELIVERY_MODE) != COMMAND_DELIVERY_FIXED || !to_self) {
        return; /* INIT, SIPI, NMI and IPIs to other processors: there are none */
    }
    if (vector < 16) {
        apic->pending_error |= ERROR_SEND_ILLEGAL_VECTOR;
        return;
    }
    local_apic_accept(apic, vector, (command & COMMAND_LEVEL_TRIGGER) != 0);
}

static uint64_t now(const struct local_apic *apic)
{
    return apic->clock_ns(apic->clock_context);
}

static const char *register_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    struct local_apic *apic = context;
    (void)size;
    if (offset % 16) {
        return "registers are 32 bits on 16-byte boundaries";
    }
    unsigned index = (unsigned)(offset - REGISTER_IN_SERVICE) / 16 % 8;
    if (offset >= REGISTER_IN_SERVICE && offset < REGISTER_TRIGGER_MODE) {
        *value = apic->service[index];
    } else if (offset >= REGISTER_TRIGGER_MODE && offset < REGISTER_INTERRUPT_REQUEST) {
        *value = apic->level_triggered[index];
    } else if (offset >= REGISTER_INTERRUPT_REQUEST && offset < REGISTER_ERROR_STATUS) {
        *value = apic->request[index];
    } else if (offset >= REGISTER_LVT_FIRST && offset < REGISTER_LVT_FIRST + 16 * LOCAL_APIC_LVT_COUNT) {
        *value = apic->lvt[(offset - REGISTER_LVT_FIRST) / 16];
    } else {
        switch (offset) {
        case REGISTER_ID:
            *value = (uint32_t)apic->id << 24;
            break;
        case REGISTER_VERSION:
            *value = VERSION_VALUE;
            break;
        case REGISTER_TASK_PRIORITY:
            *value = apic->task_priority;
            break;
        case REGISTER_PROCESSOR_PRIORITY:
            *value = processor_priority(apic);
            break;
        case REGISTER_LOGICAL_DESTINATION:
            *value = apic->logical_destination;
            break;
        case REGISTER_DESTINATION_FORMAT:
            *value = apic->destination_format;
            break;
        case REGISTER_SPURIOUS_VECTOR:
            *value = apic->spurious_vector;
            break;
        case REGISTER_ERROR_STATUS:
            *value = apic->error_status;
            break;
        case REGISTER_COMMAND_LOW:
            *value = apic->command_low; /* delivery status always idle: an IPI is delivered at once */
            break;
        case REGISTER_COMMAND_HIGH:
            *value = apic->command_high;
            break;
        case REGISTER_TIMER_INITIAL_COUNT:
            *value = apic->timer_initial_count;
            break;
        case REGISTER_TIMER_CURRENT_COUNT:
            *value = timer_current_count(apic, now(apic));
            break;
        case REGISTER_TIMER_DIVIDE:
            *value = apic->timer_divide_config;
            break;
        default:
            /* Arbitration priority, remote read, CMCI and reserved slots read as 0. */
            *value = 0;
            break;
        }
    }
    return NULL;
}

static void write_lvt(struct local_apic *apic, unsigned entry, uint32_t value)
{
    if (!(apic->spurious_vector & SPURIOUS_SOFTWARE_ENABLE)) {
        value |= LVT_MASKED; /* a software-disabled APIC keeps every LVT entry masked */
    }
    uint32_t old_mode = timer_mode(apic);
    apic->lvt[entry] = value & lvt_writable[entry];
    if (entry == LOCAL_APIC_LVT_TIMER && timer_mode(apic) != old_mode) {
        /* Switching between count and TSC-deadline modes disarms the timer (SDM 10.5.4.1). */
        apic->timer_fire_ns = 0;
        apic->timer_initial_count = 0;
        apic->tsc_deadline = 0;
    }
}

static const char *register_write(void *context, uint64_t offset, unsigned size, uint64_t value64)
{
    struct local_apic *apic = context;
    uint32_t value = (uint32_t)value64;
    (void)size;
    if (offset % 16) {
        return "registers are 32 bits on 16-byte boundaries";
    }
    if (offset >= REGISTER_LVT_FIRST && offset < REGISTER_LVT_FIRST + 16 * LOCAL_APIC_LVT_COUNT) {
        write_lvt(apic, (unsigned)(offset - REGISTER_LVT_FIRST) / 16, value);
        return NULL;
    }
    switch (offset) {
    case REGISTER_ID:
        apic->id = (uint8_t)(value >> 24);
        break;
    case REGISTER_TASK_PRIORITY:
        apic->task_priority = value & 0xffu;
        break;
    case REGISTER_END_OF_INTERRUPT:
        end_of_interrupt(apic);
        break;
    case REGISTER_LOGICAL_DESTINATION:
        apic->logical_destination = value & 0xff000000u;
        break;
    case REGISTER_DESTINATION_FORMAT:
        apic->destination_format = value | 0x0fffffffu;
        break;
    case REGISTER_SPURIOUS_VECTOR:
        apic->spurious_vector = value & SPURIOUS_WRITABLE;
        if (!(value & SPURIOUS_SOFTWARE_ENABLE)) {
            for (unsigned i = 0; i < LOCAL_APIC_LVT_COUNT; i++) {
                apic->lvt[i] |= LVT_MASKED;
            }
        }
        break;
    case REGISTER_ERROR_STATUS:
        apic->error_status = apic->pending_error;
        apic->pending_error = 0;
        break;
    case REGISTER_COMMAND_LOW:
        apic->command_low = value & COMMAND_WRITABLE;
        send_command(apic);
        break;
    case REGISTER_COMMAND_HIGH:
        apic->command_high = value & 0xff000000u;
        break;
    case REGISTER_TIMER_INITIAL_COUNT:
        if (timer_mode(apic) != LVT_TIMER_TSC_DEADLINE) {
            apic->timer_initial_count = value;
            timer_start(apic, now(apic));
        }
        break;
    case REGISTER_TIMER_DIVIDE:
        apic->timer_divide_config = value & 0xbu;
        break;
    default:
        /* Read-only and reserved registers: the write is dropped and the APIC notes an illegal register access. */
        apic->pending_error |= ERROR_ILLEGAL_REGISTER;
        break;
    }
    return NULL;
}

enum error local_apic_register(struct local_apic *apic, struct device_registry *registry)
{
    const struct device window = {
        .name = "local APIC",
        .space = DEVICE_SPACE_MMIO,
        .base = LOCAL_APIC_BASE,
        .size = LOCAL_APIC_SIZE,
        .access_sizes = 4,
        .read = register_read,
        .write = register_write,
        .context = apic,
    };
    return device_registry_add(registry, &window);
}
