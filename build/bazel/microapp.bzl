"""Micro-Apps: static ELF images linked with the user-level runtime (lib/runtime) and newlib.

A Micro-App is a freestanding_image whose sources are compiled together with
the runtime's, against newlib's headers, and linked with newlib (libc, libm),
compiler-rt's builtins and lib/runtime/microapp.ld (image at 0x400000,
separate text / read-only / writable segments). See lib/runtime/include/kapsel/runtime.h.
"""

load("//build/bazel:freestanding.bzl", "freestanding_image")

# -D_DEFAULT_SOURCE: newlib hides POSIX and BSD declarations (sbrk, strnlen, ssize_t...) under strict -std=c11.
MICROAPP_COPTS = [
    "-O2",
    "-g",
    "-fno-pic",
    "-mno-red-zone",
    "-D_DEFAULT_SOURCE",
]

# The two start paths (kapsel/runtime.h); a program links exactly one, as each calls its own main.
_START_PATHS = {
    "_start": "//lib/runtime:app_start",
    "_root_start": "//lib/runtime:root_start",
}

def microapp(name, srcs, deps_srcs = [], copts = [], hdrs = [], includes = [], libs = [], entry = "_start"):
    """A Micro-App image named name (conventionally "<app>.elf").

    Args:
      name: the target, and the image's file name.
      srcs: the app's C and assembly sources; one defines int main(int argc, char **argv)
        (or, for the root task, int root_main(const struct root_boot_info *)).
      deps_srcs: further sources compiled and linked in with the same flags (e.g. a library's).
      copts: extra compiler flags.
      hdrs: the app's own headers.
      includes: the app's include directories, relative to its package.
      libs: third-party code as freestanding_library targets (e.g. //build/bazel/mbedtls:sha), compiled in
        with the app's flags plus each library's own; their headers and defines reach the app's sources.
      entry: "_start" for a Micro-App started by the root task, "_root_start" for the root task.
    """
    if entry not in _START_PATHS:
        fail("microapp %s: entry must be one of %s, not %r" % (name, sorted(_START_PATHS.keys()), entry))
    freestanding_image(
        name = name,
        srcs = srcs + deps_srcs + ["//lib/runtime:runtime_srcs", _START_PATHS[entry]],
        hdrs = hdrs + [
            "//lib:headers",
            "//lib/runtime:runtime_hdrs",
            "//kernel:include/kapsel/abi.h",
            "//kernel:include/kapsel/error.h",
            "//kernel:include/kapsel/vcpu_state.h",
            "@newlib//:headers",
        ],
        includes = includes,
        include_dirs = [
            "lib/include",
            "lib/runtime/include",
        ],
        system_include_dirs = ["external/newlib/include"],
        # Only abi.h, error.h and vcpu_state.h of kernel/include are inputs; searched last, its string.h cannot shadow newlib's.
        late_include_dirs = ["kernel/include"],
        copts = MICROAPP_COPTS + copts,
        libs = libs,
        linker_script = "//lib/runtime:microapp.ld",
        linkopts = [
            "--no-dynamic-linker",
            "-z max-page-size=4096",
            # compiler-rt's builtins (e.g. __udivti3): OS-independent, shipped with the host's clang.
            "\"$(clang -print-resource-dir)/lib/linux/libclang_rt.builtins-x86_64.a\"",
        ],
        link_inputs = [
            "@newlib//:libc",
            "@newlib//:libm",
        ],
        entry = entry,
    )
