/* What the portable kernel needs from each architecture (implemented under arch/). */
#ifndef KAPSEL_ARCH_H
#define KAPSEL_ARCH_H

#include <kapsel/boot_info.h>
#include <kapsel/error.h>
#include <stdbool.h>
#include <stdint.h>

/* Stops this CPU for good with interrupts off. */
_Noreturn void arch_halt(void);

/* Enables interrupts and sleeps until the next one arrives. */
void arch_wait_for_interrupt(void);

/* Builds the kernel's final page tables (physmap of all RAM, W^X image mapping) and switches to them. */
void arch_memory_init(const struct boot_info *boot_info);

/* Starts the periodic scheduler tick; calls timer_tick() from the interrupt. */
void arch_timer_init(void);

/* Resets the machine without an orderly shutdown (a triple fault on x86); for harness self-tests. */
_Noreturn void arch_reset_abruptly(void);

/* A monotonic cycle counter for benchmarks and timeouts. */
uint64_t arch_cycle_counter(void);

/* Physical address bits the CPU decodes: device memory must lie below 2^bits. */
unsigned arch_physical_address_bits(void);

/*
 * True if [base, end) (physical) touches device registers the kernel keeps for
 * itself, such as its interrupt controllers: never device memory for a task.
 */
bool arch_kernel_device_range(uint64_t base, uint64_t end);

struct calendar_time;

/*
 * Reads the machine's battery-backed real-time clock once, taken as UTC;
 * *source names it for the log. Fails with *reason when there is none or its
 * registers make no sense; never waits more than a few milliseconds.
 */
enum error arch_wall_clock_read(struct calendar_time *time, const char **source, const char **reason);

#endif
