#!/usr/bin/env python3
"""The Linux guest's test disks and what the uvmm must report about them.

linux-data.ext4 (//integration_tests:linux_data_ext4) holds known.txt, whose bytes this module defines
(the genrule writes them with `linux_disks.py known-txt`); the guest's /init mounts it read-only as
/dev/vda and prints "KAPSEL-BLK-SHA256: <sha256 of known.txt>". linux-scratch.img
(//integration_tests:linux_scratch_img) is 1 MiB of zeros; the guest writes "KAPSEL-WRITE <token>\\n"
at byte offset 4096 of /dev/vdb, so the uvmm's end line "<vm>: disk <file>: sha256 <hex>" for it must
give scratch_sha256_after_write(image, token).

Command line: `linux_disks.py known-txt` writes known.txt to stdout; `linux_disks.py known-sha256`
prints its sha256; `linux_disks.py scratch-sha256 <image> <token>` prints the scratch disk's sha256
after the guest's write.
"""

import hashlib
import re
import sys

SCRATCH_WRITE_OFFSET = 4096
SCRATCH_SIZE = 1024 * 1024


def known_txt():
    """The fixed content of known.txt: 64 numbered lines of 64 bytes each (4 KiB)."""
    lines = []
    for number in range(64):
        text = "kapsel virtio-blk known.txt line %02d of 64: %08x" % (number, (number * 0x9E3779B1) % 2 ** 32)
        lines.append(text.ljust(63, ".") + "\n")
    return "".join(lines).encode("ascii")


def known_txt_sha256():
    """What the guest prints as KAPSEL-BLK-SHA256."""
    return hashlib.sha256(known_txt()).hexdigest()


def scratch_write(token):
    """The bytes the guest writes to the scratch disk at SCRATCH_WRITE_OFFSET."""
    return ("KAPSEL-WRITE %s\n" % token).encode("ascii")


def scratch_after_write(image_bytes, token):
    """The scratch disk's content after the guest's write."""
    record = scratch_write(token)
    end = SCRATCH_WRITE_OFFSET + len(record)
    if end > len(image_bytes):
        raise ValueError("the scratch image (%d bytes) is too small for the guest's write" % len(image_bytes))
    return image_bytes[:SCRATCH_WRITE_OFFSET] + record + image_bytes[end:]


def scratch_sha256_after_write(image_path, token):
    """The sha256 the uvmm must report for the scratch disk (the file at image_path, unchanged by the uvmm,
    which works on its own copy) once the guest with kapsel.token=token has run."""
    with open(image_path, "rb") as handle:
        return hashlib.sha256(scratch_after_write(handle.read(), token)).hexdigest()


def file_sha256(path):
    """The sha256 of a file as it is (e.g. the read-only ext4 disk, which the uvmm must report unchanged)."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def guest_lines(token):
    """Regular expressions for the lines the guest's /init prints with kapsel.devices=1 kapsel.token=token
    when it has both disks, the rng and vsock (each matches a whole line, without the uvmm's prefix)."""
    return [
        re.escape("KAPSEL-TOKEN: %s" % token),
        re.escape("KAPSEL-BLK-SHA256: %s" % known_txt_sha256()),
        re.escape("KAPSEL-BLK-WRITE: ok"),
        r"KAPSEL-RNG: [0-9a-f]{64}",
        re.escape("KAPSEL-VSOCK: echoed %d bytes" % len("hello-from-%s" % token)),
    ]


def main(argv):
    if argv[1:] == ["known-txt"]:
        sys.stdout.buffer.write(known_txt())
    elif argv[1:] == ["known-sha256"]:
        print(known_txt_sha256())
    elif len(argv) == 4 and argv[1] == "scratch-sha256":
        print(scratch_sha256_after_write(argv[2], argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
