"""Freestanding ELF images (the kernel, Micro-Apps) built with clang and ld.lld.

Bazel's C++ rules assume a hosted toolchain; these images have their own
flags, their own C library (none for the kernel, newlib for Micro-Apps, see
microapp.bzl) and a linker script, so one small rule compiles each source
with its own action (incremental, parallel) and links the result.
"""

_WARNINGS = ["-Wall", "-Wextra", "-Werror", "-std=c11"]

def _compile(ctx, src, hdrs, includes, copts):
    obj = ctx.actions.declare_file("_obj/%s/%s.o" % (ctx.label.name, src.short_path))
    include_flags = " ".join(
        ["-I%s" % d for d in includes] +
        ["-idirafter %s" % d for d in ctx.attr.late_include_dirs],
    )

    # A C library's headers come before clang's own, which would otherwise provide stdint.h and friends.
    system_include_flags = "".join(["-isystem %s " % d for d in ctx.attr.system_include_dirs])
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
    hdrs = depset(ctx.files.hdrs)
    includes = [ctx.label.package + "/" + d if d != "." else ctx.label.package for d in ctx.attr.includes]
    includes += ctx.attr.include_dirs
    objs = [_compile(ctx, src, hdrs, includes, ctx.attr.copts) for src in ctx.files.srcs]
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
