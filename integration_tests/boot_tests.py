#!/usr/bin/env python3
"""In-QEMU boot tests: the kernel's self tests on each machine, bad boot input, and the harness itself.

Every scenario boots the real kernel image under QEMU (TCG) and asserts on the verdict
and the serial log. Prints one line per scenario and, last, "N passed, N failed".
Kernel self tests count individually: a self-test boot contributes its N passed / N failed.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux_disks  # noqa: E402  (sibling module)
sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "api"))
from test_tokens import read_tokens  # noqa: E402  (the API tests' token file reader)
import qemu_runner  # noqa: E402  (sibling module)


class Scenario:
    def __init__(self, name, check, machine="q35", append="ktest", initrd="archive", timeout=120, extra=(),
                 until=None, during=None, until_during=False):
        self.name = name
        self.until_during = until_during  # the run ends, passed, once `during` has returned
        self.check = check  # check(verdict, log_text) -> error message or None
        self.machine = machine
        self.append = append
        self.initrd = initrd
        self.timeout = timeout
        self.extra = extra
        self.until = until
        self.during = during  # run on the host while the system runs (qemu_runner.run_qemu); check sees its result


def self_tests_pass(verdict, log):
    if not verdict.ok:
        return verdict.reason
    return None


def expect_outcome(outcome, *needles):
    """The run must end with this outcome and the log must contain every needle."""
    def check(verdict, log):
        if verdict.outcome != outcome:
            return "expected outcome %s, got %s (%s)" % (outcome, verdict.outcome, verdict.reason)
        missing = [needle for needle in needles if needle not in log]
        if missing:
            return "log lacks %r" % missing
        return None
    return check


def expect_during(start, witness, end, at_least):
    """Between the first start line and the end line after it, the log must show witness at_least times."""
    def check(verdict, log):
        first = log.find(start)
        last = log.find(end, first + 1) if first >= 0 else -1
        if first < 0 or last < 0:
            return "log lacks %r followed by %r" % (start, end)
        seen = log.count(witness, first, last)
        if seen < at_least:
            return "%d times %r between %r and %r, expected at least %d" % (seen, witness, start, end, at_least)
        return None
    return check


def expect_line(pattern):
    """Some line of the log must match the regular expression pattern as a whole."""
    def check(verdict, log):
        if not re.search("^" + pattern + r"\r?$", log, re.MULTILINE):
            return "log lacks a line matching %r" % pattern
        return None
    return check


def all_of(*checks):
    """Every check must pass; the first failure is the verdict."""
    def check(verdict, log):
        for one in checks:
            error = one(verdict, log)
            if error:
                return error
        return None
    return check


# The uvmm Micro-Apps of the system test manifest: each VM's output and how it ended.
# lwIP in a Micro-App (lib/net/selftest): ARP, ping and a 256 KiB TCP transfer between two interfaces.
NET_LINES = (
    "[net_selftest] net_selftest: ARP 10.0.0.2 -> 02:00:00:00:00:02 (ok)",
    "[net_selftest] net_selftest: ping 10.0.0.1 -> 10.0.0.2 (answered)",
    "[net_selftest] net_selftest: TCP 262144 of 262144 bytes",
    "net_selftest: exited with status 0",
)

# The system-call fuzzer: 200,000 random invocations answered, the kernel still running.
FUZZ_LINES = (
    "[syscall_fuzz] fuzzing done: 2",
    "syscall_fuzz: exited with status 0",
)

VM_LINES = (
    "[vm_basic] guest: hello from the test guest",
    "[vm_basic] guest: CPUID 0x40000000 signature: KapselVMM",
    "[vm_basic] guest hypercall value 0x1234abcd",
    "[vm_basic] guest hypercall value 0x4b415053",
    "vm_basic: VM ended: guest exited with status 0",
    "vm_basic: exited with status 0",
    "vm_out_of_ram: VM ended: guest accessed guest-physical 0x40000000 which is neither RAM nor a device",
    "vm_out_of_ram: exited with status 2",
    "vm_triple_fault: VM ended: triple fault",
    "vm_triple_fault: exited with status 2",
    "vm_spin: VM ended: guest exited with status 0",
    "vm_spin: exited with status 0",
    "[vm_ticker] guest hypercall value 0xa",
    "vm_ticker: VM ended: guest exited with status 0",
    "vm_ticker: exited with status 0",
    "[vm_paged_mmio] guest hypercall value 0x600d9a9e",
    "vm_paged_mmio: exited with status 0",
    "vm_virtio_bad_queue: VM ended: virtio-console: the guest's driver broke the device: a buffer lies outside guest RAM",
    "vm_virtio_bad_queue: exited with status 2",
    "vm_virtio_bad_register: VM ended: virtio-console: 4-byte write at 0xd1000070 refused: Status bits the spec does "
    "not define",
    "vm_virtio_bad_register: exited with status 2",
)

# vm_spin's guest spins for seconds without an exit; vm_ticker's prints a tick every ~0.1 s of its own CPU time.
# Without preemption of a running guest at most one tick could slip in (one 20 ms time slice between vm_spin's
# "spinning" line and its loop); with it, the two guests share the CPU and most ticks land in between.
SPIN_IS_PREEMPTED = expect_during("[vm_spin] guest: spinning", "[vm_ticker] guest hypercall value",
                                  "[vm_spin] guest: spun", at_least=3)


def make_archive(directory, name, files):
    """A cpio newc archive of {file name: bytes}, made with the same tool as the real boot archive."""
    content_dir = os.path.join(directory, name + ".d")
    os.makedirs(content_dir)
    for file_name, data in files.items():
        with open(os.path.join(content_dir, file_name), "wb") as handle:
            handle.write(data)
    path = os.path.join(directory, name)
    with open(path, "wb") as archive:
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], input="\n".join(files).encode() + b"\n",
                       cwd=content_dir, stdout=archive, check=True)
    return path


def bad_boot_inputs(directory, good_archive):
    """Boot modules the kernel must refuse with a clear message."""
    with open(good_archive, "rb") as handle:
        good = handle.read()
    truncated = os.path.join(directory, "truncated.cpio")
    with open(truncated, "wb") as handle:
        handle.write(good[: len(good) // 2])
    broken_elf = make_archive(directory, "broken-elf.cpio",
                              {"broken.elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"garbage"})
    return {"truncated": truncated, "broken_elf": broken_elf}


def smoke_files_delivered():
    """The smoke test's read_file app reads its file (the archive's own manifest.txt) and is stopped writing it."""
    with open(os.path.join(qemu_runner.PROJECT_ROOT, "roottask", "test_apps", "manifest.txt"), "rb") as handle:
        data = handle.read()
    checksum = sum(data) % 2 ** 32
    return all_of(
        expect_line(re.escape("[read_file] manifest.txt: %d bytes at 0x200000000000, checksum 0x%08x, "
                              "rest of the page zero" % (len(data), checksum))),
        expect_line(r"read_file: stopped: page fault at 0x200000000000 \(rip 0x[0-9a-f]+\): "
                    r"write, its files are read-only"),
        expect_line(re.escape("missing_file: not started: finding its file 'no-such-file.bin' failed: not found "
                              "(no such file in the boot modules)")))


def fnv1a_32(data):
    """The checksum of roottask/test_apps/shared_memory.c."""
    value = 0x811c9dc5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) % 2 ** 32
    return value


def smoke_memory_shared():
    """The smoke test's shared_writer fills the 64 KiB region net-ab (zeroed before) with the pattern of
    roottask/test_apps/shared_memory.c and calls shared_reader, which sees the same bytes at another address and
    answers their checksum in the region ack."""
    size = 64 * 1024
    checksum = fnv1a_32(bytes((i * 31 + 7 + (i >> 8)) & 0xff for i in range(size)))
    return all_of(
        expect_line(re.escape("[shared_writer] net-ab: %d bytes at 0x280000100000, zero before, checksum 0x%08x "
                              "written" % (size, checksum))),
        expect_line(re.escape("[shared_reader] net-ab: %d bytes at 0x280000000000, %d written, checksum 0x%08x"
                              % (size, size, checksum))),
        expect_line(re.escape("[shared_writer] ack: the reader answered 0x%08x" % checksum)),
        expect_line(re.escape("shared_writer: exited with status 0")),
        expect_line(re.escape("shared_reader: exited with status 0")))


def expect_absent(needle):
    """The log must not contain needle."""
    def check(verdict, log):
        return "log contains %r" % needle if needle in log else None
    return check


# Debian's unmodified cloud kernel under four uvmms at once (integration_tests/linux/manifest.txt). linux_a and
# linux_b boot with ACPI and virtio devices; their /init checks each device (and, through the virtual switch on
# tenant network 1, ping and a 256 KiB TCP transfer whose SHA-256 both sides print; linux_c on network 2 must not
# reach them) and powers off through ACPI, and at
# the end each uvmm reports its disks: the read-only one unchanged, the scratch one with exactly the guest's
# write (the SHA-256 the host computes here from the same image and the VM's token). linux_legacy boots
# without ACPI on the PIC and PIT and halts; linux_reboot resets the machine through the keyboard controller.
LINUX_DEVICE_VMS = (("linux_a", "alpha-7f3a"), ("linux_b", "bravo-c41e"))


def expect_same_network_digest():
    """linux_b's sent data, linux_a's received data and linux_b's confirmation carry the same SHA-256."""
    def check(verdict, log):
        digests = []
        for vm, what in (("linux_b", "SENT"), ("linux_a", "RECEIVED"), ("linux_b", "CONFIRMED")):
            found = re.search(re.escape("[%s] guest: [" % vm) + r" *[0-9.]+\] KAPSEL-NET-%s: ([0-9a-f]{64})$" % what,
                              log, re.MULTILINE)
            if not found:
                return "log lacks %s's KAPSEL-NET-%s line" % (vm, what)
            digests.append(found.group(1))
        return None if len(set(digests)) == 1 else "network digests differ: %r" % digests
    return check


def linux_guests_checks(data_image, scratch_image):
    checks = [expect_outcome(
        "passed",
        "linux_a: starting Linux (vmlinuz",
        "] Linux version 6.1.0-",
        "BIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable",
        "] ACPI: DSDT 0x00000000000E01B8",
        "] TSC deadline timer available",
        "] IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23",
        "linux_legacy: VM ended: guest halted",
        "linux_reboot: VM ended: guest reset the machine through the keyboard controller's pulse-reset command",
    ), expect_absent("KAPSEL-FAIL"), expect_same_network_digest(),
        expect_line(re.escape("[linux_b] guest: [") + r" *[0-9.]+\] KAPSEL-NET-PING: ok"),
        # linux_c, on another tenant network, never reaches linux_a, and the switch delivered nothing to its port.
        expect_line(re.escape("[linux_c] guest: [") + r" *[0-9.]+\] KAPSEL-NET-ISOLATED: 10\.0\.0\.1 unreachable"),
        expect_line(r"\[switch\] port net-c \(network 2, linux_c\): [1-9]\d* frames in, 0 out, 0 dropped at full "
                    r"destinations"),
        expect_line(r"\[switch\] port net-a \(network 1, linux_a\): [1-9]\d* frames in, [1-9]\d* out, \d+ dropped at "
                    r"full destinations"),
        expect_line(re.escape("switch: exited with status 0")),
        # The agent's TCP health check, through the switch, from linux_b (network 1); not from linux_c (network 2).
        expect_line(re.escape("[linux_b] guest: [") + r" *[0-9.]+\] KAPSEL-AGENT-HEALTH: kapsel kapsel-test up \d+ s"),
        expect_line(re.escape("[linux_c] guest: [") + r" *[0-9.]+\] KAPSEL-AGENT-ISOLATED: 10\.0\.0\.254 unreachable"),
        expect_line(re.escape("[agent] agent kapsel-test: answered 1 health checks")),
        expect_line(r"\[switch\] port net-agent \(network 1, agent\): [1-9]\d* frames in, [1-9]\d* out, \d+ dropped at "
                    r"full destinations")]
    for vm in ("linux_legacy", "linux_reboot"):
        checks.append(expect_line(re.escape("[%s] guest: [" % vm) + r" *[0-9.]+\] " +
                                  re.escape("KAPSEL-GUEST-INIT: Linux 6.1.0-") + ".*"))
    for vm, token in LINUX_DEVICE_VMS:
        guest = re.escape("[%s] guest: [" % vm) + r" *[0-9.]+\] "
        checks += [expect_line(guest + line) for line in linux_disks.guest_lines(token)]
        checks += [
            expect_line(re.escape("[%s] console: KAPSEL-HVC0: %s" % (vm, token))),
            expect_line(re.escape("[%s] disk linux-data.ext4: " % vm) + r"\d+ sectors read, 0 written, 0 failed "
                        r"requests; sha256 " + linux_disks.file_sha256(data_image)),
            expect_line(re.escape("[%s] disk linux-scratch.img: " % vm) + r"\d+ sectors read, \d+ written, 0 failed "
                        r"requests; sha256 " + linux_disks.scratch_sha256_after_write(scratch_image, token)),
            expect_line(re.escape("[%s] vsock: echo service on port 5000: 1 connections, %d bytes echoed"
                                  % (vm, len("hello-from-" + token)))),
            expect_line(re.escape("[%s] net: " % vm) + r"[1-9]\d* frames sent, [1-9]\d* received; dropped: \d+ link "
                        r"full, 0 malformed, 0 too large"),
            expect_line(re.escape("[%s] %s: VM ended: guest powered off (ACPI sleep control register)" % (vm, vm))),
        ]
    return all_of(*checks)


# Graceful stop (integration_tests/linux_shutdown/manifest.txt): each uvmm presses Ctrl-Alt-Del on its guest's PS/2
# keyboard once the guest's console shows a given line (--shutdown-after-line: what the launcher's shutdown request
# does). linux_stay's /init (kapsel.stay=1) catches it as SIGINT and powers off through ACPI; linux_stay_legacy does
# the same without ACPI (the controller probed directly, no AUX port; the power-off halts); linux_default keeps the
# kernel's default action and reboots, which ends its VM through the ACPI reset register.
LINUX_SHUTDOWN_VMS = ("linux_stay", "linux_stay_legacy", "linux_default")


def guest_line(vm, pattern):
    """A regular expression for a kernel-log line of vm's guest, "[<vm>] guest: [<seconds>] <pattern>"."""
    return re.escape("[%s] guest: [" % vm) + r" *[0-9.]+\] " + pattern


def expect_in_order(*patterns):
    """Lines matching the regular expressions (as a whole), each somewhere after the one before."""
    def check(verdict, log):
        position = 0
        for pattern in patterns:
            found = re.compile("^" + pattern + r"\r?$", re.MULTILINE).search(log, position)
            if not found:
                return "log lacks a line matching %r after offset %d" % (pattern, position)
            position = found.end()
        return None
    return check


def linux_shutdown_checks(archive):
    checks = [
        expect_outcome(
            "passed",
            "linux_stay: VM ended: guest powered off (ACPI sleep control register)",
            "linux_stay_legacy: VM ended: guest halted",
            "linux_default: VM ended: guest reset the machine through the reset control register (port 0xcf9)"),
        expect_absent("KAPSEL-FAIL"), expect_absent("not delivered"), expect_absent("i8042: No controller found"),
        expect_absent("serio: i8042 AUX port"),
        # With ACPI through the DSDT's PNP0303 device (ISA IRQ 1, which hardware-reduced ACPI maps to some Linux IRQ),
        # without by probing the ports; each finds its keyboard.
        expect_line(guest_line("linux_stay", re.escape("i8042: PNP: PS/2 Controller [PNP0303") +
                               r"[^]]*\] at 0x60,0x64 irq \d+")),
        expect_line(guest_line("linux_stay_legacy", re.escape("i8042: Probing ports directly."))),
        expect_line(guest_line("linux_stay_legacy", re.escape("serio: i8042 KBD port at 0x60,0x64 irq 1"))),
        # The kernel's default action: a reboot.
        expect_in_order(re.escape("[linux_default] uvmm: shutdown requested: pressing Ctrl-Alt-Del"),
                        guest_line("linux_default", re.escape("reboot: Restarting system")),
                        re.escape("[linux_default] linux_default: VM ended: guest reset the machine through ") + ".*"),
    ]
    for vm in LINUX_SHUTDOWN_VMS:
        checks += [
            expect_line(guest_line(vm, re.escape("serio: i8042 KBD port at 0x60,0x64 irq ") + r"\d+")),
            expect_line(guest_line(vm, re.escape("input: AT Translated Set 2 keyboard as ") + r"\S+")),
        ]
    for vm in LINUX_SHUTDOWN_VMS[:2]:
        checks.append(expect_in_order(
            guest_line(vm, re.escape("KAPSEL-GUEST-WAITING: ctrl-alt-del powers off")),
            re.escape("[%s] uvmm: shutdown requested: pressing Ctrl-Alt-Del" % vm),
            guest_line(vm, re.escape("KAPSEL-GUEST-SHUTDOWN: ctrl-alt-del")),
            re.escape("[%s] %s: VM ended: guest " % (vm, vm)) + ".*"))
    all_checks = all_of(*checks)

    def built(verdict, log):
        if not archive or not os.path.exists(archive):
            return "no archive %r: bazel build //integration_tests:linux_shutdown_archive" % archive
        return all_checks(verdict, log)
    return built


# The PCI bus Micro-App (drivers/pci) on q35 with a modern virtio-net and a PCIe root port with a virtio-rng
# behind it: every function listed (the root port's bus followed), BARs sized, MSI/MSI-X and virtio structures read.
PCI_EXTRA = ("-device", "virtio-net-pci,netdev=n0,disable-legacy=on", "-netdev", "user,id=n0",
             "-device", "pcie-root-port,id=rp1,chassis=1", "-device", "virtio-rng-pci,bus=rp1")


# The configuration mechanism pci_bus says it uses: ECAM where q35's MCFG puts it, or the legacy ports.
PCI_THROUGH_ECAM = "pci: configuration space through ECAM at 0xb0000000 (ACPI MCFG: segment 0, buses 0-255)"
PCI_THROUGH_LEGACY_PORTS = ("pci: configuration space through the legacy ports 0xcf8-0xcff (no ECAM: no device_memory "
                            "capability)")


def pci_bus_checks(mechanism):
    def line(text):
        return expect_line(re.escape("[pci_bus] pci " + text))
    return all_of(
        expect_outcome("passed", "pci_bus: exited with status 0"),
        expect_line(re.escape("[pci_bus] " + mechanism)),
        line("00:00.0 8086:29c0 class 06.00.00 host bridge"),
        line("00:1f.0 8086:2918 class 06.01.00 ISA bridge, multi-function"),
        expect_line(re.escape("[pci_bus] pci 00:1f.2 8086:2922 class 01.06.01 SATA controller, pin A line ") +
                    r"\d+, MSI 1 vector 64-bit"),
        expect_line(re.escape("[pci_bus] pci 00:02.0 1af4:1041 class 02.00.00 virtio-net, pin A line ") +
                    r"\d+, MSI-X [1-9]\d* vectors \(table BAR1 \+0x0, PBA BAR1 \+0x800\)"),
        expect_line(re.escape("[pci_bus] pci 00:02.0   BAR4 mem64 prefetchable ") + r"0x[0-9a-f]+ 16 KiB"),
        line("00:02.0   virtio common BAR4 +0x0 4 KiB"),
        line("00:02.0   virtio notify BAR4 +0x3000 4 KiB, multiplier 4"),
        expect_line(re.escape("[pci_bus] pci 00:03.0 1b36:000c class 06.04.00 PCI bridge, buses 01-01, ") + ".*"),
        expect_line(re.escape("[pci_bus] pci 01:00.0 1af4:1044 class 00.ff.00 virtio-rng, ") + ".*MSI-X.*"),
        expect_line(re.escape("[pci_bus] pci: 8 functions on 2 buses, 0 problems")),
        expect_absent(" problem: "))


# The host's NIC reachable from outside QEMU: the PCI bus Micro-App hands the virtio-net to the driver Micro-App
# (nic), an uplink port of the switch; QEMU's user-mode network forwards a free host port to the agent's health
# check (10.0.2.15:8080). The host connects while the system runs; after that one answer the agent ends, the
# switch closes the uplink, nic resets the device and gives it back, pci_bus ends, and so does the run.
UPLINK_HOST_NAME = "kapsel-uplink"
UPLINK_DEADLINE = 90  # seconds for the health check to answer from the host


def free_host_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uplink_extra(port):
    return ("-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:8080" % port,
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on")


def health_check_from_host(port, seconds=UPLINK_DEADLINE):
    """Connects to 127.0.0.1:port until an answer arrives or the deadline passes: (answer or None, last problem)."""
    def attempt():
        deadline = time.monotonic() + seconds
        problem = "no attempt"
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                    connection.settimeout(max(1.0, min(10.0, deadline - time.monotonic())))
                    answer = b""
                    while True:
                        chunk = connection.recv(4096)
                        if not chunk:
                            break
                        answer += chunk
                if answer:
                    return answer.decode("utf-8", errors="replace"), None
                problem = "the connection closed without an answer (the system is not up yet)"
            except OSError as error:
                problem = str(error)
            # Between attempts, a short pause: the forwarded port answers "refused" at once until QEMU listens.
            time.sleep(0.2)
        return None, problem
    return attempt


def expect_health_answer(host_name):
    """The host's connection got "kapsel <host name> up <n> s"."""
    def check(verdict, log):
        answer, problem = verdict.during or (None, "the host's client did not run")
        if answer is None:
            return "no health check answer from the host's side: %s" % problem
        if not re.fullmatch(r"kapsel %s up \d+ s\r?\n?" % re.escape(host_name), answer):
            return "unexpected health check answer %r" % answer
        return None
    return check


def uplink_checks():
    return all_of(
        expect_outcome("passed", "pci_bus: exited with status 0", "nic: exited with status 0",
                       "switch: exited with status 0", "agent: exited with status 0"),
        expect_health_answer(UPLINK_HOST_NAME),
        expect_line(re.escape("[pci_bus] pci_bus: 00:02.0 handed to nic (2 BARs, ") + r"\d+ MSI-X vectors\)"),
        expect_line(re.escape("[nic] nic: virtio-net 00:02.0 up: MAC 52:54:00:12:34:56, ") +
                    r"\d+ MSI-X vectors, link up"),
        expect_line(re.escape("[agent] agent %s: answered 1 health checks" % UPLINK_HOST_NAME)),
        expect_line(re.escape("[pci_bus] pci_bus: nic released 00:02.0")),
        expect_line(re.escape("[nic] nic: ") + r"[1-9]\d* frames received \([1-9]\d* to the switch, 0 dropped there\), "
                    r"[1-9]\d* sent from the switch, .*"),
        expect_absent("[nic] nic: the "))


# Switch ports attached at runtime (integration_tests/port_attach/manifest.txt): port_attacher launches three Linux
# VMs' uvmms with link regions it supplies and attaches their switch ports through the control protocol; the switch
# (--control, no ports of its own) refuses malformed requests, forwards between the runtime ports of network 1, keeps
# network 2's port apart, detaches each port when its VM has ended, frees the port port_attacher leaves attached when
# it ends, and ends after it.


def port_attach_archive_present(archive, check):
    """check, or a clear failure when the archive was not built (deploy/test builds only what it names)."""
    def present(verdict, log):
        if not archive or not os.path.exists(archive):
            return "no archive %r: bazel build //integration_tests:port_attach_archive" % archive
        return check(verdict, log)
    return present


def expect_runtime_port_digest():
    """vm_b's sent data, vm_a's received data and vm_b's confirmation carry the same SHA-256."""
    def check(verdict, log):
        digests = []
        for vm, what in (("vm_b", "SENT"), ("vm_a", "RECEIVED"), ("vm_b", "CONFIRMED")):
            found = re.search(re.escape("[port_attacher] [%s] guest: [" % vm) +
                              r" *[0-9.]+\] KAPSEL-NET-%s: ([0-9a-f]{64})$" % what, log, re.MULTILINE)
            if not found:
                return "log lacks %s's KAPSEL-NET-%s line" % (vm, what)
            digests.append(found.group(1))
        return None if len(set(digests)) == 1 else "network digests differ: %r" % digests
    return check


def port_attach_checks(archive):
    def attacher(text):
        return expect_line(re.escape("[port_attacher] port_attacher: ok: " + text) + ".*")

    def guest(vm, pattern):
        return expect_line(re.escape("[port_attacher] [%s] guest: [" % vm) + r" *[0-9.]+\] " + pattern)
    checks = [
        expect_outcome("passed", "port_attacher: exited with status 0", "switch: exited with status 0"),
        expect_absent("KAPSEL-FAIL"), expect_absent("port_attacher: FAILED"),
        expect_line(re.escape("[switch] switching 0 ports, control by port_attacher")),
        attacher("a port on network 4096 is refused: error 1, network 4096 is not in 1..4095"),
        attacher("detaching a port that was never attached is refused: error 7"),
        attacher("an uplink policy without an uplink is refused: error 7, the switch has no uplink port"),
        attacher("the switch reports vm_c's port as a runtime port on network 2, not used yet"),
        expect_runtime_port_digest(),
        guest("vm_b", "KAPSEL-NET-PING: ok"),
        guest("vm_c", r"KAPSEL-NET-ISOLATED: 10\.0\.0\.1 unreachable"),
        # Network 2's port: the switch delivered nothing to it; network 1's moved frames both ways.
        expect_line(r"\[switch\] port vm_c \(network 2, runtime\): [1-9]\d* frames in, 0 out, 0 dropped at full "
                    r"destinations"),
        attacher("network 2's port sent frames and had none delivered"),
        attacher("network 1's ports moved frames both ways"),
        expect_line(r"\[port_attacher\] port_attacher: [1-9]\d* checks passed, 0 failed"),
        # A port its supplier left attached when it ended: the switch frees it, and ends after its control app.
        attacher("a port on network 3 is attached as port 0 and left behind"),
        expect_line(re.escape("[switch] port left-behind: its region was revoked (the app that supplied it ended): "
                              "detaching it")),
        expect_line(re.escape("[switch] port left-behind (network 3, runtime): 0 frames in, 0 out, 0 dropped at full "
                              "destinations")),
        expect_line(re.escape("[switch] control app port_attacher has ended")),
    ]
    for vm, network in (("vm_a", 1), ("vm_b", 1), ("vm_c", 2)):
        checks += [
            expect_line(r"\[switch\] port %s \(network %d\): attached as port \d+, 256 KiB" % (vm, network)),
            expect_line(re.escape("[port_attacher] [%s] %s: VM ended: guest powered off (ACPI sleep control register)"
                                  % (vm, vm))),
            expect_line(re.escape("[port_attacher] port_attacher: ok: %s's port " % vm) +
                        r"\d+ \(network %d\) is detached: .*" % network),
        ]
    for vm in ("vm_a", "vm_b"):
        checks.append(expect_line(r"\[switch\] port %s \(network 1, runtime\): [1-9]\d* frames in, [1-9]\d* out, \d+ "
                                  r"dropped at full destinations" % vm))
    return port_attach_archive_present(archive, all_of(*checks))


API_HOST_NAME = "kapsel-api"
API_SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api", "api_tests.py")
# The API system's tokens (the agent holds their hashes): the suite acts as the operator and checks the tenants'.
API_TOKENS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_system", "test_tokens.txt")


def api_extra(port):
    return ("-m", "2G", "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:50051" % port,
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on")


def api_suite_from_host(port, guest_kernel, initramfs, log_dir, vmm_image, api_archive):
    """Runs the API test suite (integration_tests/api) with real Linux VMs against the agent through the forwarded
    port, with Debian's /usr/bin/python3 (grpcio); its output goes to api-suite.log. Returns the suite's counts."""
    def run():
        log_path = os.path.join(log_dir, "api-suite.log")
        with open(log_path, "w", encoding="utf-8") as log:
            code = subprocess.run(["/usr/bin/python3", API_SUITE, "--address", "127.0.0.1:%d" % port, "--real-vms",
                                   "--kernel", guest_kernel, "--initrd", initramfs, "--host-name", API_HOST_NAME,
                                   "--tokens", API_TOKENS, "--vmm-image", vmm_image, "--boot-archive", api_archive,
                                   "--timeout-scale", "2"], stdout=log, stderr=subprocess.STDOUT, timeout=900).returncode
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            output = handle.read()
        summary = re.findall(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", output, re.MULTILINE)
        counts = tuple(int(n or 0) for n in summary[-1]) if summary else None
        return {"code": code, "counts": counts, "log": log_path, "failures": re.findall(r"^\[ FAIL \].*$", output,
                                                                                     re.MULTILINE)}
    return run


def api_suite_checks(verdict, log):
    result = verdict.during
    if not result:
        return "the API suite did not run (%s)" % verdict.outcome
    if not result["counts"]:
        return "the API suite printed no summary (exit %d, log %s)" % (result["code"], result["log"])
    if result["code"] != 0 or result["counts"][1]:
        return "API suite: %d failed: %s (log %s)" % (result["counts"][1], "; ".join(result["failures"][:3]),
                                                       result["log"])
    for needle in ("KERNEL PANIC", "roottask: reply to", "agent: exited"):
        if needle in log:
            return "the system log has %r" % needle
    for needle in ("[switch] uplink policy: 1 networks may use the uplink",
                   "[agent] agent %s: 1 networks share the switch's 1 uplink port(s)" % API_HOST_NAME):
        if needle not in log:
            return "the system log lacks %r (the agent's uplink policy)" % needle
    return None


KAPSELCTL = os.path.join(qemu_runner.PROJECT_ROOT, "bazel-bin", "sdk", "kapselctl", "kapselctl")
KAPSELCTL_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_qemu", "run_kapselctl.sh")


def kapselctl_from_host(kernel, api_archive, port_a, guest_kernel, initramfs, log_dir, seconds=200):
    """Boots a second API host (host B: the same kernel and archive, its API on another forwarded port; its console
    in kapselctl-host-b.log, killed at the end and in any case after seconds + 60 s), then runs
    integration_tests/sdk_qemu/run_kapselctl.sh (every kapselctl command against host A, fleet mode over A, B and a
    dead address) within `seconds`; its output goes to kapselctl.log. Returns the script's counts."""
    def run():
        log_path = os.path.join(log_dir, "kapselctl.log")
        result = {"code": None, "counts": None, "log": log_path, "failures": [], "host_b_ended": None}
        if not os.access(KAPSELCTL, os.X_OK):
            result["failures"] = ["%s missing: bazel build //sdk/kapselctl:kapselctl" % KAPSELCTL]
            return result
        work = os.path.join(log_dir, "kapselctl-work")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        port_b = free_host_port()
        command = ["timeout", "--signal=KILL", str(seconds + 60)] + qemu_runner.qemu_command(
            "q35", kernel, api_archive, "", api_extra(port_b))
        with open(os.path.join(log_dir, "kapselctl-host-b.log"), "w", encoding="utf-8") as host_b_log, \
                open(log_path, "w", encoding="utf-8") as log:
            host_b_log.write("# " + " ".join(command) + "\n")
            host_b_log.flush()
            host_b = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=host_b_log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            try:
                script = subprocess.Popen([KAPSELCTL_SCRIPT, KAPSELCTL, "127.0.0.1:%d" % port_a,
                                           "127.0.0.1:%d" % port_b, guest_kernel, initramfs, work],
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True,
                                          env=dict(os.environ, KAPSEL_TOKEN=read_tokens(API_TOKENS)[0]))
                try:
                    result["code"] = script.wait(timeout=seconds)
                except subprocess.TimeoutExpired:
                    result["failures"] = ["run_kapselctl.sh did not end within %d s" % seconds]
                finally:
                    # The script's background streams too (its own process group).
                    try:
                        os.killpg(script.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    script.wait()
            finally:
                result["host_b_ended"] = host_b.poll()  # None: host B ran until the end, as it should
                try:
                    os.killpg(host_b.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                host_b.wait()
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            output = handle.read()
        summary = re.findall(r"^(\d+) passed, (\d+) failed$", output, re.MULTILINE)
        result["counts"] = (int(summary[-1][0]), int(summary[-1][1]), 0) if summary else None
        result["failures"] += re.findall(r"^FAILED  .*$", output, re.MULTILINE)
        return result
    return run


def kapselctl_checks(verdict, log):
    result = verdict.during
    if not result:
        return "run_kapselctl.sh did not run (%s)" % verdict.outcome
    if not result["counts"]:
        return "run_kapselctl.sh printed no summary (exit %s, log %s): %s" % (result["code"], result["log"],
                                                                            "; ".join(result["failures"][:3]))
    if result["code"] != 0 or result["counts"][1]:
        return "kapselctl: %d failed: %s (log %s)" % (result["counts"][1], "; ".join(result["failures"][:3]),
                                                       result["log"])
    if result["host_b_ended"] is not None:
        return "host B's QEMU ended early (status %s, log kapselctl-host-b.log)" % result["host_b_ended"]
    host_b_log = os.path.join(os.path.dirname(result["log"]), "kapselctl-host-b.log")
    with open(host_b_log, encoding="utf-8", errors="replace") as handle:
        host_b = handle.read()
    for name, text in (("host A", log), ("host B", host_b)):
        for needle in ("KERNEL PANIC", "roottask: reply to", "agent: exited"):
            if needle in text:
                return "%s's log has %r" % (name, needle)
    return None


def scenarios(inputs, system_archive, smoke_archive, linux_archive, linux_images, pci_archive, pci_legacy_archive,
              uplink_archive,
              port_attach_archive=None, linux_shutdown_archive=None, api_system=None, kernel=None,
              nic_restart=None):
    finished = "^roottask: all Micro-Apps finished"
    uplink_port = free_host_port()
    api_port = free_host_port()
    api_scenarios = []
    if api_system:
        api_archive, guest_kernel, initramfs, log_dir = api_system
        api_scenarios = [Scenario("api_suite_with_linux_vms_through_the_nic", api_suite_checks, initrd=api_archive,
                                  append="", timeout=900, extra=api_extra(api_port), until_during=True,
                                  during=api_suite_from_host(api_port, guest_kernel, initramfs, log_dir,
                                                             os.path.join(os.path.dirname(api_archive), "..", "vmm",
                                                                          "uvmm.elf"), api_archive))]
        if kernel:
            # kapselctl end to end: host A is this run, host B a second QEMU the during hook boots (issue 8).
            kapselctl_port = free_host_port()
            api_scenarios.append(Scenario("kapselctl_against_two_qemu_hosts", kapselctl_checks, initrd=api_archive,
                                          append="", timeout=300, extra=api_extra(kapselctl_port), until_during=True,
                                          during=kapselctl_from_host(kernel, api_archive, kapselctl_port, guest_kernel,
                                                                     initramfs, log_dir)))
    if nic_restart:
        api_scenarios.append(nic_restart_scenario(*nic_restart))
    return api_scenarios + [
        Scenario("linux_guests_boot_under_uvmms", linux_guests_checks(*linux_images), initrd=linux_archive,
                 append="", until=finished, timeout=600, extra=("-m", "1536M")),
        Scenario("linux_guests_shut_down_on_ctrl_alt_del", linux_shutdown_checks(linux_shutdown_archive),
                 initrd=linux_shutdown_archive, append="", until=finished, timeout=180, extra=("-m", "1024M")),
        Scenario("pci_bus_lists_the_q35_functions", pci_bus_checks(PCI_THROUGH_ECAM), initrd=pci_archive, append="",
                 until=finished, extra=PCI_EXTRA),
        Scenario("pci_bus_lists_the_q35_functions_through_the_legacy_ports", pci_bus_checks(PCI_THROUGH_LEGACY_PORTS),
                 initrd=pci_legacy_archive, append="", until=finished, extra=PCI_EXTRA),
        Scenario("host_reaches_the_agent_through_the_nic_driver", uplink_checks(), initrd=uplink_archive, append="",
                 until=finished, extra=uplink_extra(uplink_port), during=health_check_from_host(uplink_port)),
        Scenario("switch_ports_attached_at_runtime", port_attach_checks(port_attach_archive),
                 initrd=port_attach_archive, append="", until=finished, timeout=180, extra=("-m", "1024M")),
        Scenario("user_tests_and_misbehaving_microapps_q35",
                 all_of(expect_outcome("passed", "[ktest_user] ", " passed, 0 failed", "kernel_reader: stopped",
                                       "privileged: stopped", "hello: exited with status 0", *VM_LINES, *FUZZ_LINES, *NET_LINES),
                        SPIN_IS_PREEMPTED),
                 initrd=system_archive, append="", until=finished, timeout=300),
        Scenario("user_tests_microvm", all_of(expect_outcome("passed", " passed, 0 failed", *VM_LINES, *FUZZ_LINES),
                                              SPIN_IS_PREEMPTED), machine="microvm",
                 initrd=system_archive, append="", until=finished, timeout=300),
        Scenario("vms_refused_clearly_without_nested_paging",
                 expect_outcome("passed", "Virtualization: not available: SVM without nested paging",
                                "vm_basic: VM ended: not started: creating the Vm: unsupported", " passed, 0 failed, 6 skipped"),
                 initrd=system_archive, append="", until=finished, timeout=300,
                 extra=("-cpu", "qemu64,+svm")),
        Scenario("roottask_reports_every_way_an_app_ends",
                 all_of(expect_outcome("passed", "exits: exited with status 7", "null_read: stopped: page fault at 0x0",
                                       "write_environment: stopped", "heap_beyond: stopped", "stack_overflow: stopped",
                                       "execute_stack: stopped", "invalid_opcode: stopped: exception 6",
                                       "missing: not started", "no_quota: not started", "hello: exited with status 0"),
                        smoke_files_delivered(), smoke_memory_shared(),
                        expect_line(r"\[launcher\] launcher: [1-9][0-9]* passed, 0 failed"),
                        expect_line(re.escape("launcher: exited with status 0"))),
                 initrd=smoke_archive, append="", until=finished, timeout=300),
        Scenario("self_tests_q35", self_tests_pass),
        Scenario("self_tests_microvm", self_tests_pass, machine="microvm"),
        # Without an RTC the kernel says so and goes on; only the timer test runs (the wall-clock one wants the RTC).
        Scenario("wall_clock_unknown_without_rtc_microvm",
                 expect_outcome("passed", "Wall clock: not available (the CMOS clock: its registers read 0xff, "
                                "there is none)"),
                 machine="microvm", append="ktest ktest.filter=timer", extra=("-M", "microvm,rtc=off")),
        Scenario("self_tests_q35_5g_memory_above_4g", self_tests_pass, extra=("-m", "5G")),
        Scenario("refuses_boot_without_modules",
                 expect_outcome("failed", "BOOT ERROR: no boot modules"), initrd=None),
        Scenario("refuses_truncated_boot_archive",
                 expect_outcome("failed", "BOOT ERROR: boot archive"), initrd=inputs["truncated"]),
        Scenario("refuses_malformed_elf_in_archive",
                 expect_outcome("failed", "broken.elf", "invalid ELF image", "BOOT ERROR: broken.elf: ELF file is truncated"),
                 initrd=inputs["broken_elf"]),
        Scenario("harness_reports_page_fault_with_dump",
                 expect_outcome("failed", "KERNEL PANIC", "#PF page fault", "faulting address (CR2) 0x1000", "RIP "),
                 append="ktest ktest.inject=page_fault"),
        Scenario("harness_reports_hang_as_timeout", expect_outcome("timeout"), append="ktest ktest.inject=hang",
                 timeout=8),
        Scenario("harness_reports_triple_fault_reset", expect_outcome("exited"), append="ktest ktest.inject=reset"),
    ]


def run_scenario(scenario, kernel, archive, log_dir):
    initrd = archive if scenario.initrd == "archive" else scenario.initrd
    log_path = os.path.join(log_dir, scenario.name + ".log")
    verdict = qemu_runner.run_qemu(scenario.machine, kernel, initrd, scenario.append, log_path, scenario.timeout,
                                   until=scenario.until, extra=scenario.extra, during=scenario.during,
                                   until_during=scenario.until_during)
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    return verdict, scenario.check(verdict, log)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--archive", required=True, help="the kernel self-test boot archive (cpio newc)")
    parser.add_argument("--system-archive", required=True, help="root task, test Micro-Apps and their manifest")
    parser.add_argument("--smoke-archive", required=True, help="the root task's smoke test (every way an app ends)")
    parser.add_argument("--linux-archive", required=True, help="root task, uvmm and Debian's cloud kernel")
    parser.add_argument("--linux-data-image", required=True, help="the Linux guests' read-only ext4 disk")
    parser.add_argument("--linux-scratch-image", required=True, help="the Linux guests' writable scratch disk")
    parser.add_argument("--pci-archive", required=True, help="root task and the PCI bus Micro-App")
    parser.add_argument("--pci-legacy-archive",
                        help="the PCI bus Micro-App with the legacy ports (default: next to --pci-archive)")
    parser.add_argument("--uplink-archive", required=True,
                        help="root task, PCI bus, NIC driver, switch and agent (the host's NIC)")
    parser.add_argument("--port-attach-archive",
                        help="root task, switch, port_attacher, uvmm and the Linux guest (switch ports at runtime); "
                             "default: port-attach-archive.cpio next to --linux-archive")
    parser.add_argument("--nic-restart-archive",
                        help="root task, pci_bus, the NIC driver it launches and restarts, switch and agent; "
                             "default: nic-restart-archive.cpio next to --linux-archive")
    parser.add_argument("--linux-shutdown-archive",
                        help="root task, uvmm and the Linux guest, stopped by Ctrl-Alt-Del; default: "
                             "linux-shutdown-archive.cpio next to --linux-archive")
    parser.add_argument("--api-system-archive",
                        help="root task, NIC driver, switch, agent and uvmm: the API's system; default: "
                             "api-system-archive.cpio next to --linux-archive")
    parser.add_argument("--guest-kernel", default=os.path.join(qemu_runner.PROJECT_ROOT, ".deps", "guest-linux",
                                                               "vmlinuz"),
                        help="the Linux kernel the API suite uploads")
    parser.add_argument("--log-dir", default=os.path.join(qemu_runner.PROJECT_ROOT, "out", "boot-tests"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this")
    args = parser.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)

    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory() as scratch:
        all_scenarios = scenarios(bad_boot_inputs(scratch, args.archive), args.system_archive, args.smoke_archive,
                                  args.linux_archive, (args.linux_data_image, args.linux_scratch_image),
                                  args.pci_archive,
                                  args.pci_legacy_archive or os.path.join(os.path.dirname(args.pci_archive),
                                                                          "pci-legacy-archive.cpio"),
                                  args.uplink_archive,
                                  args.port_attach_archive or os.path.join(os.path.dirname(args.linux_archive),
                                                                           "port-attach-archive.cpio"),
                                  args.linux_shutdown_archive or os.path.join(os.path.dirname(args.linux_archive),
                                                                              "linux-shutdown-archive.cpio"),
                                  (args.api_system_archive or os.path.join(os.path.dirname(args.linux_archive),
                                                                           "api-system-archive.cpio"),
                                   args.guest_kernel,
                                   os.path.join(os.path.dirname(args.linux_archive), "linux-initramfs.cpio"),
                                   args.log_dir),
                                  kernel=args.kernel,
                                  nic_restart=(args.nic_restart_archive or
                                               os.path.join(os.path.dirname(args.linux_archive),
                                                            "nic-restart-archive.cpio"), args.log_dir))
        all_scenarios = [s for s in all_scenarios if args.only in s.name]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [(s, pool.submit(run_scenario, s, args.kernel, args.archive, args.log_dir))
                       for s in all_scenarios]
            for scenario, future in futures:
                verdict, error = future.result()
                if error:
                    failed += 1
                    print("[FAIL] %s: %s (log %s)" % (scenario.name, error, verdict.log_path))
                    sys.stdout.write(qemu_runner.log_tail(verdict.log_path, 25))
                else:
                    passed += 1
                    detail = " (%d self tests)" % verdict.passed if verdict.passed else ""
                    print("[ OK ] %s%s, %.1f s" % (scenario.name, detail, verdict.seconds))
                # A self-test boot's individual tests count too, and so do the API suite's.
                passed += verdict.passed
                failed += verdict.failed
                skipped += verdict.skipped
                if isinstance(verdict.during, dict) and verdict.during.get("counts"):
                    suite_passed, suite_failed, suite_skipped = verdict.during["counts"]
                    passed += suite_passed
                    failed += suite_failed if error is None else 0
                    skipped += suite_skipped
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


# The NIC driver's restart (integration_tests/nic_restart/manifest.txt): pci_bus launches the driver itself, the host
# gets one health answer through it, pci_bus stops it (--kill-driver-after-ms), quiesces the device, detaches its
# uplink port and launches a fresh driver on a fresh port; the host gets a second answer, after which the agent
# (--exit-after 2) ends the run. The switch and the agent never stop in between.
NIC_RESTART_HOST_NAME = "kapsel-nic-restart"
NIC_RESTART_LINE = "[pci_bus] pci_bus: restarting nic in 100 ms (restart 1 of 2)"
NIC_UP_LINE = "[nic] nic: virtio-net 00:02.0 up: MAC"


def nic_restart_from_host(port, log_path, seconds=UPLINK_DEADLINE):
    """One health answer before the driver is stopped, one once the restarted driver is up: [(answer, problem)] * 2."""
    def log_text():
        try:
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def attempt():
        answers = [health_check_from_host(port, seconds)()]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = log_text()
            if NIC_RESTART_LINE in text and text.count(NIC_UP_LINE) >= 2:
                answers.append(health_check_from_host(port, max(1, deadline - time.monotonic()))())
                # The agent (--exit-after 2) ends now; the switch and the driver stay, so the run ends here.
                while time.monotonic() < deadline and "agent: exited" not in log_text():
                    time.sleep(0.2)
                return answers
            time.sleep(0.2)
        answers.append((None, "the restarted driver never came up"))
        return answers
    return attempt


def expect_nic_restart_answers(verdict, log):
    if verdict.outcome != "passed":
        return "expected outcome passed, got %s (%s)" % (verdict.outcome, verdict.reason)
    answers = verdict.during if isinstance(verdict.during, list) else []
    if len(answers) != 2:
        return "the host's client did not run"
    for when, (answer, problem) in zip(("before the restart", "after the restart"), answers):
        if answer is None:
            return "no health check answer %s: %s" % (when, problem)
        if not re.fullmatch(r"kapsel %s up \d+ s\r?\n?" % re.escape(NIC_RESTART_HOST_NAME), answer):
            return "unexpected health check answer %s: %r" % (when, answer)
    return None


def expect_nic_restart_order(verdict, log):
    """First driver up, stopped, restarted, up again; the switch and the agent end only after that."""
    try:
        first_up = log.index(NIC_UP_LINE)
        stopped = log.index("nic: stopped by its launcher", first_up)
        restarted = log.index(NIC_RESTART_LINE, stopped)
        log.index(NIC_UP_LINE, restarted)
    except ValueError:
        return "the log lacks driver up, \"nic: stopped by its launcher\", the restart and up again, in that order"
    for app in ("switch", "agent"):
        for ended in ("%s: exited" % app, "%s: stopped" % app, "%s: not started" % app):
            at = log.find(ended)
            if 0 <= at < restarted:
                return "%s ended before the driver's restart" % app
    if "agent: exited with status 0" not in log:
        return "the agent did not exit cleanly after its two health checks"
    # The Linux VM on the switch came up and was still running when the run ended, after the restart.
    if "KAPSEL-GUEST-WAITING" not in log:
        return "the VM's guest never came up (no KAPSEL-GUEST-WAITING)"
    for ended in ("vm: exited", "vm: stopped", "vm: not started", "vm: VM ended"):
        if ended in log:
            return "the VM ended during the driver's death and restart (%r)" % ended
    return None


def nic_restart_checks(archive):
    def present(verdict, log):
        if not archive or not os.path.exists(archive):
            return "no archive %r: bazel build //integration_tests:nic_restart_archive" % archive
        return check(verdict, log)
    check = all_of(
        expect_nic_restart_answers, expect_nic_restart_order,
        expect_line(re.escape("[pci_bus] pci_bus: 00:02.0 quiesced (bus mastering and MSI-X off, virtio reset)")),
        expect_line(re.escape("[pci_bus] pci_bus: uplink port ") + r"\d+ detached"),
        expect_line(re.escape("[switch] port nic-uplink (network 1, runtime): ") + r"[1-9]\d* frames in, .*"),
        expect_absent("[nic] nic: the "))
    return present


def nic_restart_scenario(archive, log_dir):
    port = free_host_port()
    name = "nic_driver_restarted_keeps_the_switch_and_vms"
    return Scenario(name, nic_restart_checks(archive), initrd=archive, append="",
                    timeout=90, until_during=True, extra=uplink_extra(port),
                    during=nic_restart_from_host(port, os.path.join(log_dir, name + ".log")))


if __name__ == "__main__":
    sys.exit(main())
