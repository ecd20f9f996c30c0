#!/usr/bin/env bash
# //lib/grpc:grpc_interop_test: starts the echo server on a free port (it binds port 0 and prints the port), runs
# the Python gRPC client against it with Debian's /usr/bin/python3 (the only interpreter with grpcio here), then
# stops the server with SIGTERM; fails if the client found a mismatch, or if the server did not end cleanly (it runs
# under ASan/UBSan, and LeakSanitizer checks that ending every connection freed everything).
# Usage: grpc_interop_test.sh <grpc_echo_server> <echo_client_test.py>
set -euo pipefail

server="$1"
client="$2"
python=/usr/bin/python3
work="${TEST_TMPDIR:-$(mktemp -d)}"

if ! "$python" -c 'import grpc' 2>/dev/null; then
    echo "FAIL: $python cannot import grpc (Debian's python3-grpcio; deploy/setup installs it)" >&2
    exit 1
fi

# The port line comes through a FIFO: read blocks until the server listens, with a time limit instead of a sleep.
fifo="$work/server_port"
rm -f "$fifo"
mkfifo "$fifo"
"$server" 0 >"$fifo" 2>"$work/server.log" &
server_pid=$!
exec 3<"$fifo"
show_server_log() {
    echo "--- echo server's log:" >&2
    cat "$work/server.log" >&2
}
if ! read -r -t 10 -u 3 word port || [[ "$word" != port ]]; then
    echo "FAIL: the echo server did not report its port" >&2
    kill "$server_pid" 2>/dev/null || true
    show_server_log
    exit 1
fi

client_status=0
"$python" "$client" "$port" || client_status=$?

server_status=0
kill -TERM "$server_pid"
wait "$server_pid" || server_status=$?
exec 3<&-

if ((client_status != 0)); then
    echo "FAIL: the client found mismatches (above)" >&2
    show_server_log
    exit 1
fi
if ((server_status != 0)); then
    echo "FAIL: the echo server exited with $server_status" >&2
    show_server_log
    exit 1
fi
cat "$work/server.log"
echo "PASS"
