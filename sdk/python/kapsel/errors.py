"""Errors of the Kapsel API as Python exceptions: one ApiError subclass per gRPC status code.

Every call of the SDK that reaches the host raises an ``ApiError`` subclass when the host (or gRPC itself) answers
with a status other than OK, carrying the host's message, which names the field or the resource
("vm.spec.memory_mib: 32 is below 64", "vms/web-1 not found")::

    try:
        host.vms.get("web-1")
    except kapsel.NotFound as error:
        print(error.message)

A few classes also derive from the matching built-in exception, so that generic code catches them too:
``InvalidArgument`` is a ``ValueError``, ``NotFound`` a ``LookupError``, ``DeadlineExceeded`` a ``TimeoutError``
and ``Unavailable`` a ``ConnectionError``.

Arguments the SDK itself refuses before anything is sent (wrong types, values the protocol cannot carry) raise
plain ``TypeError`` or ``ValueError``.
"""

import grpc

__all__ = [
    "ApiError",
    "Cancelled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
    "error_class",
    "from_rpc_error",
]


class ApiError(Exception):
    """A call failed with a gRPC status other than OK.

    Attributes:
        code: the ``grpc.StatusCode``.
        message: the status message (the host's explanation, e.g. "vms/web-1 not found").
        method: the method that failed, "VmService.GetVm", or None when not known.
    """

    code = grpc.StatusCode.UNKNOWN

    def __init__(self, message="", *, code=None, method=None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.method = method

    def __str__(self):
        return "%s: %s" % (self.code.name, self.message) if self.message else self.code.name

    def __repr__(self):
        return "%s(%r, method=%r)" % (type(self).__name__, self.message, self.method)


class Cancelled(ApiError):
    """The call was cancelled (by the client, or because the connection went away)."""

    code = grpc.StatusCode.CANCELLED


class Unknown(ApiError):
    """An error without a better code (e.g. an exception in a request iterator)."""

    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(ApiError, ValueError):
    """The host refused an argument; the message names the field ("vm.spec.memory_mib: ...")."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(ApiError, TimeoutError):
    """The call's deadline passed before it completed."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(ApiError, LookupError):
    """The VM or image does not exist (or a kernel, initrd or disk a VM names does not)."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ApiError):
    """A VM with the requested id exists."""

    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(ApiError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(ApiError):
    """The host's memory for VMs, its image store or a size limit is used up, or a watch fell too far behind."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(ApiError):
    """The resource is in the wrong state: starting a VM that ran already, deleting a running VM or an image in use."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(ApiError):
    code = grpc.StatusCode.ABORTED


class OutOfRange(ApiError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(ApiError):
    """The host does not have the method (an older agent)."""

    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(ApiError):
    """The host, or the SDK, found something that should not happen (e.g. a page token that repeats)."""

    code = grpc.StatusCode.INTERNAL


class Unavailable(ApiError, ConnectionError):
    """The host cannot be reached (down, refusing connections, or the connection broke).

    Idempotent calls are retried with backoff before this is raised (see ``kapsel.RetryPolicy``).
    """

    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(ApiError):
    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(ApiError):
    code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE = {cls.code: cls for cls in (
    Cancelled, Unknown, InvalidArgument, DeadlineExceeded, NotFound, AlreadyExists, PermissionDenied,
    ResourceExhausted, FailedPrecondition, Aborted, OutOfRange, Unimplemented, Internal, Unavailable, DataLoss,
    Unauthenticated)}


def error_class(code):
    """The ApiError subclass of a ``grpc.StatusCode`` (``ApiError`` itself for OK or an unknown code)."""
    return _BY_CODE.get(code, ApiError)


def from_rpc_error(error, method=None):
    """The ApiError for a ``grpc.RpcError`` (anything with ``code()`` and ``details()``); the caller chains it.

    An RpcError without a status (which grpcio does not raise for calls) becomes ``Unknown`` with its text.
    """
    code_method = getattr(error, "code", None)
    details_method = getattr(error, "details", None)
    code = code_method() if callable(code_method) else None
    details = details_method() if callable(details_method) else None
    if not isinstance(code, grpc.StatusCode):
        return Unknown(str(error) or type(error).__name__, method=method)
    cls = error_class(code)
    if cls is ApiError:
        return ApiError(details or "", code=code, method=method)
    return cls(details or "", method=method)
