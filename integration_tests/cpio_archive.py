"""The files of a cpio newc archive, as the boot archives are (build/bazel/boot_archive.bzl): for the tests and
benchmarks that look inside the archive a host booted."""


def members(path):
    """{name: bytes} of the archive at path, up to its trailer."""
    with open(path, "rb") as archive:
        data = archive.read()
    files = {}
    offset = 0
    while offset + 110 <= len(data) and data[offset:offset + 6] == b"070701":
        fields = [int(data[offset + 6 + 8 * i:offset + 14 + 8 * i], 16) for i in range(13)]
        size, name_size = fields[6], fields[11]
        name = data[offset + 110:offset + 110 + name_size - 1].decode("utf-8", errors="replace")
        start = (offset + 110 + name_size + 3) & ~3
        if name == "TRAILER!!!":
            break
        files[name] = data[start:start + size]
        offset = (start + size + 3) & ~3
    return files
