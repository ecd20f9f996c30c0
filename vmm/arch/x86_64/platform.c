/*
 * Time and interrupts for a PC guest. Interrupt sources pulse an ISA line, which reaches both the 8259 PIC and
 * the I/O APIC (as on a PC: what the guest unmasks decides which one delivers); the local APIC takes the I/O
 * APIC's interrupts and its own timer's, and lets the PIC's through on LINT0 (virtual wire). Time is the TSC
 * (the guest reads the same one), measured once against the kernel's tick; the kernel hands the vCPU back at
 * the next timer deadline (at its tick granularity), and a halted guest sleeps until then.
 */
#include "platform.h"
#include "../../arch.h"
#include "../../boot/acpi_tables.h"
#include "../../control.h"

#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <sys/time.h>

#define CALIBRATION_TICKS 20
#define NANOSECONDS 1000000000ull

static uint64_t read_tsc(void)
{
    uint32_t low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t)high << 32 | low;
}

static uint64_t platform_clock_ns(void *context)
{
    const struct arch_platform *platform = context;
    return (uint64_t)((unsigned __int128)(read_tsc() - platform->tsc_start) * NANOSECONDS / platform->tsc_hz);
}

/* The host's wall clock (the runtime's, from the kernel), for the guest's CMOS clock. */
static uint64_t wall_clock_seconds(void *context)
{
    (void)context;
    struct timeval now;
    return gettimeofday(&now, NULL) == 0 ? (uint64_t)now.tv_sec : 0;
}

/* The keyboard controller's interrupt: ISA IRQ 1, as on a PC (the DSDT says so too). */
static void raise_keyboard_interrupt(void *context)
{
    arch_platform_raise_irq(context, ACPI_KEYBOARD_IRQ);
}

/* The TSC's rate: cycles over CALIBRATION_TICKS kernel ticks, slept through on our own gate. */
static const char *measure_tsc(struct arch_platform *platform, uint64_t scheduler)
{
    uint64_t ticks, idle, per_second, start_ticks;
    if (scheduler_info(scheduler, &start_ticks, &idle, &per_second) != ERROR_NONE || per_second == 0) {
        return "cannot read the kernel's clock (the manifest must give a \"scheduler\" capability)";
    }
    do { /* start on a tick boundary */
        scheduler_info(scheduler, &ticks, &idle, &per_second);
    } while (ticks == start_ticks);
    uint64_t tsc_start = read_tsc();
    ipc_receive(platform->sleep_gate, TIMEOUTS(0, (uint32_t)(CALIBRATION_TICKS * 1000 / per_second)));
    uint64_t end_ticks;
    do {
        scheduler_info(scheduler, &end_ticks, &idle, &per_second);
    } while (end_ticks < ticks + CALIBRATION_TICKS);
    uint64_t cycles = read_tsc() - tsc_start;
    platform->tsc_hz = cycles * per_second / (end_ticks - ticks);
    platform->tsc_start = read_tsc();
    return platform->tsc_hz ? NULL : "the TSC does not advance";
}

const char *arch_platform_init(struct vm *vm, uint64_t factory, uint64_t gate_slot)
{
    static struct arch_platform pc; /* one VM per uvmm */
    struct arch_platform *platform = &pc;
    uint64_t scheduler = capability_named("scheduler");
    if (factory_create_gate(factory, gate_slot, APP_THREAD, 0) != ERROR_NONE) {
        return "cannot create the gate the VMM sleeps on";
    }
    platform->sleep_gate = gate_slot;
    const char *problem = measure_tsc(platform, scheduler);
    if (problem) {
        return problem;
    }
    local_apic_init(&platform->local_apic, 0, platform_clock_ns, platform);
    io_apic_init(&platform->io_apic, 0, &platform->local_apic);
    if (local_apic_register(&platform->local_apic, &vm->devices) != ERROR_NONE ||
        io_apic_register(&platform->io_apic, &vm->devices) != ERROR_NONE ||
        pic_register(&platform->pic, &vm->devices) != ERROR_NONE ||
        pit_register(&platform->pit, &vm->devices, platform_clock_ns, platform) != ERROR_NONE ||
        power_control_register(&platform->power, &vm->devices) != ERROR_NONE ||
        cmos_clock_register(&platform->cmos_clock, &vm->devices, wall_clock_seconds, NULL) != ERROR_NONE ||
        i8042_register(&platform->keyboard_controller, &vm->devices, &platform->power, raise_keyboard_interrupt, vm) !=
            ERROR_NONE) {
        return "cannot add the APICs, PIC, PIT, power control, CMOS clock and keyboard controller";
    }
    vm->platform = platform;
    printf("TSC %llu kHz\n", (unsigned long long)(platform->tsc_hz / 1000));
    return NULL;
}

void arch_platform_raise_irq(struct vm *vm, unsigned irq)
{
    if (vm->platform) {
        pic_raise(&vm->platform->pic, irq);
        io_apic_pulse(&vm->platform->io_apic, irq);
    }
}

bool platform_apic_msr(struct vm *vm, uint32_t msr, bool write, uint64_t *value, bool *accepted)
{
    struct arch_platform *platform = vm->platform;
    if (!platform || (msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE)) {
        return false;
    }
    struct local_apic *apic = &platform->local_apic;
    *accepted = true;
    if (!write) {
        *value = msr == MSR_IA32_APIC_BASE ? apic->base_msr : apic->tsc_deadline;
    } else if (msr == MSR_IA32_APIC_BASE) {
        *accepted = local_apic_write_base_msr(apic, *value);
    } else {
        uint64_t cycles = *value > platform->tsc_start ? *value - platform->tsc_start : 0;
        uint64_t fire_ns = (uint64_t)((unsigned __int128)cycles * NANOSECONDS / platform->tsc_hz);
        local_apic_write_tsc_deadline(apic, *value, fire_ns);
    }
    return true;
}

/* The vector the CPU would take now: the local APIC's, else the PIC's if LINT0 lets it through; -1 for none. */
static int pending_vector(const struct arch_platform *platform, bool *from_pic)
{
    int vector = local_apic_pending_vector(&platform->local_apic);
    *from_pic = false;
    if (vector < 0 && local_apic_passes_pic(&platform->local_apic)) {
        vector = pic_pending_vector(&platform->pic);
        *from_pic = vector >= 0;
    }
    return vector;
}

/* The earliest timer event (PIT channel 0 or the local APIC timer) on the platform clock; 0 for none. */
static uint64_t next_timer_ns(const struct arch_platform *platform)
{
    uint64_t pit = platform->pit.next_fire_ns, apic = platform->local_apic.timer_fire_ns;
    return !pit ? apic : !apic ? pit : pit < apic ? pit : apic;
}

/* In the hole below 4 GiB, clear of the APICs and the test device; inputs 16..23 are free of ISA interrupts. */
#define VIRTIO_WINDOWS_BASE 0xd1000000ull
#define VIRTIO_WINDOW_STRIDE 0x1000ull
#define VIRTIO_FIRST_INTERRUPT 16u

uint64_t arch_virtio_window(unsigned index)
{
    return VIRTIO_WINDOWS_BASE + index * VIRTIO_WINDOW_STRIDE;
}

unsigned arch_virtio_interrupt(unsigned index)
{
    return VIRTIO_FIRST_INTERRUPT + index;
}

uint64_t arch_platform_tsc_khz(const struct vm *vm)
{
    return vm->platform ? vm->platform->tsc_hz / 1000 : 0;
}

/*
 * Ends the VM when the guest asked to power off or reset; else raises due timer interrupts, injects
 * what the PIC has when the guest takes it, and sets the deadline.
 */
void arch_before_run(struct vm *vm)
{
    struct arch_platform *platform = vm->platform;
    struct vcpu_state *state = vm->vcpu;
    if (!platform) {
        return;
    }
    if (platform->power.request) {
        vm_end(vm, 0, "guest %s", platform->power.request);
        return;
    }
    uint64_t now = platform_clock_ns(platform);
    if (pit_channel0_due(&platform->pit, now)) {
        arch_platform_raise_irq(vm, 0);
    }
    local_apic_timer_update(&platform->local_apic, now);
    bool from_pic;
    int vector = pending_vector(platform, &from_pic);
    if (vector >= 0 && !(state->event_injection & VCPU_EVENT_VALID)) {
        if ((state->rflags & 0x200) && !state->interrupt_shadow) {
            state->event_injection = VCPU_EVENT_VALID | VCPU_EVENT_TYPE_INTERRUPT | (uint64_t)vector;
            if (from_pic) {
                pic_acknowledge(&platform->pic);
            } else {
                local_apic_acknowledge(&platform->local_apic, (uint8_t)vector);
            }
        } else {
            state->request_interrupt_window = 1;
        }
    }
    /* Back at the next kernel tick: the timers are due at that granularity anyway, and between runs the loop takes
     * the launcher's messages (control.h), which must not wait for a guest that runs long without a timer. */
    state->exit_deadline = state->host_ticks + 1;
}

bool arch_platform_sleep_until_next_event(struct vm *vm)
{
    struct arch_platform *platform = vm->platform;
    bool from_pic;
    if (platform && pending_vector(platform, &from_pic) >= 0) {
        return true; /* an interrupt is waiting: it is injected on the next entry */
    }
    uint64_t next_ns = platform ? next_timer_ns(platform) : 0;
    if (!next_ns) {
        return false;
    }
    uint64_t now = platform_clock_ns(platform);
    if (next_ns > now) {
        uint64_t milliseconds = (next_ns - now + 999999) / 1000000;
        /* Any gate of this thread wakes it: a linked VM's uvmm signals new frames through one, the launcher sends
         * its requests through another. */
        struct invoke_result woken = ipc_wait(TIMEOUTS(0, (uint32_t)milliseconds));
        if (woken.error == ERROR_NONE) {
            control_message(vm, woken);
        }
    }
    return true;
}

const char *arch_platform_request_shutdown(struct vm *vm)
{
    if (!vm->platform) {
        return "the VM has no keyboard (only a Linux guest's PC platform has one)";
    }
    return i8042_press_ctrl_alt_del(&vm->platform->keyboard_controller);
}
