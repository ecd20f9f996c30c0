/*
 * The byte-order functions of <arpa/inet.h> that nghttp2's library uses (through nghttp2_net.h), for newlib, which
 * has no <arpa/inet.h>. Only on the include path of nghttp2's own sources in the freestanding build (a copt of
 * //build/bazel/nghttp2:nghttp2), so a Micro-App's code never sees it. x86-64 is little-endian.
 */
#ifndef KAPSEL_NGHTTP2_ARPA_INET_H
#define KAPSEL_NGHTTP2_ARPA_INET_H

#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "these byte-order functions swap: a little-endian target only"
#endif

static inline uint32_t htonl(uint32_t host)
{
    return __builtin_bswap32(host);
}

static inline uint16_t htons(uint16_t host)
{
    return __builtin_bswap16(host);
}

static inline uint32_t ntohl(uint32_t network)
{
    return __builtin_bswap32(network);
}

static inline uint16_t ntohs(uint16_t network)
{
    return __builtin_bswap16(network);
}

#endif /* KAPSEL_NGHTTP2_ARPA_INET_H */
