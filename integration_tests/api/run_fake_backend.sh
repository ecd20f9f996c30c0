#!/usr/bin/env bash
# //integration_tests:api_tests_fake_backend: starts agent/api_host_server (the API's services with a fake backend)
# on a free port (it binds port 0 and prints the port), runs the API test suite against it in fake mode with Debian's
# /usr/bin/python3 (the only interpreter with grpcio here), then stops the server with SIGTERM; fails if a test failed
# or the server did not end cleanly (it runs under ASan/UBSan, and LeakSanitizer checks that ending every connection
# and VM freed everything).
# The server takes the test tokens' hashes (--api-tokens), the suite the tokens themselves (--tokens).
# Usage: run_fake_backend.sh <api_host_server> <api_tests.py> <generate_python_stubs.sh> <token hashes> <tokens>
#                            [api_tests.py options...]
set -euo pipefail

server="$1"
suite="$2"
stubs_script="$3"
token_hashes="$4"
tokens="$5"
shift 5
python=/usr/bin/python3
work="${TEST_TMPDIR:-$(mktemp -d)}"

if ! "$python" -c 'import grpc, grpc_tools' 2>/dev/null; then
    echo "FAIL: $python cannot import grpc and grpc_tools (Debian's python3-grpcio, python3-grpc-tools)" >&2
    exit 1
fi

# The port line comes through a FIFO: read blocks until the server listens, with a time limit instead of a sleep.
fifo="$work/server_port"
rm -f "$fifo"
mkfifo "$fifo"
# Small limits so that the suite's quota and store checks need few bytes: 64 MiB images, a 256 MiB store, 8 GiB of
# guest RAM; guests tick every 50 ms and take 200 ms to power off.
"$server" --port 0 --host-name fake-host --tick-ms 50 --shutdown-ms 200 --max-image-mib 64 --image-store-mib 256 \
    --vm-memory-mib 8192 --api-tokens "$token_hashes" >"$fifo" 2>"$work/server.log" &
server_pid=$!
exec 3<"$fifo"
show_server_log() {
    echo "--- api_host_server's log:" >&2
    cat "$work/server.log" >&2
}
if ! read -r -t 20 -u 3 word port || [[ "$word" != port ]]; then
    echo "FAIL: api_host_server did not report its port" >&2
    kill "$server_pid" 2>/dev/null || true
    show_server_log
    exit 1
fi

suite_status=0
"$python" "$suite" --address "127.0.0.1:$port" --stubs-script "$stubs_script" --host-name fake-host \
    --tokens "$tokens" "$@" |
    tee "$work/suite.log" || suite_status=$?

server_status=0
kill -TERM "$server_pid" 2>/dev/null || true # gone already if it crashed: wait reports how
wait "$server_pid" || server_status=$?
exec 3<&-

# The suite's counts as cmocka's summary lines, which deploy/unit_test_summary.py adds up per target; a server that
# did not end cleanly is one failure more.
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/suite.log" | tail -n 1 || true)
passed=$(echo "$summary" | cut -s -d' ' -f1)
failed=$(echo "$summary" | cut -s -d' ' -f3 | tr -d ,)
failed=$((${failed:-1} + (server_status != 0)))
echo "[  PASSED  ] ${passed:-0} test(s)."
if ((failed > 0)); then
    echo "[  FAILED  ] $failed test(s)"
fi

if ((suite_status != 0)); then
    echo "FAIL: the API test suite failed (above)" >&2
    show_server_log
    exit 1
fi
if ((server_status != 0)); then
    echo "FAIL: api_host_server exited with $server_status" >&2
    show_server_log
    exit 1
fi
tail -n 3 "$work/server.log"
echo "PASS"
