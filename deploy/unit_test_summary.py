#!/usr/bin/env python3
"""Counts the individual cmocka tests behind one `bazel test` run.

Reads the run's output (argument 1), takes the test targets it reports, and adds up the
"[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" lines of exactly those targets' logs (or, for
script tests, their last "N passed, N failed" line), so stale logs of targets that did not run this
time are never counted. A target that did not build or run counts as one failure; one that Bazel
saw pass without either summary (a single check, e.g. a version comparison) as one pass.
Prints a line per target and, last, "N passed, N failed".
"""

import os
import re
import sys

TARGET = re.compile(r"^(//[^ ]+:[^ ]+)\s+(\(cached\) )?(PASSED|FAILED|NO STATUS|FAILED TO BUILD|TIMEOUT|FLAKY)")
CMOCKA_PASSED = re.compile(r"^\[  PASSED  \] (\d+) test")
CMOCKA_FAILED = re.compile(r"^\[  FAILED  \] (\d+) test")
PLAIN_SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed")
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in")  # Python's unittest: "Ran N tests in ...s", then "OK" or "FAILED"
UNITTEST_FAILED = re.compile(r"^FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?")


def log_path(target):
    package, name = target[2:].split(":")
    return os.path.join("bazel-testlogs", package, name, "test.log")


def count_log(path):
    passed = failed = None
    plain = None
    plain_from_unittest = False
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if CMOCKA_PASSED.match(line):
                passed = int(CMOCKA_PASSED.match(line).group(1))
            elif CMOCKA_FAILED.match(line):
                failed = int(CMOCKA_FAILED.match(line).group(1))
            elif PLAIN_SUMMARY.match(line):
                plain = tuple(int(n) for n in PLAIN_SUMMARY.match(line).groups())
            elif UNITTEST_RAN.match(line):
                ran = int(UNITTEST_RAN.match(line).group(1))
                plain = (ran + (plain[0] if plain and plain_from_unittest else 0), plain[1] if plain else 0)
                plain_from_unittest = True
            elif UNITTEST_FAILED.match(line) and plain_from_unittest:
                bad = sum(int(n or 0) for n in UNITTEST_FAILED.match(line).groups())
                plain = (plain[0] - bad, plain[1] + bad)
    if passed is None and failed is None and plain:
        return plain
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
            if status == "PASSED":
                total_passed += 1
            else:
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
