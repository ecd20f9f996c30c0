#!/usr/bin/env bash
# //integration_tests/sdk:sdk_tests_fake_backend: runs every kapselctl command against agent/api_host_server (two of
# them, "alpha" and "beta", on free ports) and checks exit codes, outputs and, for --output json, that the output
# parses (Debian's /usr/bin/python3) and holds what it should; then fleet mode over both servers and a dead address;
# then API tokens (--token, KAPSEL_TOKEN, exit 9) against a third server, "secure", started with --api-tokens.
# attest: evidence verified against the VMs' facts and the host's key, exit 10 for what does not verify or match,
# exit 7 from a gRPC server without AttestationService (an older agent).
# Ends with "N passed, N failed"; fails if a check failed or a server did not end cleanly (they run under
# ASan/UBSan, and LeakSanitizer checks that every call and stream was ended).
# Usage: run_sdk_tests.sh <kapselctl> <api_host_server>
set -uo pipefail

kapselctl="$(realpath "$1")"
server="$(realpath "$2")"
work="${TEST_TMPDIR:-$(mktemp -d)}"
python=/usr/bin/python3
passed=0
failed=0
server_pids=()
server_names=()
unset KAPSEL_TOKEN # the token checks give theirs explicitly

# --- Servers ---

# start_server NAME VM_MEMORY_MIB [OPTIONS...]: starts a server, sets port_NAME once it listens (the port comes through
# a FIFO).
start_server() {
    local name="$1" memory="$2" fifo="$work/$1.port" word port
    shift 2
    rm -f "$fifo"
    mkfifo "$fifo"
    "$server" --port 0 --host-name "$name" --tick-ms 40 --shutdown-ms 150 --max-image-mib 16 --image-store-mib 64 \
        --vm-memory-mib "$memory" "$@" >"$fifo" 2>"$work/$name.log" &
    server_pids+=($!)
    server_names+=("$name")
    if ! read -r -t 20 word port <"$fifo" || [[ "$word" != port ]]; then
        echo "FAIL: api_host_server $name did not report its port" >&2
        cat "$work/$name.log" >&2
        exit 1
    fi
    printf -v "port_$name" '%s' "$port"
}

# A port that was free a moment ago: connections to it are refused.
dead_port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
start_server alpha 1024
start_server beta 512
alpha="127.0.0.1:$port_alpha"
beta="127.0.0.1:$port_beta"
dead="127.0.0.1:$dead_port"

# --- Checking ---

# run ARGS...: runs kapselctl; its exit code in $status, its output in $work/out and $work/err.
run() {
    "$kapselctl" "$@" >"$work/out" 2>"$work/err" </dev/null
    status=$?
}

pass() {
    passed=$((passed + 1))
    echo "ok      $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAILED  $1"
    echo "        exit $status; stdout:"
    sed 's/^/          /' "$work/out" | head -20
    echo "        stderr:"
    sed 's/^/          /' "$work/err" | head -20
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

# expect_json NAME EXIT PYTHON: the last run exited EXIT, its stdout parses as JSON (one document, or with
# --lines one per line) and the Python expression, over `doc` (or `docs`), is true.
expect_json() {
    local name="$1" code="$2" check="$3" lines="${4:-}"
    if [[ "$status" != "$code" ]]; then
        fail "$name (exit $code expected)"
        return
    fi
    if "$python" - "$work/out" "$check" "$lines" <<'PY'; then
import json, sys
path, check, lines = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-8").read()
if lines:
    docs = [json.loads(line) for line in text.splitlines()]
    doc = docs[0] if docs else None
else:
    doc = json.loads(text)
    docs = [doc]
sys.exit(0 if eval(check) else 1)
PY
        pass "$name"
    else
        fail "$name (JSON check: $check)"
    fi
}

k() {
    run --host "$alpha" "$@"
}

# sha256_of_file FILE, sha256_of_text TEXT: the SHA-256 in hex.
sha256_of_file() {
    sha256sum "$1" | cut -d' ' -f1
}
sha256_of_text() {
    printf '%s' "$1" | sha256_of_file -
}

# host_key: the attestation key of the last run's host info -o json.
host_key() {
    "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["attestation_public_key"])' "$work/out"
}

# --- Images ---

head -c 3500000 /dev/urandom >"$work/vmlinuz"
head -c 70000 /dev/urandom >"$work/initrd.cpio"
head -c 4096 /dev/zero >"$work/data.img"
kernel_sha="$(sha256_of_file "$work/vmlinuz")"

k host health
expect "host health" 0 '^SERVING$'
k -o json host health
expect_json "host health json" 0 'doc == {"status": "SERVING"}'
k host info
expect "host info" 0 '^Name: +alpha$'
k -o json host info
expect_json "host info json" 0 'doc["name"] == "alpha" and doc["vm_memory_limit_bytes"] == 1024 << 20'

k -o json image push "$work/vmlinuz" --name vmlinuz-test
expect_json "image push json" 0 "doc['sha256'] == '$kernel_sha' and doc['size_bytes'] == 3500000 and doc['display_name'] == 'vmlinuz-test'"
grep -q "vmlinuz-test: 3500000 of 3500000 bytes (100%)" "$work/err" && pass "image push: plain progress lines off a terminal" ||
    fail "image push: plain progress lines off a terminal"
k image push "$work/vmlinuz"
expect "image push: content the host has is not sent again" 0 "has this content already" err
k image get "$kernel_sha"
expect "image get" 0 "^Name: +images/$kernel_sha$"
k -o json image get "images/$kernel_sha"
expect_json "image get json" 0 "doc['name'] == 'images/$kernel_sha'"
k image list
expect "image list" 0 "^images/$kernel_sha +3.3Mi +vmlinuz-test"
k image get 0000000000000000000000000000000000000000000000000000000000000000
expect "image get unknown: NOT_FOUND, exit 1" 1 "NOT_FOUND" err

# --- VMs ---

k -o json vm create --kernel "$work/vmlinuz" --initrd "$work/initrd.cpio" --disk "$work/data.img:ro" \
    --cmdline "console=ttyS0 quiet" --memory 256Mi --network 3 --label env=test --label tier=web --tenant acme \
    --id web-1 --start
expect_json "vm create --start (local files pushed first)" 0 \
    "doc['name'] == 'vms/web-1' and doc['state'] == 'RUNNING' and doc['labels'] == {'env': 'test', 'tier': 'web'} and doc['spec']['kernel_image'] == 'images/$kernel_sha' and doc['spec']['disks'][0]['read_only'] and doc['spec']['network_id'] == 3 and doc['spec']['memory_mib'] == 256"
k vm create --kernel "$kernel_sha" --tenant acme --id web-2 --memory 128 --cmdline "fake.poweroff_after=3"
expect "vm create (image by digest)" 0 '^State: +CREATED$'
k vm create --kernel "$kernel_sha" --tenant other --id web-1
expect "vm create: a taken id is ALREADY_EXISTS, exit 1" 1 "ALREADY_EXISTS" err
k vm create --kernel "$kernel_sha" --tenant acme --memory 8
expect "vm create: memory the host refuses is INVALID_ARGUMENT" 1 "INVALID_ARGUMENT: .*memory_mib" err
k vm start web-2
expect "vm start" 0 '^State: +RUNNING$'
k vm get vms/web-1
expect "vm get" 0 '^Labels: +env=test, tier=web$'
k vm list
expect "vm list (table)" 0 '^vms/web-2 +acme +RUNNING +128Mi +- '
k -o json vm list --tenant acme --label tier=web
expect_json "vm list --tenant --label json" 0 '[vm["name"] for vm in doc] == ["vms/web-1"]'
k -o json vm list --tenant nobody
expect_json "vm list of nothing is []" 0 'doc == []'

k vm console web-2
expect "vm console follows until the VM ends" 0 'reboot: Power down'
k -o json vm console web-1 --no-follow
expect_json "vm console --no-follow json lines" 0 'docs[0]["offset"] == 0 and "booting" in docs[0]["data"]' lines
k --timeout 0.3 vm console web-1
expect "vm console --timeout: DEADLINE_EXCEEDED, exit 1" 1 "DEADLINE_EXCEEDED" err
k -o json vm watch --tenant acme --count 2
expect_json "vm watch --count json lines" 0 'len(docs) == 2 and all(d["type"] == "ADDED" for d in docs) and {d["vm"]["name"] for d in docs} == {"vms/web-1", "vms/web-2"}' lines
k vm watch --count 1
expect "vm watch (table)" 0 '^[0-9]+ +ADDED +vms/web-'

# --- Attestation: evidence about a CREATED VM (att-1) and a RUNNING one (web-1), verified, against the VMs' facts ---

initrd_sha="$(sha256_of_file "$work/initrd.cpio")"
disk_sha="$(sha256_of_file "$work/data.img")"
k -o json host info
expect_json "host info json: the attestation key, 65 bytes in hex" 0 \
    'len(doc["attestation_public_key"]) == 130 and doc["attestation_public_key"].startswith("04")'
alpha_key="$(host_key)"
k host info
expect "host info: the attestation key" 0 "^Attestation key: +$alpha_key$"
printf '\n  %s\n' "$alpha_key" >"$work/alpha.key"

k vm create --kernel "$kernel_sha" --tenant attest --id att-1 --memory 128 --cmdline "quiet loglevel=3"
expect "attest: a VM to attest, CREATED" 0 '^State: +CREATED$'
k -o json attest att-1
expect_json "attest a CREATED VM: verified, its facts, a fresh 32-byte nonce, the host's key" 0 \
    "doc['attested'] and doc['evidence']['vm_name'] == 'vms/att-1' and doc['evidence']['state'] == 'CREATED' and doc['evidence']['tenant'] == 'attest' and doc['evidence']['kernel_sha256'] == '$kernel_sha' and doc['evidence']['command_line_sha256'] == '$(sha256_of_text "quiet loglevel=3")' and doc['evidence']['initrd_sha256'] == '' and doc['evidence']['memory_mib'] == 128 and doc['evidence']['version'] == 1 and doc['evidence']['host_name'] == 'alpha' and len(doc['evidence']['nonce']) == 64 and doc['public_key'] == '$alpha_key' and not doc['key_pinned'] and doc['evidence']['root_of_trust'] != ''"
k attest vms/att-1 --expect-kernel "$work/vmlinuz" --expect-cmdline "quiet loglevel=3"
expect "attest --expect-kernel, --expect-cmdline met: exit 0" 0 '^--expect-cmdline: +met: quiet loglevel=3$'

k -o json attest web-1 --expect-kernel "$work/vmlinuz" --expect-initrd "$work/initrd.cpio" \
    --expect-cmdline "console=ttyS0 quiet" --expect-key "$alpha_key"
expect_json "attest a RUNNING VM: every expectation met, the key pinned" 0 \
    "doc['attested'] and doc['key_pinned'] and doc['evidence']['state'] == 'RUNNING' and doc['evidence']['tenant'] == 'acme' and doc['evidence']['kernel_sha256'] == '$kernel_sha' and doc['evidence']['initrd_sha256'] == '$initrd_sha' and doc['evidence']['command_line_sha256'] == '$(sha256_of_text "console=ttyS0 quiet")' and doc['evidence']['memory_mib'] == 256 and doc['evidence']['network_id'] == 3 and doc['evidence']['disks'] == [{'image_sha256': '$disk_sha', 'read_only': True}] and doc['evidence']['vmm_launch_spec'] != '' and [e['met'] for e in doc['expectations']] == [True, True, True]"
k attest web-1 --expect-key "@$work/alpha.key"
expect "attest --expect-key @FILE: the key pinned" 0 '^Verified: +signature, version, VM, nonce; the key is the one expected$'
k attest web-1 --expect-kernel "$work/initrd.cpio"
expect "attest --expect-kernel of another file: not attested, exit 10" 10 \
    "vms/web-1: not attested: kernel_sha256 is \"$kernel_sha\", not $initrd_sha" err
grep -Eq '^--expect-kernel: +NOT MET: ' "$work/out" && pass "attest: the unmet expectation is shown with the evidence" ||
    fail "attest: the unmet expectation is shown with the evidence"
k attest web-1 --expect-cmdline "console=ttyS0"
expect "attest --expect-cmdline of another text: exit 10" 10 "not attested: command_line_sha256" err
k attest att-1 --expect-initrd "$work/initrd.cpio"
expect "attest --expect-initrd of a VM without one: exit 10" 10 'not attested: initrd_sha256 is ""' err
# P-256's generator: a valid key, not the host's.
k attest web-1 --expect-key 046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5
expect "attest --expect-key of another key: ATTESTATION_INVALID, exit 10" 10 \
    "vms/web-1: ATTESTATION_INVALID: public_key: the host signed with another key" err
k -o json attest web-1 --nonce 000102030405060708090a0b0c0d0e0f
expect_json "attest --nonce of 16 bytes: the evidence carries it" 0 \
    "doc['evidence']['nonce'] == '000102030405060708090a0b0c0d0e0f'"
k attest web-1 --nonce 0001020304050607
expect "attest --nonce of 8 bytes: a usage error, exit 2 (never sent)" 2 "--nonce takes 16 to 64 bytes in hex" err
k attest nosuch
expect "attest of an unknown VM: NOT_FOUND, exit 1" 1 "vms/nosuch: NOT_FOUND" err
k vm delete att-1
expect "attest: att-1 deleted" 0 "^vms/att-1 deleted$"

k image rm "$kernel_sha"
expect "image rm of an image in use: FAILED_PRECONDITION, exit 1" 1 "FAILED_PRECONDITION" err
k vm delete web-1
expect "vm delete of a RUNNING VM: FAILED_PRECONDITION, exit 1" 1 "FAILED_PRECONDITION" err
k vm stop web-1 --grace 5
expect "vm stop" 0 '^State: +(STOPPING|STOPPED)$'
k vm console web-1 --skip-history
expect "vm console after the stop ends" 0
k -o json vm get web-1
expect_json "vm get json: stopped, reason" 0 'doc["state"] == "STOPPED" and doc["state_reason"] == "guest powered off" and doc["end_time_unix_ms"] >= doc["start_time_unix_ms"] > 0'
k vm stop web-1
expect "vm stop of a STOPPED VM: FAILED_PRECONDITION" 1 "FAILED_PRECONDITION" err
for vm in web-1 web-2; do
    k vm delete "$vm"
    expect "vm delete $vm" 0 "^vms/$vm deleted$"
done
k vm get web-1
expect "vm get of a deleted VM: NOT_FOUND, exit 1" 1 "vms/web-1: NOT_FOUND" err
k -o json image rm "images/$kernel_sha"
expect_json "image rm json" 0 "doc == {'deleted': 'images/$kernel_sha'}"

# --- Errors ---

run --host "$dead" host health
expect "unreachable host: exit 3, named" 3 "host $dead unreachable: UNAVAILABLE" err
run --host "$dead" vm create --kernel "$work/vmlinuz" --tenant acme
expect "vm create on an unreachable host: exit 3" 3 "UNAVAILABLE" err
k image push "$work/nonexistent"
expect "image push of a missing file: exit 4" 4 "nonexistent" err
k vm get
expect "usage error: exit 2" 2 "missing the VM's name" err
k attest
expect "attest without a VM: usage error, exit 2" 2 "missing the VM's name" err
# A gRPC server without AttestationService (an older agent): UNIMPLEMENTED is exit 7.
mkfifo "$work/bare.port"
"$python" -c '
from concurrent import futures
import grpc
server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
print("port", server.add_insecure_port("127.0.0.1:0"), flush=True)
server.start()
server.wait_for_termination()  # until SIGTERM
' >"$work/bare.port" 2>"$work/bare.log" &
bare_pid=$!
if read -r -t 20 word bare_port <"$work/bare.port" && [[ "$word" == port ]]; then
    run --host "127.0.0.1:$bare_port" attest web-1
    expect "attest to a host without attestation: not available, exit 7" 7 \
        "not available: the host does not implement attestation" err
else
    failed=$((failed + 1))
    echo "FAILED  attest to a host without attestation: the bare gRPC server did not start"
fi
kill "$bare_pid" 2>/dev/null
wait "$bare_pid" 2>/dev/null
k vm create --help
expect "vm create --help" 0 "^Usage: kapselctl vm create"

# --- Fleet ---

cat >"$work/hosts.txt" <<HOSTS
# name  address
alpha   $alpha
beta    $beta   # the smaller one
dead    $dead
HOSTS
printf 'dead %s\n' "$dead" >"$work/dead-hosts.txt"

run --fleet "$work/hosts.txt" host health
expect "fleet host health: a dead host is partial failure, exit 5" 5 '^3 hosts: 2 ok, 1 failed$'
run --fleet "$work/hosts.txt" host info
expect "fleet host info (table)" 5 '^beta +127\.0\.0\.1:[0-9]+ +beta '
run -o json --fleet "$work/hosts.txt" host info
expect_json "fleet host info json" 5 '[h["ok"] for h in doc["hosts"]] == [True, True, False] and doc["hosts"][2]["error"]["code"] == "UNAVAILABLE" and doc["hosts"][1]["info"]["name"] == "beta"'

# alpha has 1024 MiB of VM memory, beta 512: 4 VMs of 256 MiB go alpha, alpha, alpha (a tie at 512: listed first),
# then beta.
run -o json --fleet "$work/hosts.txt" vm create --spread 4 --kernel "$work/vmlinuz" --tenant fleet --id sp \
    --memory 256 --start
expect_json "fleet vm create --spread by free VM memory" 5 \
    '[[vm["name"] for vm in h["vms"]] for h in doc["hosts"]] == [["vms/sp-1", "vms/sp-2", "vms/sp-3"], ["vms/sp-4"], []] and all(vm["state"] == "RUNNING" for h in doc["hosts"] for vm in h["vms"]) and doc["summary"] == {"hosts": 3, "ok": 2, "failed": 1}'
run --fleet "$work/hosts.txt" vm create --spread 2 --kernel "$work/vmlinuz" --tenant fleet --memory 512
expect "fleet vm create --spread beyond free memory creates none" 1 "RESOURCE_EXHAUSTED" err
run --fleet "$work/hosts.txt" vm list --tenant fleet
expect "fleet vm list (table)" 5 '^beta +vms/sp-4 +fleet +RUNNING'
grep -Eq '^dead +127\.0\.0\.1:[0-9]+ +UNAVAILABLE' "$work/out" && pass "fleet vm list reports the dead host" ||
    fail "fleet vm list reports the dead host"
run -o json --fleet "$work/hosts.txt" vm list
expect_json "fleet vm list json" 5 '[len(h.get("vms", [])) for h in doc["hosts"]] == [3, 1, 0] and doc["summary"]["failed"] == 1'
run -o json --fleet "$work/hosts.txt" image list
expect_json "fleet image list json" 5 "all('$kernel_sha' in [i['sha256'] for i in h['images']] for h in doc['hosts'][:2]) and 'images' not in doc['hosts'][2]"
run --fleet "$work/dead-hosts.txt" vm list
expect "fleet with every host down: exit 6" 6 '^1 hosts: 0 ok, 1 failed$'
run --fleet "$work/hosts.txt" vm get sp-1
expect "fleet: a command without fleet mode is a usage error" 2 "does not work with --fleet" err

# --- API tokens: a server started with --api-tokens, an operator's token and the tokens of tenants acme and globex ---

{
    echo "# <SHA-256 of the token> <tenant, or * for the operator>"
    for entry in "operator-test-token *" "acme-test-token acme" "globex-test-token globex"; do
        printf '%s %s\n' "$(sha256_of_text "${entry% *}")" "${entry#* }"
    done
} >"$work/api-tokens.txt"
start_server secure 1024 --api-tokens "$work/api-tokens.txt"
secure="127.0.0.1:$port_secure"
head -c 50000 /dev/urandom >"$work/secure-kernel"
head -c 60000 /dev/urandom >"$work/acme-image"
secure_kernel_sha="$(sha256_of_file "$work/secure-kernel")"

# kept ARGS...: run, and everything it prints kept in secure-output too (no token may be in it); s ARGS...: kept on the
# secure server.
kept() {
    run "$@"
    cat "$work/out" "$work/err" >>"$work/secure-output"
}
s() {
    kept --host "$secure" "$@"
}

# no_hint NAME: the last run did not suggest giving a token (it gave one).
no_hint() {
    if grep -q "give --token" "$work/err"; then
        fail "$1"
    else
        pass "$1"
    fi
}

s vm list
expect "tokens: no token is UNAUTHENTICATED, exit 9" 9 "ListVms: UNAUTHENTICATED" err
grep -q "give --token TOKEN or set KAPSEL_TOKEN" "$work/err" && pass "tokens: without a token, how to give one" ||
    fail "tokens: without a token, how to give one"
s --token wrong-test-token vm list
expect "tokens: an unknown token is UNAUTHENTICATED, exit 9" 9 "UNAUTHENTICATED" err
no_hint "tokens: an unknown token is not told to give one"
KAPSEL_TOKEN=wrong-test-token s image list
expect "tokens: an unknown KAPSEL_TOKEN is UNAUTHENTICATED, exit 9" 9 "UNAUTHENTICATED" err
no_hint "tokens: KAPSEL_TOKEN is sent"
KAPSEL_TOKEN="two words" s vm list
expect "tokens: a malformed KAPSEL_TOKEN is a usage error, exit 2" 2 "KAPSEL_TOKEN must be 1 to 512 characters" err
s host health
expect "tokens: host health needs no token" 0 '^SERVING$'

KAPSEL_TOKEN=operator-test-token s -o json image push "$work/secure-kernel"
expect_json "tokens: the operator pushes an image (KAPSEL_TOKEN)" 0 "doc['sha256'] == '$secure_kernel_sha'"
s --token acme-test-token image push "$work/acme-image"
expect "tokens: a tenant cannot push an image, exit 9" 9 "UploadImage: PERMISSION_DENIED" err
s --token acme-test-token image rm "$secure_kernel_sha"
expect "tokens: a tenant cannot delete an image, exit 9" 9 "PERMISSION_DENIED" err
s --token acme-test-token image get "$secure_kernel_sha"
expect "tokens: a tenant gets images" 0 "^Name: +images/$secure_kernel_sha$"

s --token acme-test-token vm create --kernel "$secure_kernel_sha" --tenant acme --id acme-1 --memory 128
expect "tokens: acme creates a VM of acme (--token)" 0 '^Tenant: +acme$'
KAPSEL_TOKEN=globex-test-token s --token acme-test-token vm get acme-1
expect "tokens: --token wins over KAPSEL_TOKEN" 0 '^Name: +vms/acme-1$'
KAPSEL_TOKEN=acme-test-token s --token "" vm get acme-1
expect "tokens: --token \"\" sends none, KAPSEL_TOKEN notwithstanding" 9 "UNAUTHENTICATED" err
s --token globex-test-token vm create --kernel "$secure_kernel_sha" --tenant globex --id globex-1 --memory 128
expect "tokens: globex creates a VM of globex" 0 '^Tenant: +globex$'
s --token globex-test-token vm create --kernel "$secure_kernel_sha" --tenant acme --id globex-2 --memory 128
expect "tokens: globex cannot create a VM for acme, exit 9" 9 "CreateVm: PERMISSION_DENIED" err
s --token globex-test-token vm get acme-1
expect "tokens: globex does not find acme's VM, exit 1" 1 "vms/acme-1: NOT_FOUND" err
s --token globex-test-token vm delete acme-1
expect "tokens: globex cannot delete acme's VM (NOT_FOUND), exit 1" 1 "vms/acme-1: NOT_FOUND" err
s --token globex-test-token -o json vm list
expect_json "tokens: globex lists its own VMs only" 0 '[vm["name"] for vm in doc] == ["vms/globex-1"]'
s --token globex-test-token vm list --tenant acme
expect "tokens: globex cannot list acme's VMs, exit 9" 9 "ListVms: PERMISSION_DENIED" err
s --token globex-test-token vm watch --tenant acme --count 1
expect "tokens: globex cannot watch acme's VMs, exit 9" 9 "WatchVms: PERMISSION_DENIED" err
s --token acme-test-token -o json vm watch --count 1
expect_json "tokens: acme watches its VMs (a stream with the token)" 0 \
    '[d["vm"]["name"] for d in docs] == ["vms/acme-1"]' lines
s --token operator-test-token -o json vm list
expect_json "tokens: the operator sees both tenants' VMs" 0 \
    '[(vm["name"], vm["tenant"]) for vm in doc] == [("vms/acme-1", "acme"), ("vms/globex-1", "globex")]'
s --token acme-test-token -o json host info
secure_key="$(host_key)"
s --token acme-test-token -o json attest acme-1 --expect-key "$secure_key"
expect_json "tokens: acme attests its own VM, the key of host info" 0 \
    "doc['attested'] and doc['key_pinned'] and doc['evidence']['tenant'] == 'acme' and doc['evidence']['kernel_sha256'] == '$secure_kernel_sha' and doc['evidence']['memory_mib'] == 128 and doc['public_key'] == '$secure_key' != '$alpha_key'"
s --token acme-test-token attest acme-1 --expect-key "$alpha_key"
expect "tokens: attest pinned to another host's key: exit 10" 10 "ATTESTATION_INVALID: public_key:" err
s --token acme-test-token attest globex-1
expect "tokens: acme does not attest globex's VM (NOT_FOUND), exit 1" 1 "vms/globex-1: NOT_FOUND" err
s attest acme-1
expect "tokens: attest without a token: UNAUTHENTICATED, exit 9" 9 "UNAUTHENTICATED" err
s --token operator-test-token -o json attest globex-1
expect_json "tokens: the operator attests every tenant's VM" 0 "doc['evidence']['tenant'] == 'globex'"

# Every host of a fleet gets the token: with acme's, the open alpha and the secure server both answer.
printf 'alpha %s\nsecure %s\n' "$alpha" "$secure" >"$work/secure-hosts.txt"
kept --fleet "$work/secure-hosts.txt" --token acme-test-token -o json vm list --tenant acme
expect_json "tokens: fleet mode sends the token to every host" 0 \
    '[h["ok"] for h in doc["hosts"]] == [True, True] and [vm["name"] for vm in doc["hosts"][1]["vms"]] == ["vms/acme-1"]'
run --fleet "$work/secure-hosts.txt" -o json vm list
expect_json "tokens: fleet without a token: the secure host fails, exit 5" 5 \
    '[h["ok"] for h in doc["hosts"]] == [True, False] and doc["hosts"][1]["error"]["code"] == "UNAUTHENTICATED"'
kept --fleet "$work/secure-hosts.txt" --token globex-test-token host info
expect "tokens: fleet host info with a token" 0 '^2 hosts: 2 ok, 0 failed$'

for vm in acme-1 globex-1; do
    s --token operator-test-token vm delete "$vm"
    expect "tokens: the operator deletes $vm" 0 "^vms/$vm deleted$"
done
if grep -q "test-token" "$work/secure-output"; then
    fail "tokens: no output shows a token"
else
    pass "tokens: no output shows a token"
fi

# --- The servers end cleanly (every stream and call of the CLI ended, nothing leaked) ---

for index in "${!server_pids[@]}"; do
    kill -TERM "${server_pids[$index]}" 2>/dev/null
    server_status=0
    wait "${server_pids[$index]}" || server_status=$?
    name="${server_names[$index]}"
    if ((server_status == 0)); then
        passed=$((passed + 1))
        echo "ok      api_host_server $name ended cleanly"
    else
        failed=$((failed + 1))
        echo "FAILED  api_host_server $name exited with $server_status"
        tail -n 20 "$work/$name.log"
    fi
done

echo "$passed passed, $failed failed"
((failed == 0))
