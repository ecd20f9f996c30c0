/*
 * The guest's CPUID: a policy over the host CPU's answers. The vendor leaf
 * passes through with the highest basic leaf capped at what the policy
 * describes; leaf 1 passes through only features the VMM can stand behind
 * (plus "running under a hypervisor"); leaf 0x40000000 names the VMM;
 * every other leaf reads as zeros, which tells the guest "not there".
 */
#ifndef VMM_X86_CPUID_H
#define VMM_X86_CPUID_H

#include <stdint.h>

#define CPUID_HYPERVISOR_LEAF 0x40000000u
#define CPUID_HYPERVISOR_SIGNATURE "KapselVMM\0\0\0" /* 12 bytes in ebx, ecx, edx */

struct cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};

/* The answer the host CPU gives; the policy's input (a parameter, so tests can feed it). */
typedef struct cpuid_result (*cpuid_host_fn)(uint32_t leaf, uint32_t subleaf);

/* The host's own CPUID, executed by the VMM (CPUID is not privileged). */
struct cpuid_result cpuid_host(uint32_t leaf, uint32_t subleaf);

/* What the guest sees for leaf/subleaf. */
struct cpuid_result cpuid_guest(uint32_t leaf, uint32_t subleaf, cpuid_host_fn host);

#endif
