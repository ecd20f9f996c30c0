/*
 * What configure would have found, for both builds of nghttp2's library (newlib in Micro-Apps, glibc on the host),
 * so that both compile the same code. Only the headers and functions nghttp2's lib/ asks about are listed.
 *
 * <arpa/inet.h> gives htonl and friends: glibc has it; for newlib, which does not, the freestanding build puts
 * build/bazel/nghttp2/newlib (the project's own arpa/inet.h) on the library's include path.
 *
 * The clock (nghttp2_time.c, for the rate limit on streams reset by the peer) is time(): newlib gets it from the
 * runtime's gettimeofday; neither clock_gettime nor GetTickCount64 is there in a Micro-App.
 */
#ifndef KAPSEL_NGHTTP2_CONFIG_H
#define KAPSEL_NGHTTP2_CONFIG_H

#define HAVE_ARPA_INET_H 1
#define HAVE_TIME_H 1

#endif /* KAPSEL_NGHTTP2_CONFIG_H */
