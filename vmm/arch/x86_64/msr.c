#include "msr.h"

#include <stddef.h>
#include <string.h>

#define MSR_BIOS_SIGN_ID 0x0000008bu /* microcode revision: software writes 0, then runs CPUID 1 to latch it */
#define MSR_SYSENTER_CS 0x00000174u
#define MSR_SYSENTER_ESP 0x00000175u
#define MSR_SYSENTER_EIP 0x00000176u
#define MSR_PAT 0x00000277u
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

/* The MSRs whose writes are accepted and dropped: none of them changes what this VMM emulates. */
static const uint32_t ignored_writes[] = {MSR_BIOS_SIGN_ID};

/* The MSRs the state page holds, and where. */
static const struct {
    uint32_t msr;
    size_t offset;
} state_msrs[] = {
    {MSR_SYSENTER_CS, offsetof(struct vcpu_state, sysenter_cs)},
    {MSR_SYSENTER_ESP, offsetof(struct vcpu_state, sysenter_esp)},
    {MSR_SYSENTER_EIP, offsetof(struct vcpu_state, sysenter_eip)},
    {MSR_PAT, offsetof(struct vcpu_state, pat)},
    {MSR_EFER, offsetof(struct vcpu_state, efer)},
    {MSR_STAR, offsetof(struct vcpu_state, star)},
    {MSR_LSTAR, offsetof(struct vcpu_state, lstar)},
    {MSR_CSTAR, offsetof(struct vcpu_state, cstar)},
    {MSR_SFMASK, offsetof(struct vcpu_state, sfmask)},
    {MSR_FS_BASE, offsetof(struct vcpu_state, fs.base)},
    {MSR_GS_BASE, offsetof(struct vcpu_state, gs.base)},
    {MSR_KERNEL_GS_BASE, offsetof(struct vcpu_state, kernel_gs_base)},
};

static bool state_offset(uint32_t msr, size_t *offset)
{
    for (size_t i = 0; i < sizeof(state_msrs) / sizeof(state_msrs[0]); i++) {
        if (state_msrs[i].msr == msr) {
            *offset = state_msrs[i].offset;
            return true;
        }
    }
    return false;
}

/* 48-bit virtual addresses: bits 63..47 all equal. */
static bool canonical(uint64_t address)
{
    uint64_t top = address >> 47;
    return top == 0 || top == 0x1ffff;
}

/* Memory types 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB), 7 (UC-) in every byte; 2, 3 and 8+ are reserved. */
static bool valid_pat(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint8_t type = (uint8_t)(pat >> (8 * i));
        if (type == 2 || type == 3 || type > 7) {
            return false;
        }
    }
    return true;
}

/* Whether the CPU would accept value for a state-page MSR (it raises #GP otherwise). */
static bool acceptable(uint32_t msr, uint64_t value)
{
    switch (msr) {
    case MSR_EFER:
        return (value & ~(EFER_GUEST_WRITABLE | EFER_LMA)) == 0;
    case MSR_PAT:
        return valid_pat(value);
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        return canonical(value);
    case MSR_SFMASK:
        return value >> 32 == 0;
    default:
        return true;
    }
}

bool msr_read(const struct vcpu_state *state, uint32_t msr, uint64_t *value)
{
    size_t offset;
    if (!state_offset(msr, &offset)) {
        return false;
    }
    memcpy(value, (const uint8_t *)state + offset, sizeof(*value));
    return true;
}

bool msr_write(struct vcpu_state *state, uint32_t msr, uint64_t value)
{
    for (size_t i = 0; i < sizeof(ignored_writes) / sizeof(ignored_writes[0]); i++) {
        if (msr == ignored_writes[i]) {
            return true;
        }
    }
    size_t offset;
    if (!state_offset(msr, &offset) || !acceptable(msr, value)) {
        return false;
    }
    if (msr == MSR_EFER) {
        /* LMA is the CPU's to set (long mode active), whatever the guest writes there. */
        value = (value & EFER_GUEST_WRITABLE) | (state->efer & EFER_LMA);
    }
    memcpy((uint8_t *)state + offset, &value, sizeof(value));
    return true;
}
