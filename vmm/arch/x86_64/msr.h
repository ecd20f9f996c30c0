/*
 * The guest's MSRs (the kernel intercepts every RDMSR and WRMSR). The MSRs the
 * state page holds (EFER, PAT, the system-call MSRs, the segment bases) are
 * read and written there, with the checks the CPU would make; writes to a
 * short allow-list of MSRs that need no effect are ignored. Anything else is
 * refused, and the caller injects #GP as the CPU does for an MSR it lacks.
 */
#ifndef VMM_X86_MSR_H
#define VMM_X86_MSR_H

#include <kapsel/vcpu_state.h>
#include <stdbool.h>
#include <stdint.h>

/* RDMSR: true with *value, or false for #GP. */
bool msr_read(const struct vcpu_state *state, uint32_t msr, uint64_t *value);

/* WRMSR: true if done (or deliberately ignored), false for #GP (unknown MSR, or a value the CPU would refuse). */
bool msr_write(struct vcpu_state *state, uint32_t msr, uint64_t value);

#endif
