#include "cpuid.h"

#include <cpuid.h>
#include <string.h>

#define MAX_BASIC_LEAF 1u

/* Leaf 1 EDX: FPU, PSE, TSC, MSR, PAE, CX8, APIC, PGE, CMOV, PAT, CLFSH, MMX, FXSR, SSE, SSE2. */
#define LEAF1_EDX_ALLOWED 0x0789a379u
/* Leaf 1 ECX: SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT (no x2APIC, XSAVE, VMX: none emulated or switched). */
#define LEAF1_ECX_ALLOWED 0x00982201u
/* Leaf 1 ECX: the local APIC's TSC-deadline timer mode, emulated whatever the host has. */
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
/* Leaf 1 EBX: CLFLUSH line 8 * 8 bytes, one logical processor, initial APIC id 0 (vCPU 0). */
#define LEAF1_EBX (8u << 8 | 1u << 16)
#define MAX_EXTENDED_LEAF 0x80000008u
/* Leaf 0x80000001 EDX: SYSCALL, NX, long mode (what a 64-bit kernel checks for); ECX: LAHF in 64-bit mode. */
#define EXTENDED1_EDX_ALLOWED (1u << 11 | 1u << 20 | 1u << 29)
#define EXTENDED1_ECX_ALLOWED (1u << 0)

struct cpuid_result cpuid_host(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_result result;
    __cpuid_count(leaf, subleaf, result.eax, result.ebx, result.ecx, result.edx);
    return result;
}

struct cpuid_result cpuid_guest(uint32_t leaf, uint32_t subleaf, cpuid_host_fn host)
{
    struct cpuid_result result = {0, 0, 0, 0};
    if (leaf == 0) {
        result = host(0, 0);
        result.eax = result.eax < MAX_BASIC_LEAF ? result.eax : MAX_BASIC_LEAF;
    } else if (leaf == 1) {
        struct cpuid_result real = host(1, 0);
        result.eax = real.eax; /* family, model, stepping */
        result.ebx = LEAF1_EBX;
        result.ecx = (real.ecx & LEAF1_ECX_ALLOWED) | LEAF1_ECX_TSC_DEADLINE | LEAF1_ECX_HYPERVISOR;
        result.edx = real.edx & LEAF1_EDX_ALLOWED;
    } else if (leaf == 0x80000000u) {
        result = host(leaf, 0);
        result.eax = result.eax < MAX_EXTENDED_LEAF ? result.eax : MAX_EXTENDED_LEAF;
    } else if (leaf == 0x80000001u) {
        struct cpuid_result real = host(leaf, 0);
        result.eax = real.eax;
        result.ecx = real.ecx & EXTENDED1_ECX_ALLOWED; /* no SVM for the guest: it cannot nest */
        result.edx = real.edx & EXTENDED1_EDX_ALLOWED;
    } else if (leaf >= 0x80000002u && leaf <= 0x80000004u) {
        result = host(leaf, 0); /* the processor's brand string */
    } else if (leaf == 0x80000008u) {
        result.eax = host(leaf, 0).eax & 0xffffu; /* physical and linear address sizes */
    } else if (leaf == CPUID_HYPERVISOR_LEAF) {
        result.eax = CPUID_HYPERVISOR_LEAF; /* the highest hypervisor leaf */
        static const char signature[12] = CPUID_HYPERVISOR_SIGNATURE;
        memcpy(&result.ebx, &signature[0], 4);
        memcpy(&result.ecx, &signature[4], 4);
        memcpy(&result.edx, &signature[8], 4);
    }
    (void)subleaf; /* none of the leaves answered has subleaves */
    return result;
}
