/* The processor's hardware random source: RDRAND (CPUID leaf 1, ECX bit 30). */
#include <kapsel/runtime.h>

#include <cpuid.h>
#include <string.h>

#define CPUID_RDRAND (1u << 30)

bool runtime_entropy_available(void)
{
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & CPUID_RDRAND);
}

static uint64_t random_word(void)
{
    uint64_t value;
    unsigned char ok;
    /* RDRAND may fail transiently while its generator reseeds: it is retried, never replaced by weaker bytes. */
    do {
        __asm__ volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
    } while (!ok);
    return value;
}

void runtime_entropy_fill(uint8_t *bytes, size_t length)
{
    while (length) {
        uint64_t word = random_word();
        size_t chunk = length < sizeof(word) ? length : sizeof(word);
        memcpy(bytes, &word, chunk);
        bytes += chunk;
        length -= chunk;
    }
}
