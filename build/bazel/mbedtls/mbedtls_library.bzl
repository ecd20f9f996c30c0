"""mbedtls_library: mbedTLS sources built with the project's configuration (kapsel_mbedtls_config.h), twice: for
Micro-Apps (freestanding, <name>) and for host tests under ASan/UBSan (<name>_host)."""

load("//build/bazel:freestanding.bzl", "freestanding_library")
load("//build/bazel:host.bzl", "host_library_under_test")

# One shell word: mbedTLS's headers then #include "kapsel_mbedtls_config.h" instead of mbedtls/config.h.
_DEFINES = ["MBEDTLS_CONFIG_FILE='\"kapsel_mbedtls_config.h\"'"]

def mbedtls_library(name, srcs):
    """srcs: filegroups of @mbedtls's library/*.c (build/bazel/mbedtls.BUILD)."""
    freestanding_library(
        name = name,
        srcs = srcs,
        hdrs = [
            "kapsel_mbedtls_config.h",
            "@mbedtls//:headers",
            "@mbedtls//:library_headers",
        ],
        defines = _DEFINES,
        include_dirs = [
            "external/mbedtls/include",
            "build/bazel/mbedtls",
        ],
    )
    host_library_under_test(
        name = name + "_host",
        srcs = srcs + ["@mbedtls//:library_headers"],
        hdrs = ["kapsel_mbedtls_config.h"],
        defines = _DEFINES,
        includes = ["."],
        deps = ["@mbedtls//:public_headers"],
    )
