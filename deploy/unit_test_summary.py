#!/usr/bin/env python3
"""Counts the individual cmocka tests behind one `bazel test` run.

Reads the run's output (argument 1), takes the test targets it reports, and adds up the
"[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" lines of exactly those targets' logs,
so stale logs of targets that did not run this time are never counted. A target that did
not build or run, or whose log has no cmocka summary, counts as one failure.
Prints a line per target and, last, "N passed, N failed".
"""

import os
import re
import sys

TARGET = re.compile(r"^(//[^ ]+:[^ ]+)\s+(\(cached\) )?(PASSED|FAILED|NO STATUS|FAILED TO BUILD|TIMEOUT|FLAKY)")
CMOCKA_PASSED = re.compile(r"^\[  PASSED  \] (\d+) test")
CMOCKA_FAILED = re.compile(r"^\[  FAILED  \] (\d+) test")


def log_path(target):
    package, name = target[2:].split(":")
    return os.path.join("bazel-testlogs", package, name, "test.log")


def count_log(path):
    passed = failed = None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if CMOCKA_PASSED.match(line):
                passed = int(CMOCKA_PASSED.match(line).group(1))
            elif CMOCKA_FAILED.match(line):
                failed = int(CMOCKA_FAILED.match(line).group(1))
    return passed, failed


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as output:
        results = [m.groups() for m in map(TARGET.match, output) if m]
    total_passed = total_failed = 0
    for target, _, status in results:
        passed = failed = None
        if status in ("PASSED", "FAILED", "FLAKY") and os.path.exists(log_path(target)):
            passed, failed = count_log(log_path(target))
        if passed is None and failed is None:
            print("%s: %s, no test results" % (target, status))
            total_failed += 1
            continue
        passed, failed = passed or 0, failed or 0
        if status != "PASSED" and failed == 0:
            failed = 1  # crashed (e.g. a sanitizer report) after cmocka's summary
        print("%s: %d passed, %d failed" % (target, passed, failed))
        total_passed += passed
        total_failed += failed
    if not results:
        print("bazel reported no test targets")
        total_failed += 1
    print("%d passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
