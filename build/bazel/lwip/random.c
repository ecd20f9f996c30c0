/*
 * Random numbers for lwIP (LWIP_RAND: DHCP transaction ids, first local ports, TCP initial sequence numbers).
 * The CPU's RDRAND when it has one; otherwise the time-stamp counter stirred through splitmix64, which makes the
 * numbers hard to guess from outside but is no cryptographic source. Not for keys: mbedTLS needs its own.
 */
#include "arch/cc.h"

#include <stdbool.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "lwip_port_random: no source of randomness for this architecture yet"
#endif

#include <cpuid.h>

#define RDRAND_ATTEMPTS 10 /* Intel's advice: RDRAND may fail transiently, rarely 10 times in a row */

static uint64_t read_time_stamp_counter(void)
{
    uint32_t low;
    uint32_t high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t)high << 32 | low;
}

static bool has_rdrand(void)
{
    unsigned int eax;
    unsigned int ebx;
    unsigned int ecx;
    unsigned int edx;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_RDRND) != 0;
}

static bool read_rdrand(uint32_t *value)
{
    for (int attempt = 0; attempt < RDRAND_ATTEMPTS; attempt++) {
        uint8_t ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*value), "=qm"(ok) : : "cc");
        if (ok) {
            return true;
        }
    }
    return false;
}

/* splitmix64 (Steele, Lea, Flood 2014): a well-mixed output for every step of a counter. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t lwip_port_random(void)
{
    static int rdrand = -1; /* -1: not asked yet */
    static uint64_t state;
    if (rdrand < 0) {
        rdrand = has_rdrand();
    }
    uint32_t value;
    if (rdrand && read_rdrand(&value)) {
        return value;
    }
    state ^= read_time_stamp_counter();
    return (uint32_t)(splitmix64(&state) >> 32);
}
