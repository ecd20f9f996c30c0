"""Freestanding ELF images (the kernel, Micro-Apps) built with clang and ld.lld.

Bazel's C++ rules assume a hosted toolchain; these images have their own
flags, their own C library (none for the kernel, newlib for Micro-Apps, see
microapp.bzl) and a linker script, so one small rule compiles each source
with its own action (incremental, parallel) and links the result.

Third-party code (e.g. mbedTLS from .deps/src) comes in as a freestanding_library:
a set of sources with its own include directories, defines and extra flags,
compiled into the image that lists it in `libs`.
"""

_WARNINGS = ["-Wall", "-Wextra", "-Werror", "-std=c11"]

FreestandingLibraryInfo = provider(
    doc = "Sources compiled into a freestanding image with flags of their own, and what the image's code needs to use them.",
    fields = {
        "srcs": "list of File: compiled with the image's flags, this library's defines, then its copts",
        "hdrs": "depset of File: inputs of every compile of the image",
        "include_dirs": "execution-root-relative directories: -I for the library's sources, -isystem for the image's",
        "defines": "NAME or NAME=VALUE (one shell word each): -D for the library's sources and the image's",
        "copts": "flags for the library's own sources only, after the image's (e.g. relaxed warnings)",
    },
)

def _freestanding_library_impl(ctx):
    return [FreestandingLibraryInfo(
        srcs = ctx.files.srcs,
        hdrs = depset(ctx.files.hdrs),
        include_dirs = ctx.attr.include_dirs,
        defines = ctx.attr.defines,
        copts = ctx.attr.copts,
    )]

freestanding_library = rule(
    implementation = _freestanding_library_impl,
    doc = "A set of (third-party) sources for freestanding_image's `libs`; nothing is built until an image uses it.",
    attrs = {
        "srcs": attr.label_list(allow_files = [".c", ".S"]),
        "hdrs": attr.label_list(allow_files = [".h"], doc = "The library's public and private headers."),
        "include_dirs": attr.string_list(
            doc = "Execution-root-relative include directories, e.g. external/<repository>/include.",
        ),
        "defines": attr.string_list(doc = "Macros for the library's sources and for the images that use it."),
        "copts": attr.string_list(doc = "Extra flags for the library's own sources only."),
    },
)

def _compile(ctx, src, hdrs, includes, copts, system_includes = [], late_includes = None):
    # An external repository's source has a short_path of ../<repository>/...; keep its objects under _obj.
    path = "external/" + src.short_path[3:] if src.short_path.startswith("../") else src.short_path
    obj = ctx.actions.declare_file("_obj/%s/%s.o" % (ctx.label.name, path))
    if late_includes == None:
        late_includes = ctx.attr.late_include_dirs
    include_flags = " ".join(
        ["-I%s" % d for d in includes] +
        ["-idirafter %s" % d for d in late_includes],
    )

    # A C library's headers come before clang's own, which would otherwise provide stdint.h and friends.
    system_include_flags = "".join(["-isystem %s " % d for d in ctx.attr.system_include_dirs + system_includes])
    cmd = (
        "clang --target=%s -ffreestanding -nostdinc " % ctx.attr.target +
        system_include_flags +
        "-isystem \"$(clang -print-resource-dir)/include\" " +
        " ".join(_WARNINGS + copts) +
        " %s -c %s -o %s" % (include_flags, src.path, obj.path)
    )
    ctx.actions.run_shell(
        inputs = depset([src], transitive = [hdrs]),
        outputs = [obj],
        command = cmd,
        mnemonic = "FreestandingCompile",
        progress_message = "Compiling (freestanding) %s" % src.short_path,
        use_default_shell_env = True,
    )
    return obj

def _freestanding_image_impl(ctx):
    libs = [lib[FreestandingLibraryInfo] for lib in ctx.attr.libs]
    hdrs = depset(ctx.files.hdrs, transitive = [lib.hdrs for lib in libs])
    includes = [ctx.label.package + "/" + d if d != "." else ctx.label.package for d in ctx.attr.includes]
    includes += ctx.attr.include_dirs

    # The image's own sources see the libraries' headers as system headers (their warnings are not ours).
    lib_includes = [d for lib in libs for d in lib.include_dirs]
    lib_defines = ["-D%s" % d for lib in libs for d in lib.defines]
    objs = [
        _compile(ctx, src, hdrs, includes, ctx.attr.copts + lib_defines, system_includes = lib_includes)
        for src in ctx.files.srcs
    ]

    # A library's sources: the image's flags, then the library's own; none of the image's include directories.
    for lib in libs:
        lib_copts = ctx.attr.copts + ["-D%s" % d for d in lib.defines] + lib.copts
        objs += [_compile(ctx, src, hdrs, lib.include_dirs, lib_copts, late_includes = []) for src in lib.srcs]
    image = ctx.actions.declare_file(ctx.label.name)
    command = "ld.lld %s -T %s -o %s %s" % (
        " ".join(ctx.attr.linkopts),
        ctx.file.linker_script.path,
        image.path,
        " ".join([o.path for o in objs]),
    )
    if ctx.attr.entry:
        command += " --entry=%s" % ctx.attr.entry
    if ctx.files.link_inputs:
        command += " " + " ".join([f.path for f in ctx.files.link_inputs])
    ctx.actions.run_shell(
        inputs = objs + [ctx.file.linker_script] + ctx.files.link_inputs,
        outputs = [image],
        command = command,
        mnemonic = "FreestandingLink",
        progress_message = "Linking %s" % image.short_path,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([image]))]

freestanding_image = rule(
    implementation = _freestanding_image_impl,
    doc = "Compiles C and assembly sources with clang for a bare target and links them with ld.lld.",
    attrs = {
        "srcs": attr.label_list(allow_files = [".c", ".S"]),
        "hdrs": attr.label_list(allow_files = [".h"]),
        "includes": attr.string_list(doc = "Include directories, relative to the package."),
        "include_dirs": attr.string_list(
            doc = "More -I directories, relative to the execution root: a workspace path such as " +
                  "lib/include, or external/<repository>/... for an external repository.",
        ),
        "system_include_dirs": attr.string_list(
            doc = "-isystem directories (execution-root relative), searched before clang's own headers: " +
                  "a C library's.",
        ),
        "late_include_dirs": attr.string_list(
            doc = "-idirafter directories (execution-root relative), searched after every other, so that " +
                  "other headers there (kernel/include has the kernel's string.h) cannot shadow the C library's.",
        ),
        "copts": attr.string_list(),
        "libs": attr.label_list(
            providers = [FreestandingLibraryInfo],
            doc = "freestanding_library targets compiled into the image, each with its own flags.",
        ),
        "linkopts": attr.string_list(),
        "linker_script": attr.label(allow_single_file = True, mandatory = True),
        "link_inputs": attr.label_list(
            allow_files = [".a", ".o"],
            doc = "Archives and objects linked after the sources' objects (ld.lld needs no particular order).",
        ),
        "entry": attr.string(doc = "Entry symbol (--entry), overriding the linker script's ENTRY()."),
        "target": attr.string(default = "x86_64-none-elf"),
    },
)
