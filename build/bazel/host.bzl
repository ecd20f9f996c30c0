"""Host-side C: the project's warning flags, and unit tests under ASan/UBSan with cmocka."""

HOST_COPTS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-D_DEFAULT_SOURCE"]

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

def host_unit_test(name, srcs, deps = [], copts = []):
    """A cmocka unit test built with ASan and UBSan; any sanitizer report fails it."""
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps,
        copts = HOST_COPTS + SANITIZE + copts,
        linkopts = SANITIZE + ["-lcmocka"],
        size = "small",
    )

def host_library_under_test(name, srcs, hdrs = [], includes = [], copts = [], deps = [], defines = []):
    """Portable code (e.g. kernel core logic) compiled for the host, sanitized, for unit tests.

    copts apply to srcs only (third-party code may relax warnings there); defines also reach dependents.
    """
    native.cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        includes = includes,
        deps = deps,
        defines = defines,
        copts = HOST_COPTS + SANITIZE + copts,
        testonly = True,
    )
