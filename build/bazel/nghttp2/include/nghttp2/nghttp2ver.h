/*
 * nghttp2's version header, which its source ships only as lib/includes/nghttp2/nghttp2ver.h.in for configure to
 * fill in. The version is that of AC_INIT in the source's configure.ac; //build/bazel/nghttp2:nghttp2ver_test fails
 * when it no longer is (a new Debian upload), so that this file is updated with it.
 */
#ifndef NGHTTP2VER_H
#define NGHTTP2VER_H

/* The version of the nghttp2 release. */
#define NGHTTP2_VERSION "1.52.0"

/* The version as 0xMMmmpp: 8 bits each for major, minor and patch number. */
#define NGHTTP2_VERSION_NUM 0x013400

#endif /* NGHTTP2VER_H */
