#!/usr/bin/env bash
# kapselctl end to end against real Kapsel hosts under QEMU (issue 8), with real Linux VMs: every command against
# host A, then fleet mode over A, B and a dead address. Run by the boot scenario kapselctl_against_two_qemu_hosts
# (integration_tests/boot_tests.py), which boots both hosts (integration_tests/api_system) with their API forwarded to
# 127.0.0.1 ports; usable by hand against any two such hosts.
# Each check prints a line; the last line is "N passed, N failed"; exits non-zero if a check failed.
# Usage: run_kapselctl.sh <kapselctl> <host A HOST:PORT> <host B HOST:PORT> <guest vmlinuz> <guest initramfs> [<work dir>]
set -uo pipefail

if (($# < 5)); then
    sed -n '2,7p' "$0" >&2
    exit 2
fi
kapselctl="$(realpath "$1")"
host_a="$2"
host_b="$3"
vmlinuz="$(realpath "$4")"
initramfs="$(realpath "$5")"
work="${6:-$(mktemp -d)}"
mkdir -p "$work"
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3
passed=0
failed=0
background_pids=()

# Every VM of this run is in these tenants, so a rerun against the same hosts does not see the last one's VMs.
tag="$(date +%s)-$$"
tenant="cli-$tag"
fleet_tenant="fleet-$tag"
stay_vm="stay-$$"
force_vm="force-$$"
stay_cmdline="console=ttyS0 kapsel.stay=1"

cleanup() {
    local pid
    for pid in "${background_pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
}
trap cleanup EXIT

# --- Checking (as integration_tests/sdk/run_sdk_tests.sh) ---

# run ARGS...: runs kapselctl; its exit code in $status, its output in $work/out and $work/err.
run() {
    "$kapselctl" "$@" >"$work/out" 2>"$work/err" </dev/null
    status=$?
}

k() {
    run --host "$host_a" "$@"
}

pass() {
    passed=$((passed + 1))
    echo "ok      $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAILED  $1"
    echo "        exit ${status:-?}; stdout:"
    sed 's/^/          /' "$work/out" 2>/dev/null | head -20
    echo "        stderr:"
    sed 's/^/          /' "$work/err" 2>/dev/null | head -20
}

# expect NAME EXIT [PATTERN [FILE]]: the last run exited EXIT and (if given) FILE (out) matches the grep -E PATTERN.
expect() {
    local name="$1" code="$2" pattern="${3:-}" file="$work/${4:-out}"
    if [[ "$status" != "$code" ]]; then
        fail "$name (exit $code expected)"
    elif [[ -n "$pattern" ]] && ! grep -Eq -- "$pattern" "$file"; then
        fail "$name (/$pattern/ expected in ${4:-out})"
    else
        pass "$name"
    fi
}

# json_true FILE PYTHON [lines]: FILE parses as JSON (one document, or with "lines" one per line) and the Python
# expression over `doc` (or `docs`) is true.
json_true() {
    "$python" - "$1" "$2" "${3:-}" <<'PY'
import json, sys
path, check, lines = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    text = open(path, encoding="utf-8").read()
    if lines:
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        doc = docs[0] if docs else None
    else:
        doc = json.loads(text)
        docs = [doc]
    sys.exit(0 if eval(check) else 1)
except Exception as error:  # a parse error or a missing field is a failed check
    print("        json: %s: %s" % (type(error).__name__, error))
    sys.exit(1)
PY
}

# expect_json NAME EXIT PYTHON [lines]: the last run exited EXIT and its stdout passes json_true.
expect_json() {
    local name="$1" code="$2" check="$3" lines="${4:-}"
    if [[ "$status" != "$code" ]]; then
        fail "$name (exit $code expected)"
    elif json_true "$work/out" "$check" "$lines"; then
        pass "$name"
    else
        fail "$name (JSON check: $check)"
    fi
}

# poll SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds (0) or SECONDS have passed (1).
poll() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

vm_state_is() { # vm_state_is HOST VM STATE: GetVm says STATE
    "$kapselctl" --host "$1" -o json vm get "$2" >"$work/state.json" 2>/dev/null &&
        json_true "$work/state.json" "doc['state'] == '$3'" >/dev/null
}

# --- Both hosts answer (they may still be booting) ---

for host in "$host_a" "$host_b"; do
    if poll 120 "$kapselctl" --timeout 2 --host "$host" host health >/dev/null 2>&1; then
        pass "host $host answers Health"
    else
        status=3
        fail "host $host answers Health within 120 s"
        echo "$passed passed, $failed failed"
        exit 1
    fi
done
dead="127.0.0.1:$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

# --- Host ---

k host health
expect "host health" 0 '^SERVING$'
k -o json host health
expect_json "host health json" 0 'doc == {"status": "SERVING"}'
k host info
expect "host info" 0 '^Name: +kapsel-api$'
k -o json host info
expect_json "host info json" 0 'doc["name"] == "kapsel-api" and doc["architecture"] == "x86_64" and doc["vm_memory_limit_bytes"] > 0 and doc["max_image_bytes"] > 0'

# --- Images ---

kernel_sha="$(sha256sum "$vmlinuz" | cut -d' ' -f1)"
kernel_size="$(stat -c %s "$vmlinuz")"
initrd_sha="$(sha256sum "$initramfs" | cut -d' ' -f1)"
initrd_size="$(stat -c %s "$initramfs")"

k -o json image push "$vmlinuz" --name guest-vmlinuz
expect_json "image push of the guest kernel" 0 "doc['sha256'] == '$kernel_sha' and doc['size_bytes'] == $kernel_size and doc['display_name'] == 'guest-vmlinuz' and doc['name'] == 'images/$kernel_sha'"
grep -q "guest-vmlinuz: $kernel_size of $kernel_size bytes (100%)\|has this content already" "$work/err" &&
    pass "image push: progress off a terminal" || fail "image push: progress off a terminal"
k image push "$initramfs"
expect "image push of the initramfs" 0 "^Name: +images/$initrd_sha$"
k image push "$vmlinuz"
expect "image push again: the host has the kernel" 0 "has this content already" err
k image push "$initramfs"
expect "image push again: the host has the initramfs" 0 "has this content already" err
k image list
expect "image list (table)" 0 "^images/$initrd_sha +"
grep -Eq "^images/$kernel_sha +[0-9.]+Mi +guest-vmlinuz" "$work/out" && pass "image list shows the kernel" ||
    fail "image list shows the kernel"
k -o json image list
expect_json "image list json" 0 "{'$kernel_sha', '$initrd_sha'} <= {i['sha256'] for i in doc}"
k image get "$kernel_sha"
expect "image get (bare digest)" 0 "^Name: +images/$kernel_sha$"
k -o json image get "images/$initrd_sha"
expect_json "image get json" 0 "doc['name'] == 'images/$initrd_sha' and doc['size_bytes'] == $initrd_size"

# --- VMs: one that stays up (console, watch, graceful stop), one force-stopped ---

# The kernel as a local file (the host has it: not sent again), the initramfs by name.
k -o json vm create --kernel "$vmlinuz" --initrd "images/$initrd_sha" --cmdline "$stay_cmdline" --memory 128Mi \
    --label app=kapselctl --label run="$tag" --tenant "$tenant" --id "$stay_vm" --start
expect_json "vm create --start (local-file kernel, labels, tenant)" 0 \
    "doc['name'] == 'vms/$stay_vm' and doc['tenant'] == '$tenant' and doc['state'] == 'RUNNING' and doc['labels'] == {'app': 'kapselctl', 'run': '$tag'} and doc['spec']['kernel_image'] == 'images/$kernel_sha' and doc['spec']['initrd_image'] == 'images/$initrd_sha' and doc['spec']['memory_mib'] == 128 and doc['spec']['command_line'] == '$stay_cmdline'"

# The console and the watch stream in the background, into files polled below (bounded by timeout as well).
timeout 150 "$kapselctl" --host "$host_a" vm console "$stay_vm" >"$work/console.out" 2>"$work/console.err" </dev/null &
console_pid=$!
background_pids+=("$console_pid")
timeout 150 "$kapselctl" --host "$host_a" -o json vm watch --tenant "$tenant" >"$work/watch.out" 2>"$work/watch.err" \
    </dev/null &
watch_pid=$!
background_pids+=("$watch_pid")

k vm create --kernel "$kernel_sha" --initrd "$initrd_sha" --cmdline "$stay_cmdline" --memory 128 --tenant "$tenant" \
    --id "$force_vm" --label app=kapselctl
expect "vm create (images by digest), CREATED" 0 '^State: +CREATED$'
k vm start "$force_vm"
expect "vm start" 0 '^State: +RUNNING$'
k vm get "vms/$stay_vm"
expect "vm get (table)" 0 "^Labels: +app=kapselctl, run=$tag$"
grep -Eq '^State: +RUNNING$' "$work/out" && pass "vm get: RUNNING" || fail "vm get: RUNNING"
k vm list --tenant "$tenant"
expect "vm list (table)" 0 "^vms/$stay_vm +$tenant +RUNNING +128Mi +- "
grep -Eq "^NAME +TENANT +STATE +MEMORY +NETWORK +AGE +REASON$" "$work/out" && pass "vm list: header" ||
    fail "vm list: header"
k -o json vm list --tenant "$tenant"
expect_json "vm list json" 0 "[vm['name'] for vm in doc] == ['vms/$stay_vm', 'vms/$force_vm'] and all(vm['tenant'] == '$tenant' and vm['state'] == 'RUNNING' and vm['create_time_unix_ms'] > 0 and vm['spec']['memory_mib'] == 128 for vm in doc)"
k -o json vm list --tenant "$tenant" --label run="$tag"
expect_json "vm list --label json" 0 "[vm['name'] for vm in doc] == ['vms/$stay_vm']"
k -o json vm get "$stay_vm"
expect_json "vm get json" 0 "doc['name'] == 'vms/$stay_vm' and doc['state'] == 'RUNNING' and doc['start_time_unix_ms'] >= doc['create_time_unix_ms'] > 0 and doc['end_time_unix_ms'] == 0"

if poll 120 grep -q "KAPSEL-GUEST-WAITING" "$work/console.out"; then
    pass "vm console: the guest's KAPSEL-GUEST-WAITING line"
else
    status=-
    fail "vm console: the guest's KAPSEL-GUEST-WAITING line within 120 s (console.out: $work/console.out)"
fi
grep -q "Linux version" "$work/console.out" && pass "vm console: the history from the guest's boot" ||
    fail "vm console: the history from the guest's boot"

# --- Attestation of the running Linux VM ---

k -o json host info
expect "host info json (for the attestation key)" 0
host_key="$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["attestation_public_key"])' \
    "$work/out" 2>/dev/null || true)"
k -o json attest "$stay_vm" --expect-key "$host_key" --expect-kernel "$vmlinuz" --expect-initrd "$initramfs" \
    --expect-cmdline "$stay_cmdline"
expect_json "attest: verified, pinned to host info's key, every expectation met" 0 \
    "doc['attested'] and doc['key_pinned'] and doc['evidence']['vm_name'] == 'vms/$stay_vm' and doc['evidence']['tenant'] == '$tenant' and doc['evidence']['state'] == 'RUNNING' and doc['evidence']['kernel_sha256'] == '$kernel_sha' and doc['evidence']['memory_mib'] == 128 and len(doc['evidence']['vmm_sha256']) == 64 and sorted(l.split()[1] for l in doc['evidence']['vmm_launch_spec'].splitlines() if l.startswith('capability ')) == ['factory', 'log', 'scheduler'] and all(e['met'] for e in doc['expectations']) and len(doc['expectations']) == 3"
k attest "$stay_vm" --expect-kernel "$initramfs"
expect "attest --expect-kernel with another file: NOT MET, exit 10" 10 "NOT MET"
k attest "$stay_vm" --nonce 0011223344556677
expect "attest --nonce of 8 bytes: usage error, exit 2" 2

k image rm "$kernel_sha"
expect "image rm of an image in use: FAILED_PRECONDITION, exit 1" 1 "FAILED_PRECONDITION" err
k vm delete "$stay_vm"
expect "vm delete of a RUNNING VM: FAILED_PRECONDITION, exit 1" 1 "FAILED_PRECONDITION" err

k vm stop "$force_vm" --force
expect "vm stop --force" 0 '^State: +(STOPPING|STOPPED)$'
poll 30 vm_state_is "$host_a" "$force_vm" STOPPED
k -o json vm get "$force_vm"
expect_json "vm stop --force: STOPPED, stopped through the API" 0 "doc['state'] == 'STOPPED' and 'stopped through the API' in doc['state_reason']"

k vm stop "vms/$stay_vm" --grace 30
expect "vm stop (graceful)" 0 '^State: +(STOPPING|STOPPED)$'
poll 60 vm_state_is "$host_a" "$stay_vm" STOPPED
k -o json vm get "$stay_vm"
expect_json "vm stop: STOPPED, the guest powered off" 0 "doc['state'] == 'STOPPED' and 'powered off' in doc['state_reason'] and doc['end_time_unix_ms'] >= doc['start_time_unix_ms'] > 0"
k vm list --tenant "$tenant"
expect "vm list: the reason" 0 "^vms/$stay_vm +$tenant +STOPPED +128Mi +- +[0-9]+[smh] +.*powered off"

# The console ends by itself once the VM has ended (exit 0), with the guest's own shutdown line.
if poll 30 bash -c '! kill -0 "$1" 2>/dev/null' _ "$console_pid"; then
    wait "$console_pid"
    status=$?
    cp "$work/console.out" "$work/out"
    cp "$work/console.err" "$work/err"
    expect "vm console ends when the VM has ended" 0 "KAPSEL-GUEST-SHUTDOWN: ctrl-alt-del"
else
    status=-
    fail "vm console ends within 30 s of the VM's end"
fi

watch_saw_stop() {
    json_true "$work/watch.out" "any(d['type'] == 'MODIFIED' and d['vm']['name'] == 'vms/$stay_vm' and d['vm']['state'] == 'STOPPED' for d in docs)" lines >/dev/null
}
if poll 30 watch_saw_stop; then
    pass "vm watch: MODIFIED, STOPPED when the VM stopped"
else
    status=-
    cp "$work/watch.out" "$work/out"
    cp "$work/watch.err" "$work/err"
    fail "vm watch: MODIFIED, STOPPED when the VM stopped"
fi
cp "$work/watch.out" "$work/out"
if json_true "$work/out" "docs[0]['type'] == 'ADDED' and docs[0]['vm']['name'] == 'vms/$stay_vm' and all(d['sequence'] > 0 for d in docs) and any(d['type'] == 'ADDED' and d['vm']['name'] == 'vms/$force_vm' for d in docs)" lines; then
    pass "vm watch json: ADDED for the running VM and for the other"
else
    status=-
    fail "vm watch json: ADDED for the running VM and for the other"
fi
kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null
k vm watch --tenant "$tenant" --count 2
expect "vm watch --count (table)" 0 "^[0-9]+ +ADDED +vms/$force_vm +STOPPED"

k vm stop "$stay_vm"
expect "vm stop of a STOPPED VM: FAILED_PRECONDITION, exit 1" 1 "FAILED_PRECONDITION" err
k vm start "$stay_vm"
expect "vm start of a STOPPED VM: FAILED_PRECONDITION, exit 1" 1 "FAILED_PRECONDITION" err
k vm delete "vms/$stay_vm"
expect "vm delete" 0 "^vms/$stay_vm deleted$"
k -o json vm delete "$force_vm"
expect_json "vm delete json" 0 "doc == {'deleted': 'vms/$force_vm'}"
k -o json vm list --tenant "$tenant"
expect_json "vm list after the deletes is []" 0 'doc == []'

k image rm "$kernel_sha"
expect "image rm once unused" 0 "^images/$kernel_sha deleted$"
k -o json image rm "images/$initrd_sha"
expect_json "image rm json" 0 "doc == {'deleted': 'images/$initrd_sha'}"
k image get "$kernel_sha"
expect "image get of a removed image: NOT_FOUND, exit 1" 1 "NOT_FOUND" err

# --- Errors ---

k vm get "$stay_vm"
expect "vm get of an unknown VM: NOT_FOUND, exit 1" 1 "vms/$stay_vm: NOT_FOUND" err
k vm stop no-such-vm-$$
expect "vm stop of an unknown VM: NOT_FOUND, exit 1" 1 "NOT_FOUND" err
k vm get
expect "usage error (missing the VM's name): exit 2" 2 "missing the VM's name" err
k vm create --tenant "$tenant"
expect "usage error (vm create without --kernel): exit 2" 2
k --output yaml vm list
expect "usage error (bad --output): exit 2" 2
k vm create --kernel "$work/no-such-file" --tenant "$tenant"
expect "usage error (vm create --kernel neither an image name nor a file): exit 2" 2 "no-such-file" err
k image push "$work/no-such-file"
expect "image push of a missing file: exit 4" 4 "no-such-file" err
k vm create --kernel "$kernel_sha" --tenant "$tenant" --memory 8
expect "vm create: memory the host refuses is INVALID_ARGUMENT, exit 1" 1 "INVALID_ARGUMENT: .*memory_mib" err
run --host "$dead" host health
expect "unreachable host: exit 3, named" 3 "host $dead unreachable: UNAVAILABLE" err
run --host "$dead" vm list
expect "vm list on an unreachable host: exit 3" 3 "UNAVAILABLE" err
k attest "vms/no-such-vm-$$"
expect "attest of an unknown VM: NOT_FOUND, exit 1" 1 "NOT_FOUND" err

# --- Fleet: A, B and a dead address ---

cat >"$work/hosts.txt" <<HOSTS
# name  address
alpha   $host_a
beta    $host_b   # the second QEMU
dead    $dead
HOSTS
printf 'dead %s\n' "$dead" >"$work/dead-hosts.txt"
fleet=(--fleet "$work/hosts.txt")

run "${fleet[@]}" host health
expect "fleet host health: one host dead is partial, exit 5" 5 '^3 hosts: 2 ok, 1 failed$'
run "${fleet[@]}" host info
expect "fleet host info (table), exit 5" 5 '^3 hosts: 2 ok, 1 failed$'
grep -Eq "^beta +${host_b//./\\.} +ok" "$work/out" && grep -Eq "^dead +${dead//./\\.} +UNAVAILABLE" "$work/out" &&
    pass "fleet host info: each host's result" || fail "fleet host info: each host's result"
# A VM that holds 128 MiB of host A's VM memory (CREATED, never started): A has less free than B.
hold_vm="hold-$$"
k vm create --kernel "$vmlinuz" --memory 128Mi --tenant "$tenant" --id "$hold_vm"
expect "vm create of a VM holding memory on A (the kernel pushed again)" 0 '^State: +CREATED$'
run -o json "${fleet[@]}" host info
expect_json "fleet host info json" 5 "[h['host'] for h in doc['hosts']] == ['alpha', 'beta', 'dead'] and [h['ok'] for h in doc['hosts']] == [True, True, False] and doc['hosts'][0]['info']['name'] == doc['hosts'][1]['info']['name'] == 'kapsel-api' and doc['hosts'][2]['error']['code'] == 'UNAVAILABLE' and doc['summary'] == {'hosts': 3, 'ok': 2, 'failed': 1}"
cp "$work/out" "$work/fleet-info.json"

# The placement docs/cli.md promises, from each host's free VM memory: each VM to the host with the most left, ties
# to the one listed first.
placement="$("$python" - "$work/fleet-info.json" <<'PY'
import json, sys
hosts = [h for h in json.load(open(sys.argv[1]))["hosts"] if h["ok"]]
free = [h["info"]["vm_memory_limit_bytes"] - h["info"]["vm_memory_used_bytes"] for h in hosts]
placed = {h["host"]: [] for h in hosts}
for n in (1, 2):
    best = max(range(len(hosts)), key=lambda i: (free[i], -i))
    free[best] -= 128 << 20
    placed[hosts[best]["host"]].append(n)
print(repr([placed.get(name, []) for name in ("alpha", "beta", "dead")]))
PY
)"
echo "        expected placement (VM numbers on alpha, beta, dead): $placement"
# With equal hosts but for the held 128 MiB: sp-1 to beta (more free), then a tie: sp-2 to alpha (listed first).
[[ "$placement" == "[[2], [1], []]" ]] && pass "fleet: A's free VM memory is 128 MiB less than B's" ||
    fail "fleet: A's free VM memory is 128 MiB less than B's (placement $placement; $work/fleet-info.json)"
run -o json "${fleet[@]}" vm create --spread 2 --kernel "$vmlinuz" --initrd "$initramfs" --cmdline "$stay_cmdline" \
    --memory 128Mi --tenant "$fleet_tenant" --id sp --label run="$tag" --start
expect_json "fleet vm create --spread 2: placed by free VM memory, started, exit 5" 5 \
    "[[vm['name'] for vm in h.get('vms', [])] for h in doc['hosts']] == [['vms/sp-%d' % n for n in p] for p in $placement] and all(vm['state'] == 'RUNNING' and vm['tenant'] == '$fleet_tenant' for h in doc['hosts'] for vm in h.get('vms', [])) and doc['hosts'][2]['error']['code'] == 'UNAVAILABLE' and doc['summary'] == {'hosts': 3, 'ok': 2, 'failed': 1}"
run "${fleet[@]}" vm list --tenant "$fleet_tenant"
expect "fleet vm list (table), exit 5" 5 "^(alpha|beta) +vms/sp-1 +$fleet_tenant +RUNNING +128Mi"
grep -Eq "^dead +${dead//./\\.} +UNAVAILABLE" "$work/out" && pass "fleet vm list reports the dead host" ||
    fail "fleet vm list reports the dead host"
run -o json "${fleet[@]}" vm list --tenant "$fleet_tenant"
expect_json "fleet vm list json: each host's VMs" 5 \
    "[[vm['name'] for vm in h.get('vms', [])] for h in doc['hosts']] == [['vms/sp-%d' % n for n in p] for p in $placement] and 'vms' not in doc['hosts'][2]"
run -o json "${fleet[@]}" image list
expect_json "fleet image list json: the spread pushed the images to both" 5 \
    "all({'$kernel_sha', '$initrd_sha'} <= {i['sha256'] for i in h['images']} for h in doc['hosts'][:2]) and not doc['hosts'][2]['ok']"
run --fleet "$work/dead-hosts.txt" vm list
expect "fleet with every host down: exit 6" 6 '^1 hosts: 0 ok, 1 failed$'
run "${fleet[@]}" vm get sp-1
expect "fleet: a command without fleet mode is a usage error, exit 2" 2 "does not work with --fleet" err

# Cleanup, host by host: stop, delete, remove the images.
k vm delete "$hold_vm"
expect "cleanup: vm delete of the CREATED VM" 0 "^vms/$hold_vm deleted$"
for host in "$host_a" "$host_b"; do
    run --host "$host" -o json vm list --tenant "$fleet_tenant"
    names="$("$python" -c 'import json, sys; print(" ".join(vm["name"] for vm in json.load(open(sys.argv[1]))))' "$work/out" 2>/dev/null)"
    for vm in $names; do
        run --host "$host" vm stop "$vm" --force
        expect "cleanup on $host: vm stop --force $vm" 0 '^State: +(STOPPING|STOPPED)$'
        poll 30 vm_state_is "$host" "$vm" STOPPED
        run --host "$host" vm delete "$vm"
        expect "cleanup on $host: vm delete $vm" 0 "^$vm deleted$"
    done
    for sha in "$kernel_sha" "$initrd_sha"; do
        run --host "$host" image rm "$sha"
        expect "cleanup on $host: image rm ${sha:0:12}" 0 "deleted$"
    done
done
run -o json "${fleet[@]}" vm list --tenant "$fleet_tenant"
expect_json "fleet vm list after the cleanup: no VMs" 5 "all(h.get('vms', []) == [] for h in doc['hosts'])"
run "${fleet[@]}" host info
expect "fleet host info after the cleanup" 5 '^3 hosts: 2 ok, 1 failed$'

echo "$passed passed, $failed failed"
((failed == 0))
