/* Unit tests for the CPUID and MSR policies (vmm/arch/x86_64/cpuid.c, msr.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/msr.h"

#include <string.h>

/* A host CPU with every feature bit set, a high basic leaf and AMD's vendor string. */
static struct cpuid_result generous_host(uint32_t leaf, uint32_t subleaf)
{
    (void)subleaf;
    if (leaf == 0) {
        return (struct cpuid_result){0x10, 0x68747541, 0x444d4163, 0x69746e65}; /* "AuthenticAMD" */
    }
    if (leaf == 0x80000000) {
        return (struct cpuid_result){0x8000001f, 0, 0, 0}; /* a high extended leaf */
    }
    return (struct cpuid_result){0x00a00f11, UINT32_MAX, UINT32_MAX, UINT32_MAX};
}

static void test_cpuid_policy(void **state)
{
    (void)state;
    struct cpuid_result vendor = cpuid_guest(0, 0, generous_host);
    assert_int_equal(vendor.eax, 1); /* capped */
    assert_int_equal(vendor.ebx, 0x68747541);
    assert_int_equal(vendor.ecx, 0x444d4163);
    assert_int_equal(vendor.edx, 0x69746e65);

    struct cpuid_result features = cpuid_guest(1, 0, generous_host);
    assert_int_equal(features.eax, 0x00a00f11);
    assert_int_equal(features.ebx, 0x00010800);
    assert_true(features.ecx & (1u << 31));  /* hypervisor present */
    assert_false(features.ecx & (1u << 5));  /* no VMX */
    assert_false(features.ecx & (1u << 21)); /* no x2APIC */
    assert_true(features.edx & (1u << 9));   /* the emulated local APIC */
    assert_true(features.ecx & (1u << 24));  /* with its TSC-deadline timer */
    assert_true(features.edx & (1u << 26));  /* SSE2 passes */

    struct cpuid_result hypervisor = cpuid_guest(0x40000000, 0, generous_host);
    char signature[13] = {0};
    memcpy(signature, &hypervisor.ebx, 4);
    memcpy(signature + 4, &hypervisor.ecx, 4);
    memcpy(signature + 8, &hypervisor.edx, 4);
    assert_int_equal(hypervisor.eax, 0x40000000);
    assert_string_equal(signature, "KapselVMM");

    /* Extended leaves: capped, and only what a 64-bit kernel needs (no SVM: the guest cannot nest). */
    struct cpuid_result extended = cpuid_guest(0x80000000, 0, generous_host);
    assert_int_equal(extended.eax, 0x80000008);
    struct cpuid_result extended_features = cpuid_guest(0x80000001, 0, generous_host);
    assert_true(extended_features.edx & (1u << 29));                         /* long mode */
    assert_true(extended_features.edx & (1u << 20));                         /* NX */
    assert_false(extended_features.ecx & (1u << 2));                         /* no SVM */
    assert_int_equal(cpuid_guest(0x80000008, 0, generous_host).eax, 0x0f11); /* the host's address sizes, low 16 bits */

    const uint32_t unknown[] = {2, 7, 0xd, 0x40000001, 0x80000009, 0xffffffff};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        struct cpuid_result result = cpuid_guest(unknown[i], 0, generous_host);
        assert_int_equal(result.eax | result.ebx | result.ecx | result.edx, 0);
    }
}

static void test_msrs_in_the_state_page(void **state)
{
    (void)state;
    struct vcpu_state vcpu;
    memset(&vcpu, 0, sizeof(vcpu));
    vcpu.pat = 0x0007040600070406ull;
    uint64_t value = 0;
    assert_true(msr_read(&vcpu, 0x277, &value));
    assert_int_equal(value, 0x0007040600070406ull);
    assert_true(msr_write(&vcpu, 0xc0000082, 0xffffffff81000000ull)); /* LSTAR */
    assert_int_equal(vcpu.lstar, 0xffffffff81000000ull);
    assert_true(msr_write(&vcpu, 0xc0000100, 0x1000)); /* FS base */
    assert_int_equal(vcpu.fs.base, 0x1000);
    assert_true(msr_read(&vcpu, 0xc0000100, &value));
    assert_int_equal(value, 0x1000);
    /* EFER: SCE, LME, NXE are the guest's; LMA stays the CPU's. */
    assert_true(msr_write(&vcpu, 0xc0000080, 0x0d01));
    assert_int_equal(vcpu.efer, 0x0901);
    vcpu.efer = 0x0500;
    assert_true(msr_write(&vcpu, 0xc0000080, 0x0100));
    assert_int_equal(vcpu.efer, 0x0500);
}

static void test_msr_writes_the_cpu_would_refuse(void **state)
{
    (void)state;
    struct vcpu_state vcpu;
    memset(&vcpu, 0, sizeof(vcpu));
    assert_false(msr_write(&vcpu, 0xc0000080, 1ull << 12));            /* EFER.SVME */
    assert_false(msr_write(&vcpu, 0x277, 0x0007040600070402ull));      /* PAT type 2 */
    assert_false(msr_write(&vcpu, 0xc0000082, 0x0000800000000000ull)); /* LSTAR not canonical */
    assert_false(msr_write(&vcpu, 0xc0000084, 1ull << 32));            /* SFMASK upper half */
    struct vcpu_state untouched;
    memset(&untouched, 0, sizeof(untouched));
    assert_memory_equal(&vcpu, &untouched, sizeof(vcpu));
}

static void test_unknown_msrs(void **state)
{
    (void)state;
    struct vcpu_state vcpu;
    memset(&vcpu, 0, sizeof(vcpu));
    uint64_t value = 0;
    assert_false(msr_read(&vcpu, 0x1b, &value));       /* APIC base: the platform's, not this policy's */
    assert_false(msr_read(&vcpu, 0xc0010114, &value)); /* VM_CR */
    assert_false(msr_write(&vcpu, 0x1b, 0));
    assert_true(msr_write(&vcpu, 0x8b, 0)); /* allow-listed: ignored */
    assert_false(msr_read(&vcpu, 0x8b, &value));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid_policy),
        cmocka_unit_test(test_msrs_in_the_state_page),
        cmocka_unit_test(test_msr_writes_the_cpu_would_refuse),
        cmocka_unit_test(test_unknown_msrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
