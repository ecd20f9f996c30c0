#!/usr/bin/python3
"""A fleet of Kapsel hosts at a glance, and VMs spread over it: an example of the Python SDK.

  fleet.py HOSTS_FILE
      Shows every host's info and VMs, asking all hosts at once (a thread each). A host that is down or does not
      answer is reported as DOWN, and the others are shown all the same.

  fleet.py HOSTS_FILE --spread N --kernel FILE [--initrd FILE] [--cmdline TEXT] [--memory-mib MIB]
                      [--tenant TENANT] [--label KEY=VALUE ...] [--start]
      Then creates N VMs across the hosts that are up, each on the host with the most free VM memory at that
      point (the host's VM memory limit less what its VMs hold, less the VMs placed there already; ties go to the
      host listed first). The kernel and initramfs are pushed to every host that gets VMs (a host that has them
      already keeps them). With --start the VMs are started too.

HOSTS_FILE has a host per line, "name address" ("web-1 10.0.0.5:50051"); "#" begins a comment, blank lines are
skipped. Prints a section per host, per-host results of the spread and a summary (with --json: one JSON document).
Every host gets the API token of the environment variable KAPSEL_TOKEN, if set (kapsel.Host's default).
Exit status: 0; 1 when VMs of --spread could not be placed or created; 2 for a bad hosts file, bad arguments or a
malformed KAPSEL_TOKEN.

Needs the SDK on the path: PYTHONPATH=bazel-bin/sdk/python/pkg /usr/bin/python3 fleet.py hosts.txt
"""

import argparse
import concurrent.futures
import json
import sys
from dataclasses import dataclass, field
from typing import List, Optional

import kapsel

MIB = 1024 * 1024


@dataclass
class HostEntry:
    name: str
    address: str


@dataclass
class HostReport:
    """What the survey found out about one host."""

    entry: HostEntry
    info: Optional[kapsel.HostInfo] = None
    vms: List[kapsel.Vm] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def up(self):
        return self.error is None


@dataclass
class SpreadResult:
    """What --spread did on one host."""

    planned: int = 0
    created: List[str] = field(default_factory=list)
    started: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


class HostsFileError(Exception):
    pass


def read_hosts_file(path):
    """The hosts of a hosts file, in its order."""
    entries = []
    names = set()
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) != 2:
                raise HostsFileError("%s:%d: expected \"name address\", got %r" % (path, number, line.strip()))
            name, address = words
            if name in names:
                raise HostsFileError("%s:%d: host %s is listed twice" % (path, number, name))
            names.add(name)
            entries.append(HostEntry(name, address))
    if not entries:
        raise HostsFileError("%s lists no hosts" % path)
    return entries


def describe_error(error):
    if isinstance(error, kapsel.ApiError):
        return str(error)
    return "%s: %s" % (type(error).__name__, error)


def survey(host, entry):
    """One host's info and all its VMs; a host that cannot be asked is reported with the error."""
    report = HostReport(entry)
    try:
        report.info = host.info()
        report.vms = list(host.vms.list(page_size=500))
    except kapsel.ApiError as error:
        report.error = describe_error(error)
    return report


def plan_spread(reports, count, memory_mib):
    """How many of count VMs of memory_mib each go to each host that is up: always the host with the most free
    VM memory then (ties: the one listed first). Returns ({host name: VMs}, VMs that fit nowhere)."""
    free = {report.entry.name: report.info.vm_memory_free_bytes // MIB for report in reports if report.up}
    plan = {name: 0 for name in free}
    unplaced = 0
    for _ in range(count):
        best = None
        for name, mib in free.items():  # in the hosts file's order: max by strictly more
            if mib >= memory_mib and (best is None or mib > free[best]):
                best = name
        if best is None:
            unplaced += 1
            continue
        free[best] -= memory_mib
        plan[best] += 1
    return plan, unplaced


def spread_on(host, count, args, kernel_bytes, initrd_bytes):
    """Pushes the images to one host and creates (and starts) count VMs there."""
    result = SpreadResult(planned=count)
    try:
        kernel = host.images.push(kernel_bytes, name=args.kernel_name)
        initrd = host.images.push(initrd_bytes, name=args.initrd_name) if initrd_bytes is not None else None
    except kapsel.ApiError as error:
        result.errors.append("pushing the images: %s" % describe_error(error))
        return result
    for _ in range(count):
        try:
            vm = host.vms.create(tenant=args.tenant, kernel=kernel, initrd=initrd, cmdline=args.cmdline,
                                 memory_mib=args.memory_mib, labels=args.labels)
        except kapsel.ApiError as error:
            result.errors.append("create: %s" % describe_error(error))
            continue
        result.created.append(vm.name)
        if args.start:
            try:
                vm.start()
                result.started.append(vm.name)
            except kapsel.ApiError as error:
                result.errors.append("start %s: %s" % (vm.name, describe_error(error)))
    return result


def run_concurrently(function, items):
    """function(item) for every item, a thread each; the results in the items' order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(32, len(items)))) as pool:
        return list(pool.map(function, items))


# --- Output. ---

def vm_line(vm):
    labels = ",".join("%s=%s" % item for item in sorted(vm.labels.items()))
    reason = " (%s)" % vm.state_reason if vm.state_reason else ""
    return "    %-24s tenant=%-16s %-9s %5d MiB %s%s" % (vm.name, vm.tenant, vm.state, vm.spec.memory_mib,
                                                      labels or "-", reason)


def print_report(report, out):
    entry = report.entry
    if not report.up:
        print("%s (%s): DOWN: %s" % (entry.name, entry.address, report.error), file=out)
        return
    info = report.info
    running = sum(1 for vm in report.vms if vm.state == kapsel.VmState.RUNNING)
    print("%s (%s): up, %s, Kapsel %s %s, %d CPUs, up %d s" % (
        entry.name, entry.address, info.name, info.version, info.architecture, info.cpus, info.uptime_seconds),
        file=out)
    print("    VMs: %d running, %d in all; VM memory: %d of %d MiB used, %d MiB free" % (
        running, len(report.vms), info.vm_memory_used_bytes // MIB, info.vm_memory_limit_bytes // MIB,
        info.vm_memory_free_mib), file=out)
    for vm in report.vms:
        print(vm_line(vm), file=out)


def report_json(report):
    entry = report.entry
    document = {"name": entry.name, "address": entry.address, "up": report.up, "error": report.error}
    if report.up:
        info = report.info
        document["info"] = {"name": info.name, "version": info.version, "architecture": info.architecture,
                            "cpus": info.cpus, "vms_running": info.vms_running, "vms_total": info.vms_total,
                            "vm_memory_limit_mib": info.vm_memory_limit_bytes // MIB,
                            "vm_memory_used_mib": info.vm_memory_used_bytes // MIB,
                            "vm_memory_free_mib": info.vm_memory_free_mib}
        document["vms"] = [{"name": vm.name, "tenant": vm.tenant, "state": vm.state.name,
                            "memory_mib": vm.spec.memory_mib, "labels": vm.labels} for vm in report.vms]
    return document


# --- Main. ---

def parse_label(text):
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError("a label is KEY=VALUE, not %r" % text)
    return key, value


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("hosts_file", help="\"name address\" per line, # comments")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per call (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    spread = parser.add_argument_group("spreading VMs")
    spread.add_argument("--spread", type=int, metavar="N", help="create N VMs across the hosts by free VM memory")
    spread.add_argument("--kernel", help="the guest kernel (bzImage) to push and boot")
    spread.add_argument("--initrd", help="the initramfs to push and boot")
    spread.add_argument("--cmdline", default="console=ttyS0", help="the guests' kernel command line")
    spread.add_argument("--memory-mib", type=int, default=256, help="guest RAM per VM (default 256)")
    spread.add_argument("--tenant", default="fleet", help="the VMs' tenant (default fleet)")
    spread.add_argument("--label", type=parse_label, action="append", default=[], metavar="KEY=VALUE",
                        help="a label of every VM (repeatable)")
    spread.add_argument("--start", action="store_true", help="start the VMs as well")
    args = parser.parse_args(argv)
    if args.spread is not None:
        if args.spread < 1:
            parser.error("--spread takes a number of VMs of at least 1")
        if not args.kernel:
            parser.error("--spread needs --kernel")
    elif args.kernel or args.initrd:
        parser.error("--kernel and --initrd are for --spread")
    if not args.timeout > 0:
        parser.error("--timeout must be more than 0")
    args.labels = dict(args.label)
    return args


def main(argv=None, out=sys.stdout):
    args = parse_arguments(argv)
    try:
        entries = read_hosts_file(args.hosts_file)
    except (OSError, HostsFileError) as error:
        print("fleet: %s" % error, file=sys.stderr)
        return 2
    kernel_bytes = initrd_bytes = None
    if args.spread:
        try:
            with open(args.kernel, "rb") as file:
                kernel_bytes = file.read()
            if args.initrd:
                with open(args.initrd, "rb") as file:
                    initrd_bytes = file.read()
        except OSError as error:
            print("fleet: %s" % error, file=sys.stderr)
            return 2
        args.kernel_name = ("fleet-" + args.kernel.rsplit("/", 1)[-1])[:63]
        args.initrd_name = ("fleet-" + (args.initrd or "").rsplit("/", 1)[-1])[:63]

    # Few retries: a host that is down is reported, not waited for.
    try:
        hosts = {entry.name: kapsel.Host(entry.address, timeout=args.timeout,
                                         retry=kapsel.RetryPolicy(attempts=2, initial_backoff=0.2))
                 for entry in entries}
    except ValueError as error:  # a malformed KAPSEL_TOKEN: the first Host refuses it, before any other is made
        print("fleet: %s" % error, file=sys.stderr)
        return 2
    try:
        reports = run_concurrently(lambda entry: survey(hosts[entry.name], entry), entries)
        plan, unplaced, results = {}, 0, {}
        if args.spread:
            plan, unplaced = plan_spread(reports, args.spread, args.memory_mib)
            targets = [name for name, count in plan.items() if count > 0]
            outcomes = run_concurrently(
                lambda name: spread_on(hosts[name], plan[name], args, kernel_bytes, initrd_bytes), targets)
            results = dict(zip(targets, outcomes))
    finally:
        for host in hosts.values():
            host.close()

    up = [report for report in reports if report.up]
    down = [report for report in reports if not report.up]
    created = sum(len(result.created) for result in results.values())
    failed = sum(result.planned - len(result.created) for result in results.values())
    start_failures = sum(len(result.created) - len(result.started) for result in results.values()) if args.start else 0
    summary = {
        "hosts": len(reports),
        "up": len(up),
        "down": [report.entry.name for report in down],
        "vms": sum(len(report.vms) for report in up),
        "vms_running": sum(1 for report in up for vm in report.vms if vm.state == kapsel.VmState.RUNNING),
    }
    if args.spread:
        summary.update({"spread_requested": args.spread, "spread_created": created, "spread_failed": failed,
                        "spread_unplaced": unplaced, "spread_start_failed": start_failures})

    if args.json:
        document = {"hosts": [report_json(report) for report in reports], "summary": summary}
        if args.spread:
            document["spread"] = {name: {"planned": result.planned, "created": result.created,
                                         "started": result.started, "errors": result.errors}
                                  for name, result in results.items()}
        json.dump(document, out, indent=2, sort_keys=True)
        print(file=out)
    else:
        for report in reports:
            print_report(report, out)
        if args.spread:
            print("spread: %d VMs of %d MiB: %s%s" % (
                args.spread, args.memory_mib,
                ", ".join("%s %d" % (name, count) for name, count in plan.items() if count) or "nowhere",
                "; %d fit on no host" % unplaced if unplaced else ""), file=out)
            for name, result in results.items():
                line = "%s: created %d of %d" % (name, len(result.created), result.planned)
                if args.start:
                    line += ", started %d" % len(result.started)
                if result.created:
                    line += ": " + " ".join(result.created)
                print(line, file=out)
                for error in result.errors:
                    print("%s: error: %s" % (name, error), file=out)
        line = "summary: %d hosts, %d up, %d down%s; %d VMs, %d running" % (
            summary["hosts"], summary["up"], len(down),
            " (%s)" % ", ".join(summary["down"]) if down else "", summary["vms"], summary["vms_running"])
        if args.spread:
            line += "; spread: %d of %d created" % (created, args.spread)
            if unplaced:
                line += ", %d unplaced" % unplaced
            if failed:
                line += ", %d failed" % failed
        print(line, file=out)
    return 1 if args.spread and (created < args.spread or start_failures) else 0


if __name__ == "__main__":
    sys.exit(main())
