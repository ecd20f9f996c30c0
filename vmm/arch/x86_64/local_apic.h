/*
 * The local APIC of the (single) vCPU, in xAPIC mode at 0xfee00000: interrupt
 * acceptance with IRR/ISR/TMR and priorities, EOI, self-IPIs, the LVT and its
 * timer in one-shot, periodic and TSC-deadline modes, and the LINT0 virtual
 * wire that lets the 8259 PIC through. x2APIC is not offered (CPUID says so).
 *
 * Time is the caller's: every function that depends on it takes now_ns, the
 * platform clock in nanoseconds; the timer's count runs at
 * LOCAL_APIC_TIMER_HZ before the divider. Pure C, unit-tested on the host.
 */
#ifndef VMM_X86_LOCAL_APIC_H
#define VMM_X86_LOCAL_APIC_H

#include "../../device_registry.h"

#include <stdbool.h>
#include <stdint.h>

#define LOCAL_APIC_BASE 0xfee00000ull
#define LOCAL_APIC_SIZE 0x1000ull
#define LOCAL_APIC_TIMER_HZ 1000000000ull /* one count per nanosecond before the divider */

#define MSR_IA32_APIC_BASE 0x1bu
#define MSR_IA32_TSC_DEADLINE 0x6e0u

enum local_apic_lvt {
    LOCAL_APIC_LVT_TIMER,
    LOCAL_APIC_LVT_THERMAL,
    LOCAL_APIC_LVT_PERFORMANCE,
    LOCAL_APIC_LVT_LINT0,
    LOCAL_APIC_LVT_LINT1,
    LOCAL_APIC_LVT_ERROR,
    LOCAL_APIC_LVT_COUNT,
};

struct local_apic {
    uint8_t id;
    uint64_t base_msr; /* IA32_APIC_BASE: address, global enable, BSP */
    uint32_t task_priority;
    uint32_t spurious_vector; /* bit 8: software enable */
    uint32_t logical_destination;
    uint32_t destination_format;
    uint32_t error_status;  /* what the guest reads from ESR */
    uint32_t pending_error; /* errors since the last ESR write */
    uint32_t command_high;  /* ICR[63:32] */
    uint32_t command_low;
    uint32_t lvt[LOCAL_APIC_LVT_COUNT];
    uint32_t timer_initial_count;
    uint32_t timer_divide_config;
    uint64_t timer_period_ns;    /* one-shot and periodic: the initial count in nanoseconds */
    uint64_t timer_fire_ns;      /* when the timer fires next; 0: not armed */
    uint64_t tsc_deadline;       /* IA32_TSC_DEADLINE as the guest wrote it (0 once fired) */
    uint32_t request[8];         /* IRR, 256 bits */
    uint32_t service[8];         /* ISR */
    uint32_t level_triggered[8]; /* TMR: EOI of these goes on to the I/O APIC */
    /* Called on EOI of a level-triggered vector (the I/O APIC clears its remote IRR). */
    void (*level_end_of_interrupt)(void *context, uint8_t vector);
    void *end_of_interrupt_context;
    /* Reads need the time (the timer's current count): the clock the platform gives. */
    uint64_t (*clock_ns)(void *context);
    void *clock_context;
};

/* The power-on state of the boot processor's APIC, LINT0 wired to the PIC as firmware leaves it; at LOCAL_APIC_BASE. */
void local_apic_init(struct local_apic *apic, uint8_t id, uint64_t (*clock_ns)(void *context), void *clock_context);

/* Adds the register window to registry. */
enum error local_apic_register(struct local_apic *apic, struct device_registry *registry);

/* Whether the APIC is globally (IA32_APIC_BASE) and software (SVR) enabled. */
bool local_apic_enabled(const struct local_apic *apic);

/* An interrupt arrives with vector (fixed delivery): into the IRR; vectors below 16 are an error (ESR), not delivered.
 */
void local_apic_accept(struct local_apic *apic, uint8_t vector, bool level_triggered);

/* The vector the APIC would deliver to the CPU now (IRR above the processor priority), or -1. */
int local_apic_pending_vector(const struct local_apic *apic);

/* The CPU took vector (from local_apic_pending_vector): IRR to ISR. */
void local_apic_acknowledge(struct local_apic *apic, uint8_t vector);

/* Whether the PIC's INTR reaches the CPU: APIC globally disabled, or LINT0 unmasked in ExtINT mode. */
bool local_apic_passes_pic(const struct local_apic *apic);

/* Fires the timer if it is due at now_ns (an interrupt unless its LVT is masked) and rearms a periodic one. */
void local_apic_timer_update(struct local_apic *apic, uint64_t now_ns);

/* IA32_APIC_BASE writes: false for values the CPU refuses (#GP): reserved bits, x2APIC mode, another address. */
bool local_apic_write_base_msr(struct local_apic *apic, uint64_t value);

/* IA32_TSC_DEADLINE: the guest's value, and when it is due on the platform clock (0 disarms). */
void local_apic_write_tsc_deadline(struct local_apic *apic, uint64_t tsc_deadline, uint64_t fire_ns);

#endif
