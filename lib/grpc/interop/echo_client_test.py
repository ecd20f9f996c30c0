"""The client side of //lib/grpc:grpc_interop_test: Python's grpcio (the real gRPC stack, Debian's python3-grpcio,
which only /usr/bin/python3 has) against interop/grpc_echo_server.c. Generic calls on bytes (no serializers, no
generated code). Usage: /usr/bin/python3 echo_client_test.py <port>. Prints one line per check and exits non-zero
if any failed.
"""

import os
import struct
import sys
import threading
import traceback

import grpc

PREFIX = "/kapsel.test.Echo/"
MIB = 1024 * 1024
CALL_TIMEOUT = 10  # seconds: a hang fails the call instead of the test's time limit
CONNECTIONS = 16
FOREVER = 0xFFFFFFFF
FAIL_MESSAGE = "VM \u00fcber-k\u00e4fer is 100% broken"

# A channel of its own per call site: gRPC otherwise shares one TCP connection (subchannel) between channels to
# the same target. No proxy from the environment.
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.enable_http_proxy", 0),
]


class CheckFailed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise CheckFailed(what)


def new_channel(port):
    return grpc.insecure_channel("127.0.0.1:%d" % port, options=CHANNEL_OPTIONS)


def unary(channel, method, request, timeout=CALL_TIMEOUT):
    return channel.unary_unary(PREFIX + method, request_serializer=None, response_deserializer=None)(
        request, timeout=timeout
    )


def server_stream(channel, count, payload, timeout=CALL_TIMEOUT):
    call = channel.unary_stream(PREFIX + "ServerStream", request_serializer=None, response_deserializer=None)
    return call(struct.pack(">I", count) + payload, timeout=timeout)


def client_stream(channel, messages):
    call = channel.stream_unary(PREFIX + "ClientStream", request_serializer=None, response_deserializer=None)
    return call(iter(messages), timeout=CALL_TIMEOUT)


def stats(channel):
    text = unary(channel, "Stats", b"").decode()
    return {key: int(value) for key, value in (item.split("=") for item in text.split())}


def expect_status(error, code, what):
    expect(isinstance(error, grpc.RpcError), "%s: %r is not a gRPC error" % (what, error))
    expect(error.code() == code, "%s: status %s (%r), expected %s" % (what, error.code(), error.details(), code))


def call_failing(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except grpc.RpcError as error:
        return error
    raise CheckFailed("the call succeeded")


def check_unary_round_trips(port):
    with new_channel(port) as channel:
        for size in (0, 1, 100, 16 * 1024 + 3, 200 * 1024):
            request = os.urandom(size)
            expect(unary(channel, "Unary", request) == request, "echo of %d bytes" % size)


def check_message_of_3_mib(port):
    with new_channel(port) as channel:
        request = os.urandom(3 * MIB)
        expect(unary(channel, "Unary", request) == request, "echo of 3 MiB")


def check_message_over_the_limit(port):
    with new_channel(port) as channel:
        error = call_failing(unary, channel, "Unary", b"x" * (5 * MIB))
        expect_status(error, grpc.StatusCode.RESOURCE_EXHAUSTED, "5 MiB to a 4 MiB limit")
        expect("larger than the limit" in error.details(), "details: %r" % error.details())
        expect(unary(channel, "Unary", b"after") == b"after", "the connection serves on")


def check_server_stream(port):
    with new_channel(port) as channel:
        payload = os.urandom(1000)
        responses = list(server_stream(channel, 100, payload))
        expect(len(responses) == 100, "%d messages, expected 100" % len(responses))
        expect(all(response == payload for response in responses), "every message is the payload")


def check_client_stream(port):
    with new_channel(port) as channel:
        messages = [os.urandom(size) for size in range(0, 50 * 997, 997)]
        total = client_stream(channel, messages)
        expect(int(total) == sum(len(m) for m in messages), "total %r" % total)


def check_status_with_message_to_encode(port):
    with new_channel(port) as channel:
        for code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
                     grpc.StatusCode.UNAUTHENTICATED):
            error = call_failing(unary, channel, "Fail", str(code.value[0]).encode())
            expect_status(error, code, "Fail")
            expect(error.details() == FAIL_MESSAGE, "details %r, expected %r" % (error.details(), FAIL_MESSAGE))


def check_unknown_method(port):
    with new_channel(port) as channel:
        error = call_failing(
            channel.unary_unary("/kapsel.test.Echo/Nope", request_serializer=None, response_deserializer=None),
            b"", timeout=CALL_TIMEOUT)
        expect_status(error, grpc.StatusCode.UNIMPLEMENTED, "unknown method")


def check_cancelled_server_stream(port):
    with new_channel(port) as channel:
        before = stats(channel)
        responses = server_stream(channel, FOREVER, b"tick" * 256)
        for _ in range(5):
            expect(next(responses) == b"tick" * 256, "a message of the endless stream")
        responses.cancel()
        error = call_failing(lambda: list(responses))
        expect_status(error, grpc.StatusCode.CANCELLED, "after cancel")
        # The RST_STREAM and the next calls travel on the same connection, but gRPC sends them from its own
        # threads: ask until the server has seen the cancellation (bounded; no sleeping).
        for _ in range(200):
            now = stats(channel)
            if now["streams"] == before["streams"] and now["cancels"] > before["cancels"]:
                break
        expect(now["streams"] == before["streams"], "the server still runs %d streams" % now["streams"])
        expect(now["cancels"] > before["cancels"], "the server saw no cancellation")


def check_deadline(port):
    with new_channel(port) as channel:
        error = call_failing(unary, channel, "Never", b"", timeout=0.5)
        expect_status(error, grpc.StatusCode.DEADLINE_EXCEEDED, "a call that is never answered")
        # gRPC's client rounds the grpc-timeout it sends up (to few digits), so a little over 500 ms is right; a unit
        # mistaken by the server (seconds for milliseconds, milliseconds for microseconds) is off by 1000 times.
        budget = stats(channel)["budget_ms"]
        expect(250 < budget <= 600, "the server's deadline was %d ms away, for a 500 ms timeout" % budget)


def exercise_one_connection(port, index, failures):
    """Unary calls, a server stream and a client stream on a channel of its own."""
    try:
        with new_channel(port) as channel:
            for round_number in range(20):
                request = os.urandom((index * 4099 + round_number * 1021) % (64 * 1024))
                expect(unary(channel, "Unary", request) == request, "connection %d: echo" % index)
            payload = bytes([index]) * 4096
            responses = list(server_stream(channel, 20, payload))
            expect(responses == [payload] * 20, "connection %d: server stream" % index)
            total = client_stream(channel, [b"y" * index] * 10)
            expect(int(total) == 10 * index, "connection %d: client stream" % index)
    except Exception:  # noqa: BLE001 - reported to the main thread with its traceback
        failures.append(traceback.format_exc())


def check_concurrent_connections(port):
    with new_channel(port) as channel:
        accepted_before = stats(channel)["accepted"]
    failures = []
    threads = [threading.Thread(target=exercise_one_connection, args=(port, i, failures)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expect(not failures, "".join(failures))
    with new_channel(port) as channel:
        accepted = stats(channel)["accepted"] - accepted_before
    # The 16 and this last one: every channel had a connection of its own.
    expect(accepted == CONNECTIONS + 1, "%d connections accepted, expected %d" % (accepted, CONNECTIONS + 1))


CHECKS = [
    check_unary_round_trips,
    check_message_of_3_mib,
    check_message_over_the_limit,
    check_server_stream,
    check_client_stream,
    check_status_with_message_to_encode,
    check_unknown_method,
    check_cancelled_server_stream,
    check_deadline,
    check_concurrent_connections,
]


def main():
    port = int(sys.argv[1])
    failed = 0
    for check in CHECKS:
        try:
            check(port)
            print("[  OK  ] %s" % check.__name__)
        except Exception as error:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print("[ FAIL ] %s: %s" % (check.__name__, error))
    print("%d passed, %d failed" % (len(CHECKS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
