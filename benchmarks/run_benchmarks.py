#!/usr/bin/env python3
"""Boots the IPC benchmark twice in one invocation and prints a table.

- QEMU with -icount shift=0: the guest TSC counts guest instructions, so the
  figures are deterministic instruction counts.
- Plain TCG: the TSC runs with (emulated) time; noisy, shown for comparison.
Ratios against the null system call of the same run make the runs comparable;
the Fiasco.OC figures are the reference measured on these machines (PLATFORM.md).
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration_tests"))
import qemu_runner  # noqa: E402

LINE = re.compile(r"bench (\S+) min (\d+) median (\d+) iterations (\d+)")
REFERENCE = {  # measured on these machines, same QEMU (PLATFORM.md)
    "null_syscall": ("Fiasco 165 instr", None),
    "ipc_call_reply_two_tasks": ("Fiasco 1,216 instr", "29.7k ticks"),
    "vm_exit_round_trip": ("bare VMRUN loop", "~43k ticks"),
}
TARGET = {
    "null_syscall": "<= 100 instr",
    "ipc_call_reply_two_tasks": "<= 600 instr",
    "vm_exit_round_trip": "<= 2x bare loop",
}


def run(kernel, archive, log, extra):
    verdict = qemu_runner.run_qemu("q35", kernel, archive, "", log, 600,
                                   until="^roottask: all Micro-Apps finished", extra=extra)
    if not verdict.ok:
        sys.exit("benchmark run failed: %s (log %s)" % (verdict.reason, log))
    with open(log, encoding="utf-8", errors="replace") as handle:
        return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in map(LINE.search, handle) if m}


def guest_seconds_at_init(log_path):
    """The guest kernel's own timestamp on its /init line: seconds from the kernel's start to /init."""
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        found = re.search(r"\[ *([0-9.]+)\] KAPSEL-GUEST-INIT", handle.read())
    return float(found.group(1)) if found else None


def linux_boot_seconds(kernel, archive, log_dir, guest_kernel, initramfs, extra_command_line="", name="linux"):
    """Seconds to the guest's /init line under Kapsel and under QEMU's microvm, in two ways: from QEMU's start
    (for Kapsel: host boot, root task and uvmm included) and from the guest kernel's start (its own clock).

    Both guests get the same command line and the TSC rate the uvmm measured (tsc_early_khz): without a
    reference timer of its own, Linux on QEMU's microvm under TCG otherwise sometimes fails to calibrate.
    """
    init_line = "KAPSEL-GUEST-INIT"
    kapsel_log = os.path.join(log_dir, "bench-%s-kapsel.log" % name)
    kapsel = qemu_runner.run_qemu("q35", kernel, archive, "", kapsel_log, 300, until=init_line, extra=["-m", "1G"])
    with open(kapsel_log, encoding="utf-8", errors="replace") as handle:
        tsc = re.search(r"TSC (\d+) kHz", handle.read())
    if not kapsel.ok or not tsc:
        return None
    reference_log = os.path.join(log_dir, "bench-%s-microvm.log" % name)
    reference = qemu_runner.run_qemu("microvm", guest_kernel, initramfs,
                                     "console=ttyS0 panic=-1 %stsc_early_khz=%s" % (extra_command_line, tsc.group(1)),
                                     reference_log, 300, until=init_line)
    if not reference.ok:
        return None
    return (kapsel.seconds, reference.seconds, guest_seconds_at_init(kapsel_log),
            guest_seconds_at_init(reference_log))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--archive", required=True)
    parser.add_argument("--log-dir", default="out")
    parser.add_argument("--linux-archive", help="root task, uvmm and the guest kernel (boot-time figure)")
    parser.add_argument("--guest-kernel", help="the same guest kernel, for QEMU's own microvm boot")
    parser.add_argument("--initramfs", help="the guest's initramfs")
    parser.add_argument("--linux-quiet-archive", help="the same VM with the command line's 'quiet'")
    args = parser.parse_args()
    instructions = run(args.kernel, args.archive, os.path.join(args.log_dir, "bench-icount.log"),
                       ["-icount", "shift=0"])
    ticks = run(args.kernel, args.archive, os.path.join(args.log_dir, "bench-tcg.log"), [])
    base_instructions = instructions["null_syscall"][0]
    header = ("measurement", "instr min", "instr median", "x null", "ticks min", "ticks median",
              "reference", "target")
    rows = []
    for name in ("null_syscall", "ipc_call_reply_same_task", "ipc_call_reply_two_tasks", "vm_exit_round_trip"):
        if name not in instructions or name not in ticks:
            print("%s: not measured (see the logs in %s)" % (name, args.log_dir))
            continue
        i_min, i_median = instructions[name]
        t_min, t_median = ticks[name]
        reference = REFERENCE.get(name, ("-", None))
        rows.append((name, str(i_min), str(i_median), "%.1f" % (i_min / base_instructions), str(t_min),
                     str(t_median), " / ".join(r for r in reference if r), TARGET.get(name, "-")))
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    with open(os.path.join(args.log_dir, "bench-icount.log"), encoding="utf-8", errors="replace") as handle:
        for line in handle:
            memory = re.search(r"bench vm_kernel_bytes (\d+) (.*)", line)
            if memory:
                print("kernel memory per VM: %.1f KiB %s (target: VM overhead <= 1 MiB)" %
                      (int(memory.group(1)) / 1024, memory.group(2)))
    runs = [("console=ttyS0", args.linux_archive, "", "linux"),
             ("console=ttyS0 quiet", args.linux_quiet_archive, "quiet ", "linux-quiet")]
    for label, archive, extra, name in runs:
        if not archive:
            continue
        seconds = linux_boot_seconds(args.kernel, archive, args.log_dir, args.guest_kernel, args.initramfs, extra, name)
        if not seconds:
            print("Linux to /init (%s): not measured (see bench-%s-*.log)" % (label, name))
            continue
        print("Linux to /init (%s) from QEMU's start: %.1f s under Kapsel (host boot, root task, uvmm), %.1f s "
              "under QEMU microvm: ratio %.2f (target <= 1.2)" % (label, seconds[0], seconds[1], seconds[0] / seconds[1]))
        if seconds[2] and seconds[3]:
            print("Linux to /init (%s) from the guest kernel's start (its clock): %.2f s under Kapsel, %.2f s under "
                  "QEMU microvm: ratio %.2f" % (label, seconds[2], seconds[3], seconds[2] / seconds[3]))
    print("10,000 iterations each; instructions under -icount shift=0 (deterministic), ticks under plain TCG.")
    print("Measured under QEMU emulation, not on hardware: compare ratios, not absolute cycles.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
