"""A stand-in for a grpc.Channel, for the SDK's unit tests: the generated stubs are built on it as on a real one, and
each call goes to a handler the test sets, after its request went through the stub's serializer and before its
answer goes through the deserializer (so that a message of the wrong type fails as it would on the wire).

    channel = FakeChannel()
    channel.handle("VmService.GetVm", lambda request: vm_message)
    host = kapsel.Host(channel=channel)

A handler returns the answer, or an exception (an RpcError from rpc_error()) to raise; for a server stream, a list
whose items are messages, exceptions (raised when reached) or BLOCK (waits until the call is cancelled).
"""

import threading
from dataclasses import dataclass

import grpc

BLOCK = object()


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details=""):
        super().__init__(details)
        self._code = code
        self._details = details

    def code(self):
        return self._code

    def details(self):
        return self._details


def rpc_error(code, details=""):
    return FakeRpcError(code, details)


@dataclass
class Call:
    method: str  # "VmService.GetVm"
    request: object  # the message; a list of messages for a client stream
    timeout: object
    metadata: object = None  # what the call was given as metadata=


class FakeServerStream:
    def __init__(self, items, deserialize):
        self._items = list(items)
        self._deserialize = deserialize
        self._cancelled = threading.Event()
        self.cancelled = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._cancelled.is_set():
            raise rpc_error(grpc.StatusCode.CANCELLED, "Locally cancelled by application!")
        if not self._items:
            raise StopIteration
        item = self._items.pop(0)
        if item is BLOCK:
            # A test that blocks cancels from elsewhere; the deadline only keeps a broken test from hanging.
            if not self._cancelled.wait(10):
                raise rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
            raise rpc_error(grpc.StatusCode.CANCELLED, "Locally cancelled by application!")
        if isinstance(item, BaseException):
            raise item
        return self._deserialize(item.SerializeToString())

    def cancel(self):
        self.cancelled = True
        self._cancelled.set()
        return True


class FakeChannel:
    def __init__(self):
        self.handlers = {}
        self.calls = []
        self.closed = False

    def handle(self, method, handler):
        """Sets the handler of "Service.Method"."""
        self.handlers[method] = handler

    def calls_of(self, method):
        return [call for call in self.calls if call.method == method]

    def close(self):
        self.closed = True

    def _handler(self, path):
        method = path.split(".")[-1].replace("/", ".")  # "/kapsel.v1.VmService/GetVm" -> "VmService.GetVm"
        return method

    def _answer(self, method, request, timeout, metadata, serialize):
        for message in (request if isinstance(request, list) else [request]):
            serialize(message)
        self.calls.append(Call(method, request, timeout, metadata))
        if method not in self.handlers:
            raise rpc_error(grpc.StatusCode.UNIMPLEMENTED, "no handler for %s in the test" % method)
        return self.handlers[method](request)

    def unary_unary(self, path, request_serializer=None, response_deserializer=None, **_):
        method = self._handler(path)

        def invoke(request, timeout=None, metadata=None, **__):
            answer = self._answer(method, request, timeout, metadata, request_serializer)
            if isinstance(answer, BaseException):
                raise answer
            return response_deserializer(answer.SerializeToString())
        return invoke

    def stream_unary(self, path, request_serializer=None, response_deserializer=None, **_):
        method = self._handler(path)

        def invoke(request_iterator, timeout=None, metadata=None, **__):
            # grpcio reads the requests on a thread of its own, and a request iterator that raises ends the call.
            requests = []
            try:
                for request in request_iterator:
                    requests.append(request)
            except Exception:  # noqa: BLE001 - as grpcio: the call fails
                self.calls.append(Call(method, requests, timeout, metadata))
                raise rpc_error(grpc.StatusCode.UNKNOWN, "Exception iterating requests!")
            answer = self._answer(method, requests, timeout, metadata, request_serializer)
            if isinstance(answer, BaseException):
                raise answer
            return response_deserializer(answer.SerializeToString())
        return invoke

    def unary_stream(self, path, request_serializer=None, response_deserializer=None, **_):
        method = self._handler(path)

        def invoke(request, timeout=None, metadata=None, **__):
            answer = self._answer(method, request, timeout, metadata, request_serializer)
            if isinstance(answer, BaseException):
                return FakeServerStream([answer], response_deserializer)
            return FakeServerStream(answer, response_deserializer)
        return invoke

    def stream_stream(self, path, **_):
        raise AssertionError("the API has no bidirectional streams: %s" % path)
