/*
 * The project's lwIP port, compiler and platform part (lwIP includes it as "arch/cc.h" through lwip/arch.h):
 * types from <stdint.h>, the byte order, diagnostics to printf and failed assertions to a clean stop.
 * The port's functions are declared here; sys_now() is declared by lwip/sys.h. The same port serves Micro-Apps
 * (newlib) and host tests (glibc): see build/bazel/lwip/BUILD for which sources each build takes.
 */
#ifndef KAPSEL_LWIP_ARCH_CC_H
#define KAPSEL_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* newlib has ssize_t but no SSIZE_MAX, without which lwIP would declare its own, conflicting ssize_t. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
_Static_assert(sizeof(ssize_t) == sizeof(long), "SSIZE_MAX assumes that ssize_t is a long");
#endif

/* Byte order: the C library's BYTE_ORDER when its headers define one (glibc's <endian.h>, newlib's
 * <machine/endian.h>), else lwIP's default, little-endian, unless the compiler says otherwise. */
#if !defined(BYTE_ORDER) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTE_ORDER BIG_ENDIAN
#endif

/* Byte swaps as single instructions (lwIP's def.c otherwise provides them as functions). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))
#endif

/* Diagnostics (only with LWIP_DEBUG): x is a parenthesised printf argument list. */
#define LWIP_PLATFORM_DIAG(x)                                                                                          \
    do {                                                                                                               \
        printf x;                                                                                                      \
    } while (0)

/* A failed lwIP assertion: report it and stop (lwip_port_assert_failed does not return). */
#define LWIP_PLATFORM_ASSERT(message) lwip_port_assert_failed((message), __FILE__, __LINE__)

/* Prints the failed assertion on stderr and ends the program with abort(). */
_Noreturn void lwip_port_assert_failed(const char *message, const char *file, int line);

/* 32 random bits for LWIP_RAND (lwipopts.h): not for cryptography. */
uint32_t lwip_port_random(void);

#endif
