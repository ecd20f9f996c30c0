/*
 * The PC platform a Linux guest expects around its CPU: the local APIC and an I/O APIC (what it uses with ACPI),
 * 8259 PICs and the 8254 PIT (without), a clock for the timers, the CMOS clock, power control, the keyboard controller
 * with its PS/2 keyboard (Ctrl-Alt-Del, to ask the guest to shut down).
 */
#ifndef VMM_X86_PLATFORM_H
#define VMM_X86_PLATFORM_H

#include "cmos_clock.h"
#include "i8042.h"
#include "io_apic.h"
#include "local_apic.h"
#include "pic.h"
#include "pit.h"
#include "power_control.h"

#include <stdbool.h>
#include <stdint.h>

struct arch_platform {
    struct local_apic local_apic;
    struct io_apic io_apic;
    struct pic pic;
    struct pit pit;
    struct power_control power;
    struct cmos_clock cmos_clock;
    struct i8042 keyboard_controller;
    uint64_t tsc_hz; /* measured against the kernel's tick */
    uint64_t tsc_start;
    uint64_t sleep_gate; /* a gate of this VMM's own, to sleep on with a timeout */
};

struct vm;

/*
 * RDMSR/WRMSR of the local APIC's MSRs (IA32_APIC_BASE, IA32_TSC_DEADLINE): false if msr is not one of them;
 * otherwise true, with *accepted false when the CPU would raise #GP.
 */
bool platform_apic_msr(struct vm *vm, uint32_t msr, bool write, uint64_t *value, bool *accepted);

#endif
