#!/usr/bin/env python3
"""The throughput figure of issue 6: bytes from the host into the system over one TCP connection.

- Kapsel: q35 with a modern virtio-net on QEMU's user-mode network (hostfwd to 10.0.2.15:9000); pci_bus hands the
  function to the nic driver Micro-App, which joins the switch as its uplink; the agent's TCP sink counts the bytes
  and answers "<bytes> bytes" once the host has closed its side (benchmarks/network/manifest.txt).
- Reference: QEMU's own microvm booting the guest kernel and the test initramfs with virtio-net-device on the same
  kind of user-mode network; the guest's busybox nc reads the bytes to /dev/null (kapsel.sink=9000, linux/init).

The host sends the same bytes to both over one connection and times it from the connect to the guest's close (and,
for the agent, its count, which must equal what was sent). Boot time is not part of the figure.
"""

import argparse
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration_tests"))
import qemu_runner  # noqa: E402

SINK_PORT = 9000
MIB = 1024 * 1024


def free_host_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_line(log_path, pattern, deadline):
    """True once the console log (written by run_qemu as it arrives) has a line matching pattern."""
    while time.monotonic() < deadline:
        try:
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                if re.search(pattern, handle.read(), re.MULTILINE):
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def send_once(port, payload, timeout):
    """Connects, sends payload, closes the sending side and reads to the guest's close: (seconds, answer)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.settimeout(timeout)
        connection.sendall(payload)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return time.monotonic() - started, answer


def sender(port, payload, log_path, ready, expected_answer, seconds):
    """The `during` hook: waits for the guest's ready line, then sends until an attempt gets the expected answer
    (the uplink may come up after the agent's line): (seconds of that attempt or None, the last problem)."""
    def attempt():
        deadline = time.monotonic() + seconds
        if not wait_for_line(log_path, ready, deadline):
            return None, "no %r in the console log" % ready
        problem = "no attempt"
        while time.monotonic() < deadline:
            try:
                elapsed, answer = send_once(port, payload, max(5.0, deadline - time.monotonic()))
                if expected_answer is None or answer == expected_answer:
                    return elapsed, None
                problem = "answer %r, not %r" % (answer[:80], expected_answer)
            except OSError as error:
                problem = str(error)
            time.sleep(0.5)
        return None, problem
    return attempt


def measure_kapsel(kernel, archive, log_dir, payload, timeout):
    port = free_host_port()
    log = os.path.join(log_dir, "bench-network-kapsel.log")
    extra = ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:%d" % (port, SINK_PORT),
             "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]
    expected = b"%d bytes\n" % len(payload)
    verdict = qemu_runner.run_qemu("q35", kernel, archive, "", log, timeout,
                                   until=None, until_during=True, extra=extra,
                                   during=sender(port, payload, log, r"agent \S+: sink on TCP port %d" % SINK_PORT,
                                                 expected, timeout - 10))
    seconds, problem = verdict.during or (None, "no result")
    if not verdict.ok or seconds is None:
        return None, "%s; %s (log %s)" % (verdict.reason, problem, log)
    return seconds, None


def host_tsc_khz():
    """The TSC rate the microvm guest is told (tsc_early_khz): under TCG its TSC runs at the host's, and without a
    reference timer Linux on QEMU's microvm cannot calibrate it. From the host's /proc/cpuinfo ("cpu MHz")."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            found = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", handle.read(), re.MULTILINE)
    except OSError:
        return None
    return int(float(found.group(1)) * 1000) if found else None


def measure_microvm(guest_kernel, initramfs, log_dir, payload, timeout):
    port = free_host_port()
    log = os.path.join(log_dir, "bench-network-microvm.log")
    khz = host_tsc_khz()
    tsc = " tsc_early_khz=%d" % khz if khz else ""
    extra = ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:%d" % (port, SINK_PORT),
             "-device", "virtio-net-device,netdev=n0"]
    verdict = qemu_runner.run_qemu("microvm", guest_kernel, initramfs,
                                   "console=ttyS0 panic=-1 kapsel.sink=%d%s" % (SINK_PORT, tsc), log, timeout,
                                   until="KAPSEL-SINK: done|KAPSEL-FAIL", extra=extra,
                                   during=sender(port, payload, log, "KAPSEL-SINK: listening on %d" % SINK_PORT,
                                                 None, timeout - 10))
    seconds, problem = verdict.during or (None, "no result")
    with open(log, encoding="utf-8", errors="replace") as handle:
        done = "KAPSEL-SINK: done" in handle.read()
    if not verdict.ok or seconds is None or not done:
        return None, "%s; %s (log %s)" % (verdict.reason, problem, log)
    return seconds, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--archive", required=True, help="the network benchmark's boot archive (agent with the sink)")
    parser.add_argument("--guest-kernel", required=True, help="the guest kernel, for QEMU's own microvm")
    parser.add_argument("--initramfs", required=True, help="the guest's initramfs (linux/init with kapsel.sink)")
    parser.add_argument("--log-dir", default="out")
    parser.add_argument("--mib", type=int, default=8, help="MiB sent over the one connection")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per run")
    args = parser.parse_args()
    # Not compressible and not all zero, the same bytes for both runs.
    payload = (os.urandom(MIB) * args.mib)[:args.mib * MIB]
    reference, reference_problem = measure_microvm(args.guest_kernel, args.initramfs, args.log_dir, payload,
                                                   args.timeout)
    kapsel, kapsel_problem = measure_kapsel(args.kernel, args.archive, args.log_dir, payload, args.timeout)
    header = ("path", "MiB sent", "seconds", "MiB/s", "x reference")
    rows = []
    for name, seconds, problem in (
            ("host -> nic driver -> switch -> agent (Kapsel, q35 virtio-net-pci)", kapsel, kapsel_problem),
            ("host -> Linux nc (QEMU microvm, virtio-net-device): reference", reference, reference_problem)):
        if seconds is None:
            rows.append((name, str(args.mib), "not measured", "-", "-"))
            print("%s: not measured: %s" % (name, problem))
            continue
        ratio = "%.2f" % ((args.mib / seconds) / (args.mib / reference)) if reference else "-"
        rows.append((name, str(args.mib), "%.2f" % seconds, "%.2f" % (args.mib / seconds), ratio))
    rows.append(("VM -> switch -> VM (two uvmm guests)", "-", "not measured", "-", "-"))
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    print("One TCP connection from the host through QEMU's user-mode network (hostfwd), timed from the connect to "
          "the guest's close; boot not included. Under QEMU emulation: compare the ratio, not the MiB/s.")
    return 0 if kapsel is not None and reference is not None else 1


if __name__ == "__main__":
    sys.exit(main())
