#!/usr/bin/env bash
# //integration_tests:python_sdk_tests_fake_backend: the Python SDK's tests (sdk/python) against agent/api_host_server
# (the API's real services over TCP with a fake backend). Starts two servers on free ports (each binds port 0 and
# prints "port <n>"), picks an address where nothing listens, then runs with Debian's /usr/bin/python3 (the only
# interpreter with grpcio here) in one unittest run:
#   test_kapsel_unit          the layer without a server (sdk/python/tests)
#   test_sdk_fake_backend     every method of the layer against server A
#   test_fleet_fake_backend   sdk/python/examples/fleet.py against A, B and the dead address
#   test_docs_example         docs/python-sdk.md's examples (sdk/python/examples/quickstart.py, attest.py) against A
#   test_tokens_fake_backend  API tokens against server S, started with --api-tokens (tokens of sdk_test_env.py)
#   test_attest_fake_backend  host.vms.attest() against A and S
# then stops the servers with SIGTERM. Fails if a test failed or a server did not end cleanly (they run under
# ASan/UBSan, and LeakSanitizer checks that every connection, stream and VM was freed).
# Usage: run_fake_backend.sh <api_host_server> <the built SDK's kapsel/__init__.py>
set -euo pipefail

server="$1"
package_init="$2"
python=/usr/bin/python3
work="${TEST_TMPDIR:-$(mktemp -d)}"
here="integration_tests/sdk_python"

if ! "$python" -c 'import grpc, google.protobuf' 2>/dev/null; then
    echo "FAIL: $python cannot import grpc and google.protobuf (Debian's python3-grpcio, python3-protobuf)" >&2
    exit 1
fi

server_pids=()
server_names=()
stop_servers() {
    for pid in "${server_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
}
trap stop_servers EXIT

show_logs() {
    for name in a b s; do
        if [[ -f "$work/server-$name.log" ]]; then
            echo "--- api_host_server $name's log (last 40 lines):" >&2
            tail -n 40 "$work/server-$name.log" >&2
        fi
    done
}

# start_server <name> <options...>: starts a server, sets port_<name>. The port comes through a FIFO: read blocks until
# the server listens, with a time limit instead of a sleep.
start_server() {
    local name="$1"
    shift
    local fifo="$work/port-$name"
    rm -f "$fifo"
    mkfifo "$fifo"
    "$server" --port 0 --host-name "sdk-$name" "$@" >"$fifo" 2>"$work/server-$name.log" &
    server_pids+=($!)
    server_names+=("$name")
    local word port
    exec {fd}<"$fifo"
    if ! read -r -t 20 -u "$fd" word port || [[ "$word" != port ]]; then
        echo "FAIL: api_host_server $name did not report its port" >&2
        show_logs
        exit 1
    fi
    exec {fd}<&-
    printf -v "port_$name" '%s' "$port"
}

# A: the SDK's tests (small image limits so that "over the limit" needs few bytes; 4 GiB of guest RAM, so that a
# second VM of 4096 MiB is over it). B: 2 GiB of guest RAM, for the fleet's spread by free memory.
start_server a --tick-ms 20 --shutdown-ms 100 --max-image-mib 8 --image-store-mib 64 --vm-memory-mib 4096
start_server b --tick-ms 20 --shutdown-ms 100 --max-image-mib 8 --image-store-mib 64 --vm-memory-mib 2048
# S: API tokens, the file of their SHA-256 written here from the tokens the tests use.
"$python" - "$here" "$work/api-tokens.txt" <<'PY'
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from sdk_test_env import ACME_TOKEN, GLOBEX_TOKEN, OPERATOR_TOKEN
with open(sys.argv[2], "w") as file:
    for token, tenant in ((OPERATOR_TOKEN, "*"), (ACME_TOKEN, "acme"), (GLOBEX_TOKEN, "globex")):
        file.write("%s %s\n" % (hashlib.sha256(token.encode()).hexdigest(), tenant))
PY
start_server s --tick-ms 20 --shutdown-ms 100 --max-image-mib 8 --image-store-mib 64 --api-tokens "$work/api-tokens.txt"
# An address where nothing listens: a port the kernel handed out and that is closed again.
dead_port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

export KAPSEL_SDK_ADDRESS_A="127.0.0.1:$port_a"
export KAPSEL_SDK_ADDRESS_B="127.0.0.1:$port_b"
export KAPSEL_SDK_DEAD_ADDRESS="127.0.0.1:$dead_port"
export KAPSEL_SDK_SECURE_ADDRESS="127.0.0.1:$port_s"
unset KAPSEL_TOKEN # the Hosts of the tests give their tokens explicitly
export KAPSEL_SDK_SOURCE_ROOT="$PWD"
export KAPSEL_SDK_PYTHONPATH
KAPSEL_SDK_PYTHONPATH="$(cd "$(dirname "$package_init")/.." && pwd)"
export PYTHONPATH="$KAPSEL_SDK_PYTHONPATH:$PWD/sdk/python/tests:$PWD/$here"
export PYTHONDONTWRITEBYTECODE=1

suite_status=0
"$python" -m unittest -v test_kapsel_unit test_sdk_fake_backend test_fleet_fake_backend test_docs_example \
    test_tokens_fake_backend test_attest_fake_backend || suite_status=$?

trap - EXIT
server_status=0
for index in "${!server_pids[@]}"; do
    pid="${server_pids[$index]}"
    kill -TERM "$pid" 2>/dev/null || true  # gone already if it crashed: wait reports how
    status=0
    wait "$pid" || status=$?
    if ((status != 0)); then
        echo "FAIL: api_host_server ${server_names[$index]} exited with $status" >&2
        server_status=1
    fi
done

if ((suite_status != 0)); then
    echo "FAIL: the Python SDK's tests failed (above)" >&2
    show_logs
    exit 1
fi
if ((server_status != 0)); then
    show_logs
    exit 1
fi
echo "PASS"
