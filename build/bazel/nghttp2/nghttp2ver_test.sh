#!/usr/bin/env bash
# Checks build/bazel/nghttp2/include/nghttp2/nghttp2ver.h against nghttp2's source: the version of AC_INIT in
# configure.ac, turned into NGHTTP2_VERSION and NGHTTP2_VERSION_NUM the way configure.ac does, and the template
# (nghttp2ver.h.in) still defining exactly these two macros.
# Usage: nghttp2ver_test.sh <nghttp2ver.h> <configure.ac> <nghttp2ver.h.in>
set -euo pipefail

header="$1"
configure_ac="$2"
template="$3"

version="$(sed -n 's/^AC_INIT(\[nghttp2\], \[\([^]]*\)\].*/\1/p' "$configure_ac")"
if [[ -z "$version" ]]; then
    echo "FAIL: no AC_INIT([nghttp2], [<version>]...) in $configure_ac" >&2
    exit 1
fi
# As configure.ac computes PACKAGE_VERSION_NUM: the digits of each part, the patch part before any '-'.
major="$(echo "$version" | cut -d. -f1 | sed -e 's/[^0-9]//g')"
minor="$(echo "$version" | cut -d. -f2 | sed -e 's/[^0-9]//g')"
patch="$(echo "$version" | cut -d. -f3 | cut -d- -f1 | sed -e 's/[^0-9]//g')"
number="$(printf '0x%02x%02x%02x' "$major" "$minor" "$patch")"

expected="$(printf '#define NGHTTP2_VERSION "%s"\n#define NGHTTP2_VERSION_NUM %s' "$version" "$number")"
actual="$(grep -E '^#define NGHTTP2_VERSION(_NUM)? ' "$header")"
if [[ "$actual" != "$expected" ]]; then
    printf 'FAIL: %s says\n%s\nbut the source (%s) is\n%s\n' "$header" "$actual" "$version" "$expected" >&2
    exit 1
fi

macros="$(grep -oE '^#define [A-Z0-9_]+ "?@[A-Z_]+@' "$template" | cut -d' ' -f2 | sort | tr '\n' ' ')"
if [[ "$macros" != "NGHTTP2_VERSION NGHTTP2_VERSION_NUM " ]]; then
    echo "FAIL: $template now defines: $macros(the port's header has NGHTTP2_VERSION and NGHTTP2_VERSION_NUM)" >&2
    exit 1
fi
echo "PASS: nghttp2ver.h matches nghttp2 $version ($number)"
