"""Boot archives: several boot files in one cpio newc module (what the kernel's boot_archive.c reads)."""

def boot_archive(name, out, files, manifest = None, visibility = None):
    """A cpio newc archive.

    Args:
      name: the target.
      out: the archive's file name.
      files: {label: name inside the archive}, in archive order.
      manifest: a boot manifest, stored last as "manifest.txt".
      visibility: as for any rule.
    """
    entries = dict(files)
    if manifest:
        entries[manifest] = "manifest.txt"
    copies = ["cp $(location %s) $$dir/%s" % (label, entry) for label, entry in entries.items()]
    names = " ".join(entries.values())
    native.genrule(
        name = name,
        srcs = entries.keys(),
        outs = [out],
        cmd = "\n".join(
            ["dir=$$(mktemp -d)"] + copies + [
                "(cd $$dir && printf '%%s\\n' %s | cpio --quiet -o -H newc --reproducible) > $@" % names,
                "rm -rf $$dir",
            ],
        ),
        visibility = visibility,
    )
