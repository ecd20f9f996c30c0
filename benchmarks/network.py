#!/usr/bin/env python3
"""The throughput figure of issue 6: bytes from the host into the system over one TCP connection.

- Kapsel: q35 with a modern virtio-net on QEMU's user-mode network (hostfwd to 10.0.2.15:9000); pci_bus hands the
  function to the nic driver Micro-App, which joins the switch as its uplink; the agent's TCP sink counts the bytes
  and answers "<bytes> bytes" once the host has closed its side (benchmarks/network/manifest.txt).
- Reference: QEMU's own microvm booting the guest kernel and the test initramfs with virtio-net-device on the same
  kind of user-mode network; the guest's busybox nc reads the bytes to /dev/null (kapsel.sink=9000, linux/init).

The host sends the same bytes to both over one connection and times it from the connect to the guest's close (and,
for the agent, its count, which must equal what was sent). Boot time is not part of the figure.

And VM to VM (with --vm-archive), one TCP connection from one Linux guest to another, in the same invocation:
- Kapsel: one q35 boot, two uvmm Linux microVMs on tenant network 1 of the switch (benchmarks/network/
  vm-to-vm-manifest.txt, the kernel and initramfs of integration_tests/linux); linux/init's kapsel.stream: the sender
  sends kapsel.stream_mib MiB (one MiB of random bytes, repeated) to the receiver, which confirms on the connection.
- Reference: the same kernel, initramfs, RAM and command lines (read from the archive's own manifest) on two QEMU
  microvm processes joined by QEMU's socket network (-netdev socket listen= / connect=: the frames over one host TCP
  connection), each with a host core to itself, and again with both processes pinned to one host core (Kapsel's q35
  has one emulated CPU for both guests, their uvmms and the switch).
The figure is timed by the sending guest's own clock (its kernel-log timestamps, the TSC at the rate Linux was told)
from right before nc connects to the receiver's confirmation that all the bytes arrived; the receiver's count and
SHA-256 must equal the sender's, or the benchmark fails. The host also notes when those two console lines arrived (a
check on the guest clock, to the console's latency and a 10 ms poll).
"""

import argparse
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration_tests"))
import qemu_runner  # noqa: E402
import cpio_archive  # noqa: E402

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


# VM to VM ---------------------------------------------------------------------------------------------------------

STREAM_LINE = re.compile(r"^(?:\[(?P<vm>[\w.-]+)\] guest: )?\[ *(?P<seconds>[0-9]+\.[0-9]+)\] "
                         r"(?P<what>KAPSEL-STREAM|KAPSEL-FAIL): (?P<rest>.*)$")
# Offload feature bits of virtio-net (VIRTIO 1.2, 5.1.3): checksums, TSO/UFO either way.
OFFLOAD_BITS = {0: "CSUM", 1: "GUEST_CSUM", 7: "GUEST_TSO4", 8: "GUEST_TSO6", 9: "GUEST_ECN", 10: "GUEST_UFO",
                11: "HOST_TSO4", 12: "HOST_TSO6", 13: "HOST_ECN", 14: "HOST_UFO"}
OTHER_BITS = {15: "MRG_RXBUF", 29: "EVENT_IDX", 32: "VERSION_1"}


def stream_guests(manifest):
    """{"receive"/"send": (guest command line, uvmm arguments)} from the manifest's uvmm `arguments` lines."""
    guests = {}
    for line in manifest.splitlines():
        words = line.split()
        if not words or words[0] != "arguments" or "--" not in words:
            continue
        separator = words.index("--")
        uvmm, command_line = words[1:separator], words[separator + 1:]
        for word in command_line:
            if word.startswith("kapsel.stream="):
                guests[word.split("=", 1)[1]] = (" ".join(command_line), uvmm)
    return guests


def option(words, name):
    return words[words.index(name) + 1] if name in words else None


def stream_setting(command_line, name, default):
    """kapsel.stream_mib or kapsel.stream_rounds of a guest command line (linux/init's defaults otherwise)."""
    found = re.search(r"\bkapsel\.%s=(\d+)" % name, command_line)
    return int(found.group(1)) if found else default


def stream_round(rest, what):
    """The round number of a "start round <i> try <t>" or "sent round <i>: ..." line, or None."""
    found = re.match(r"%s round (\d+)\b" % what, rest)
    return int(found.group(1)) if found else None


def console_watch(log_path, vm, rounds, seconds):
    """A `during` hook: the host's monotonic times at which the sender's start and sent lines of each round reached
    the console (the log is polled every 10 ms): {round: [start, sent]}. It returns after the last round's sent
    line, a failure, the end of the run or its deadline."""
    def watch():
        deadline = time.monotonic() + seconds
        seen = {}
        offset = 0
        pending = ""
        while time.monotonic() < deadline:
            try:
                with open(log_path, encoding="utf-8", errors="replace") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                    offset = handle.tell()
            except OSError:
                chunk = ""
            now = time.monotonic()
            *lines, pending = (pending + chunk).split("\n")
            for line in lines:
                found = STREAM_LINE.match(line)
                if found and (vm is None or found.group("vm") == vm) and found.group("what") == "KAPSEL-STREAM":
                    rest = found.group("rest")
                    if stream_round(rest, "start") is not None:
                        seen[stream_round(rest, "start")] = [now, None]
                    elif stream_round(rest, "sent") in seen:
                        seen[stream_round(rest, "sent")][1] = now
                        if stream_round(rest, "sent") == rounds:
                            return seen
                if "KAPSEL-FAIL" in line or "reboot: Power down" in line or "all Micro-Apps finished" in line:
                    return seen
            time.sleep(0.01)
        return seen
    return watch


class StreamResult:
    def __init__(self):
        self.rounds = []  # seconds of each round on the sender's clock
        self.host_rounds = []  # seconds of each round between its console lines, on the host's clock
        self.mib = None
        self.features = {}  # role: the feature bits string
        self.problems = []
        self.notes = []

    @property
    def seconds(self):
        """The median round."""
        return sorted(self.rounds)[len(self.rounds) // 2] if self.rounds else None

    @property
    def host_seconds(self):
        return sorted(self.host_rounds)[len(self.host_rounds) // 2] if self.host_rounds else None


def judge_stream(result, log_paths, command_line, watched):
    """Fills result from the console logs, {"send": (path, vm name or None), "receive": (...)}, and the sender's
    command line (how many bytes, how many rounds)."""
    expected_bytes = stream_setting(command_line, "stream_mib", 32) * MIB
    rounds = stream_setting(command_line, "stream_rounds", 1)
    lines = {}
    for role, (path, vm) in log_paths.items():
        lines[role] = []
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    found = STREAM_LINE.match(line.rstrip("\n"))
                    if found and (vm is None or found.group("vm") == vm):
                        lines[role].append((float(found.group("seconds")), found.group("what"), found.group("rest")))
        except OSError as error:
            result.problems.append(str(error))
    for role, entries in lines.items():
        for _, what, rest in entries:
            if what == "KAPSEL-FAIL":
                result.problems.append("%s: %s" % (role, rest))
            elif rest.startswith("eth0 virtio features "):
                result.features[role] = rest.split()[-1]
    sending = [re.match(r"sending (\d+) bytes sha256 (\w+)", rest) for _, _, rest in lines.get("send", [])]
    sending = [found.groups() for found in sending if found]
    if not sending:
        result.problems.append("the sender announced no transfer")
        return result
    sent_bytes, sent_sum = sending[-1]
    if int(sent_bytes) != expected_bytes:
        result.problems.append("the sender sent %s bytes, not the %d its command line asks for" %
                               (sent_bytes, expected_bytes))
    starts, ends = {}, {}
    for t, _, rest in lines.get("send", []):
        if stream_round(rest, "start") is not None:
            starts[stream_round(rest, "start")] = t  # the last try's
        elif stream_round(rest, "sent") is not None:
            ends[stream_round(rest, "sent")] = t
    received = {}
    for _, _, rest in lines.get("receive", []):
        found = re.match(r"received round (\d+): (\d+) bytes sha256 (\w+)", rest)
        if found:
            received[int(found.group(1))] = found.group(2, 3)
    for number in range(1, rounds + 1):
        if number not in starts or number not in ends:
            result.problems.append("round %d: the sender printed no complete transfer" % number)
            continue
        if number not in received:
            result.problems.append("round %d: the receiver printed no count" % number)
            continue
        received_bytes, received_sum = received[number]
        if received_bytes != sent_bytes:
            result.problems.append("round %d: %s bytes received, %s sent" % (number, received_bytes, sent_bytes))
        elif received_sum != sent_sum:
            result.problems.append("round %d: SHA-256 of what arrived %s, of what was sent %s" %
                                   (number, received_sum, sent_sum))
        result.rounds.append(ends[number] - starts[number])
        host = (watched or {}).get(number)
        if host and host[1] is not None:
            result.host_rounds.append(host[1] - host[0])
    if result.problems:
        result.rounds = []
    result.mib = int(sent_bytes) / MIB
    return result


def measure_vm_kapsel(kernel, archive, log_dir, guests, timeout):
    log = os.path.join(log_dir, "bench-network-vm-kapsel.log")
    result = StreamResult()
    sender = option(guests["send"][1], "--name")
    receiver = option(guests["receive"][1], "--name")
    rounds = stream_setting(guests["send"][0], "stream_rounds", 1)
    verdict = qemu_runner.run_qemu("q35", kernel, archive, "", log, timeout,
                                   until="^roottask: all Micro-Apps finished|KAPSEL-FAIL", extra=["-m", "1G"],
                                   during=console_watch(log, sender, rounds, timeout))
    if not verdict.ok:
        result.problems.append("%s (log %s)" % (verdict.reason, log))
    judge_stream(result, {"send": (log, sender), "receive": (log, receiver)}, guests["send"][0], verdict.during)
    with open(log, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    drops = []
    for vm in (sender, receiver):
        found = re.search(r"^\[%s\] net: (\d+) frames sent, (\d+) received; dropped: (\d+) link full" % vm,
                          text, re.MULTILINE)
        if found:
            drops.append("%s %s of %s" % (vm, found.group(3), found.group(1)))
    switch_drops = sum(int(n) for n in re.findall(r"^\[switch\] port .*, (\d+) dropped at full destinations",
                                                  text, re.MULTILINE))
    if drops:
        result.notes.append("Kapsel frames dropped (TCP sends them again), by the uvmms because their link to the "
                            "switch was full: %s; by the switch at full destinations: %d" %
                            (", ".join(drops), switch_drops))
    tsc = re.search(r"^\[%s\] TSC (\d+) kHz" % sender, text, re.MULTILINE)
    if tsc:
        result.notes.append("Kapsel sender's clock: the TSC at %s kHz (measured by its uvmm)" % tsc.group(1))
    return result


def listening(port):
    """True once something listens on 127.0.0.1:port (from /proc/net/tcp, without connecting to it)."""
    wanted = "0100007F:%04X" % port
    try:
        with open("/proc/net/tcp", encoding="ascii") as handle:
            return any(fields[1] == wanted and fields[3] == "0A" for fields in (line.split() for line in handle)
                       if len(fields) > 3)
    except OSError:
        return False


def measure_vm_reference(guest_kernel, initramfs, log_dir, guests, timeout, cpu=None):
    """Two microvm QEMU processes joined by -netdev socket; with cpu, both (all their threads) on that host CPU."""
    name = "bench-network-vm-microvm%s" % ("-one-core" if cpu is not None else "")
    logs = {role: os.path.join(log_dir, "%s-%s.log" % (name, role)) for role in ("receive", "send")}
    result = StreamResult()
    port = free_host_port()
    khz = host_tsc_khz()
    verdicts = {}

    def boot(role, netdev, until, during=None):
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})  # this thread's; the QEMU it starts inherits it
        command_line, uvmm = guests[role]
        extra = ["-m", option(uvmm, "--ram") or "128M", "-netdev", "socket,id=n0,%s=127.0.0.1:%d" % (netdev, port),
                 "-device", "virtio-net-device,netdev=n0,mac=%s" % option(uvmm, "--mac")]
        append = "%s%s" % (command_line, " tsc_early_khz=%d" % khz if khz else "")
        verdicts[role] = qemu_runner.run_qemu("microvm", guest_kernel, initramfs, append, logs[role], timeout,
                                              until=until, extra=extra, during=during)

    rounds = stream_setting(guests["send"][0], "stream_rounds", 1)
    receiver = threading.Thread(target=boot, args=("receive", "listen",
                                                   "KAPSEL-STREAM: received round %d:|KAPSEL-FAIL" % rounds))
    receiver.start()
    # QEMU's connect side gives up at once if nobody listens yet.
    deadline = time.monotonic() + 10
    while not listening(port) and receiver.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    # The sender's run ends at its power-off, after its nc has closed the last connection (the receiver waits for
    # that), not at its last "sent" line.
    sender = threading.Thread(target=boot, args=("send", "connect", "reboot: Power down|KAPSEL-FAIL",
                                                 console_watch(logs["send"], None, rounds, timeout)))
    sender.start()
    sender.join()
    receiver.join()
    for role, verdict in sorted(verdicts.items()):
        if not verdict.ok:
            result.problems.append("%s: %s (log %s)" % (role, verdict.reason, logs[role]))
    watched = verdicts["send"].during if "send" in verdicts else None
    judge_stream(result, {role: (path, None) for role, path in logs.items()}, guests["send"][0], watched)
    if khz:
        result.notes.append("reference clocks: the TSC at %d kHz (the host's, from /proc/cpuinfo)" % khz)
    return result


def feature_summary(kapsel, reference):
    """One line on the virtio-net features both negotiated (offloads decide the frame sizes)."""
    def names(bits, table):
        return [label for bit, label in sorted(table.items()) if len(bits) > bit and bits[bit] == "1"]
    parts = []
    offloads = []
    for label, result in (("Kapsel", kapsel), ("reference", reference)):
        bits = result.features.get("send") or result.features.get("receive") if result else None
        if not bits:
            continue
        offloads += names(bits, OFFLOAD_BITS)
        parts.append("%s %s" % (label, " ".join(names(bits, OTHER_BITS)) or "none of MRG_RXBUF EVENT_IDX VERSION_1"))
        if len(bits) > 32 and bits[32] == "0":
            parts[-1] += " (a legacy virtio device)"
    if not parts:
        return None
    return "virtio-net features: %s; %s" % ("; ".join(parts), "offloads: " + " ".join(sorted(set(offloads)))
                                            if offloads else "no checksum or segmentation offload on either "
                                            "(frames of at most 1514 bytes, checksums computed by the guests)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--archive", required=True, help="the network benchmark's boot archive (agent with the sink)")
    parser.add_argument("--guest-kernel", required=True, help="the guest kernel, for QEMU's own microvm")
    parser.add_argument("--initramfs", required=True, help="the guest's initramfs (linux/init with kapsel.sink)")
    parser.add_argument("--vm-archive", help="the VM-to-VM boot archive (two Linux guests and the switch); without "
                                             "it, VM to VM is not measured")
    parser.add_argument("--log-dir", default="out")
    parser.add_argument("--mib", type=int, default=8, help="MiB sent over the one connection")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per run")
    args = parser.parse_args()
    # Not compressible and not all zero, the same bytes for both runs.
    payload = (os.urandom(MIB) * args.mib)[:args.mib * MIB]
    reference, reference_problem = measure_microvm(args.guest_kernel, args.initramfs, args.log_dir, payload,
                                                   args.timeout)
    kapsel, kapsel_problem = measure_kapsel(args.kernel, args.archive, args.log_dir, payload, args.timeout)
    header = ("path", "MiB sent", "seconds", "clock", "MiB/s", "x reference")
    rows = []
    failed = False
    for name, seconds, problem in (
            ("host -> nic driver -> switch -> agent (Kapsel, q35 virtio-net-pci)", kapsel, kapsel_problem),
            ("host -> Linux nc (QEMU microvm, virtio-net-device): reference", reference, reference_problem)):
        if seconds is None:
            rows.append((name, str(args.mib), "not measured", "-", "-", "-"))
            print("%s: not measured: %s" % (name, problem))
            failed = True
            continue
        ratio = "%.2f" % ((args.mib / seconds) / (args.mib / reference)) if reference else "-"
        rows.append((name, str(args.mib), "%.2f" % seconds, "host", "%.2f" % (args.mib / seconds), ratio))

    notes = []
    if args.vm_archive:
        manifest = cpio_archive.members(args.vm_archive).get("manifest.txt", b"").decode("utf-8")
        guests = stream_guests(manifest)
        if set(guests) != {"send", "receive"}:
            sys.exit("%s: its manifest has no kapsel.stream=send and kapsel.stream=receive guests" % args.vm_archive)
        vm_kapsel = measure_vm_kapsel(args.kernel, args.vm_archive, args.log_dir, guests, args.timeout)
        vm_reference = measure_vm_reference(args.guest_kernel, args.initramfs, args.log_dir, guests, args.timeout)
        one_core = min(os.sched_getaffinity(0))
        vm_one_core = measure_vm_reference(args.guest_kernel, args.initramfs, args.log_dir, guests, args.timeout,
                                           cpu=one_core)
        vm_rows = (
            ("VM -> switch -> VM (Kapsel: two uvmm Linux guests, q35, 1 CPU)", vm_kapsel, (vm_reference, vm_one_core)),
            ("VM -> VM (2 QEMU microvm, -netdev socket): reference", vm_reference, None),
            ("VM -> VM (the same, both QEMUs on host CPU %d): reference" % one_core, vm_one_core, None))
        for name, result, references in vm_rows:
            if result.problems or result.seconds is None:
                failed = True
                rows.append((name, "-", "FAILED", "-", "-", "-"))
                for problem in result.problems or ["no figure"]:
                    print("%s: FAILED: %s" % (name, problem))
                continue
            if references is None:
                ratio = "1.00" if result is vm_reference else "1.00 (1 CPU)"
            else:
                ratios = ["%.2f" % (references[i].seconds / result.seconds)
                          if references[i].seconds else "-" for i in range(2)]
                ratio = "%s (%s vs 1 CPU)" % tuple(ratios)
            rows.append((name, "%g" % result.mib, "%.2f" % result.seconds, "sender guest",
                         "%.2f" % (result.mib / result.seconds), ratio))
        labelled = (("Kapsel", vm_kapsel), ("reference", vm_reference), ("reference on one CPU", vm_one_core))
        notes.append("VM -> VM rounds of %g MiB, seconds on the sender's clock (the table has the median): %s" % (
            vm_kapsel.mib or vm_reference.mib or 0,
            "; ".join("%s %s" % (label, " ".join("%.2f" % t for t in result.rounds)) for label, result in labelled
                      if result.rounds)))
        checks = ["%s %.2f s" % (label, result.host_seconds) for label, result in labelled
                  if result.host_seconds is not None]
        if checks:
            notes.append("the same medians on the host's clock (between the console lines, polled): " +
                         ", ".join(checks))
        features = feature_summary(vm_kapsel, vm_reference)
        if features:
            notes.append(features)
        for result in (vm_kapsel, vm_reference):
            notes.extend(result.notes)
    else:
        rows.append(("VM -> switch -> VM (two uvmm guests)", "-", "not measured", "-", "-", "-"))
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print("host rows: one TCP connection from the host through QEMU's user-mode network (hostfwd), timed by the host "
          "from the connect to the guest's close.")
    if args.vm_archive:
        print("VM rows: TCP connections between two Linux guests (same kernel, initramfs, RAM, command lines), each "
              "timed by the sender's kernel clock from right before nc connects to the receiver's confirmation that "
              "every byte arrived; the received count and SHA-256 of every round checked against the sent. Kapsel's "
              "q35 has one emulated CPU for both guests, their uvmms and the switch; the reference's two QEMUs have "
              "a host CPU each, or share one (x reference: Kapsel against each).")
    print("Boot not included. Under QEMU emulation (TCG) the guests' TSC follows the host's clock: seconds, no cycle "
          "or instruction counts. Compare the ratios, not the MiB/s.")
    for note in notes:
        print(note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
