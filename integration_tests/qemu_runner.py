#!/usr/bin/env python3
"""Boots the Kapsel kernel under QEMU, streams its serial console to a log, and judges the run.

A run ends with exactly one verdict:
  passed    the kernel printed "N passed, 0 failed" (or the --until line appeared)
  failed    tests failed, the kernel panicked or refused to boot
  exited    QEMU stopped on its own first: a triple fault, reset or power-off
  timeout   nothing decisive within the time limit (a hang)
Usable as a module (run_qemu) and from the command line.
"""

import argparse
import dataclasses
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE_DIR = os.path.join(PROJECT_ROOT, "deploy", "qemu")

# Test summaries, from the kernel ("N passed, N failed") or a Micro-App through the log ("[app] N passed...").
SUMMARY = re.compile(r"^(?:\[[\w.-]+\] )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?")
FATAL = re.compile(r"^(KERNEL PANIC|BOOT ERROR): (.*)")


@dataclasses.dataclass
class Verdict:
    outcome: str  # passed, failed, exited, timeout
    reason: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    log_path: str = ""
    seconds: float = 0.0
    during: object = None  # what run_qemu's `during` returned

    @property
    def ok(self):
        return self.outcome == "passed"


def profile_arguments(machine):
    """QEMU arguments of a launch profile in deploy/qemu/<machine>.args."""
    path = os.path.join(PROFILE_DIR, machine + ".args")
    with open(path, encoding="utf-8") as profile:
        return [line.strip() for line in profile if line.strip() and not line.startswith("#")]


def qemu_command(machine, kernel, initrd, append, extra):
    command = ["qemu-system-x86_64"] + profile_arguments(machine)
    command += ["-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", kernel]
    if initrd:
        command += ["-initrd", initrd]
    if append:
        command += ["-append", append]
    return command + list(extra)


class _Judge:
    """Reads console lines until one decides the run."""

    def __init__(self, until):
        self.until = until
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def line(self, line):
        """The verdict this line decides, or None if the run goes on."""
        fatal = FATAL.match(line)
        if fatal:
            return Verdict("failed", "%s: %s" % (fatal.group(1).lower(), fatal.group(2)))
        summary = SUMMARY.match(line)
        if summary:
            self.passed += int(summary.group(1))
            self.failed += int(summary.group(2))
            self.skipped += int(summary.group(3) or 0)
            if not self.until:
                return self._result()
        if self.until and re.search(self.until, line):
            return self._result("saw " + repr(self.until))
        return None

    def _result(self, reason=None):
        if self.failed:
            return Verdict("failed", "%d tests failed" % self.failed, self.passed, self.failed)
        if not self.until and self.passed == 0:
            return Verdict("failed", "the system ran no tests")
        verdict = Verdict("passed", reason or "%d tests passed" % self.passed, self.passed, self.failed)
        verdict.skipped = self.skipped
        return verdict


def run_qemu(machine, kernel, initrd, append, log_path, timeout, until=None, echo=False, extra=(),
             linger=1.0, during=None, until_during=False):
    """Boots once and returns the Verdict; the serial console is written to log_path as it arrives.

    After a fatal line the runner keeps reading for `linger` seconds so the register dump
    that follows a panic lands in the log too. `during`: a function run in a thread of its own once
    QEMU has started (e.g. a client talking to the system from the host), bounded by its own deadline;
    its result is the verdict's `during`. With until_during the run also ends, passed, once `during` has returned
    (a benchmark whose client decides when it is done).
    """
    command = qemu_command(machine, kernel, initrd, append, extra)
    started = time.monotonic()
    deadline = started + timeout
    verdict = None
    judge = _Judge(until)
    with open(log_path, "w", encoding="utf-8", errors="replace") as log:
        log.write("# " + " ".join(command) + "\n")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        during_result = {}
        helper = None
        if during:
            helper = threading.Thread(target=lambda: during_result.update(value=during()), daemon=True)
            helper.start()
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        pending = b""
        stop_at = deadline
        console_closed = False
        while True:
            remaining = stop_at - time.monotonic()
            if remaining <= 0:
                break
            if verdict is None and until_during and helper and not helper.is_alive():
                verdict = Verdict("passed", "the during hook returned")
                break
            if not selector.select(timeout=min(remaining, 0.5)):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                console_closed = True
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", errors="replace").rstrip("\r")
                log.write(line + "\n")
                if echo:
                    print(line, flush=True)
                if verdict is None:
                    verdict = judge.line(line)
                    if verdict is not None:
                        stop_at = min(deadline, time.monotonic() + (linger if verdict.outcome == "failed" else 0))
            log.flush()
            if verdict is not None and verdict.outcome != "failed":
                break
        if pending:
            log.write(pending.decode("utf-8", errors="replace") + "\n")
        try:
            # The console closes when QEMU exits; give it a moment to be reaped.
            exit_code = process.wait(timeout=5 if console_closed else 0)
        except subprocess.TimeoutExpired:
            exit_code = None
        if exit_code is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        selector.close()
        process.stdout.close()
        if helper:
            helper.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
    if verdict is None:
        if exit_code is not None:
            verdict = Verdict("exited", "QEMU exited with status %d before a result "
                                        "(triple fault, reset or power-off)" % exit_code)
        else:
            verdict = Verdict("timeout", "no result within %d s (hang?)" % timeout)
    verdict.during = during_result.get("value")
    verdict.log_path = log_path
    verdict.seconds = time.monotonic() - started
    return verdict


def log_tail(path, lines=40):
    with open(path, encoding="utf-8", errors="replace") as log:
        return "".join(log.readlines()[-lines:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--machine", default="q35", help="launch profile in deploy/qemu/ (q35, microvm)")
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--initrd", help="boot module (a cpio newc boot archive)")
    parser.add_argument("--append", default="", help="kernel command line")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--log", default="serial.log")
    parser.add_argument("--until", help="regular expression: the run passes when a console line matches")
    parser.add_argument("--echo", action="store_true", help="also print the console as it arrives")
    parser.add_argument("qemu_args", nargs="*", help="extra QEMU arguments (after --)")
    args = parser.parse_args()
    verdict = run_qemu(args.machine, args.kernel, args.initrd, args.append, args.log, args.timeout,
                       until=args.until, echo=args.echo, extra=args.qemu_args)
    print("%s: %s (%.1f s, log %s)" % (verdict.outcome, verdict.reason, verdict.seconds, verdict.log_path))
    if not verdict.ok and not args.echo:
        sys.stdout.write(log_tail(verdict.log_path))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
