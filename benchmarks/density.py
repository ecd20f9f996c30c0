"""The density figure: how many small Linux microVMs boot and answer at once on a host with 4 GiB of RAM.

Boots the density archive (benchmarks/density/make_manifest.py: up to the manifest's limit of VMs, each
booting to /init, answering over vsock and then staying up) under QEMU with -m 4G and counts, per VM,
whether it answered, could not start, or stopped. Prints the counts and the memory figures the VMs report.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration_tests"))
import qemu_runner  # noqa: E402  (sibling package)

ANSWER = re.compile(r"^\[(d\d{3})\] guest: \[ *[0-9.]+\] KAPSEL-VSOCK: echoed \d+ bytes")
NOT_STARTED = re.compile(r"^(d\d{3}): not started: (.*)")
STOPPED = re.compile(r"^(?:\[(d\d{3})\] )?(d\d{3}): (?:stopped|exited|VM ended): (.*)")
STARTED = re.compile(r"^roottask: (\d+) of (\d+) Micro-Apps started")
FREE = re.compile(r"^roottask: (\d+) KiB of memory free")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--archive", required=True)
    parser.add_argument("--log", default="out/bench-density.log")
    parser.add_argument("--memory", default="4G")
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args()
    command = qemu_runner.qemu_command("q35", args.kernel, args.archive, "", ["-m", args.memory])
    answered, failed, started, total, free_kib = {}, {}, None, None, None
    begin = time.monotonic()
    with open(args.log, "w", encoding="utf-8") as log, \
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as qemu:
        try:
            for raw in qemu.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                log.write("%8.2f %s\n" % (time.monotonic() - begin, line))
                for pattern, table in ((ANSWER, answered), (NOT_STARTED, failed)):
                    found = pattern.search(line)
                    if found:
                        table.setdefault(found.group(1), (time.monotonic() - begin, line))
                found = STOPPED.search(line)
                if found and found.group(2) not in answered:
                    failed.setdefault(found.group(2), (time.monotonic() - begin, line))
                found = STARTED.search(line)
                if found:
                    started, total = int(found.group(1)), int(found.group(2))
                found = FREE.search(line)
                if found and free_kib is None:
                    free_kib = int(found.group(1))
                if total is not None and len(answered) + len(failed) >= total:
                    break
                if time.monotonic() - begin > args.timeout:
                    break
        finally:
            qemu.kill()
    seconds = time.monotonic() - begin
    print("density: %d of %s microVMs answered at once on a %s host (%s started; %.0f s under TCG)"
          % (len(answered), total, args.memory, started, seconds))
    if free_kib:
        print("density: %d KiB free for Micro-Apps after the kernel and root task" % free_kib)
    reasons = {}
    for name, (_, line) in failed.items():
        reason = re.sub(r"0x[0-9a-f]+", "0x...", line.split(": ", 2)[-1])  # addresses differ from VM to VM
        reasons.setdefault(reason, []).append(name)
    for reason, names in sorted(reasons.items(), key=lambda item: -len(item[1])):
        print("density: %d did not: %s (e.g. %s)" % (len(names), reason, names[0]))
    return 0 if answered else 1


if __name__ == "__main__":
    sys.exit(main())
