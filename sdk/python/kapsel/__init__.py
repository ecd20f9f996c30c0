"""Kapsel's Python SDK: the management API of a Kapsel host (api/kapsel/v1/*.proto) as a small Python layer.

    import kapsel

    with kapsel.Host("127.0.0.1:50051") as host:
        print(host.info().name)
        kernel = host.images.push("vmlinuz", name="vmlinuz-6.1")
        vm = host.vms.create(tenant="acme", kernel=kernel, memory_mib=256, cmdline="console=ttyS0")
        vm.start()
        for data in vm.console():
            print(data.decode(errors="replace"), end="")

The pieces:
    Host                    one host: info(), health(), .vms, .images (kapsel.client)
    Vm                      a VM: state and other properties; start(), stop(), delete(), refresh(), console(),
                            wait()
    Image, HostInfo, VmSpec, Disk, VmEvent
                            immutable snapshots (kapsel.models)
    VmEvidence, DiskEvidence, HostComponent, AttestationError
                            host.vms.attest(vm): verified evidence about a VM, and the error for evidence that
                            does not verify (kapsel.attestation)
    VmState, EventType, HealthStatus
                            enums
    ApiError and its subclasses (NotFound, InvalidArgument, FailedPrecondition, ResourceExhausted, AlreadyExists,
                            Unavailable, DeadlineExceeded, ...): what failed calls raise (kapsel.errors)
    RetryPolicy, NO_RETRY   how idempotent calls are retried on UNAVAILABLE
    kapsel.v1               the messages and stubs generated from the .proto files, for what the layer lacks

The generated modules come from the build (sdk/python/build.sh or //sdk/python:kapsel); see docs/python-sdk.md.
"""

import importlib.util as _importlib_util


def _missing(module):
    try:
        return _importlib_util.find_spec(module) is None
    except ImportError:  # its parent package is missing
        return True


# Checked first for a clearer message than "No module named 'grpc'" from an interpreter without them.
if _missing("grpc") or _missing("google.protobuf"):
    raise ImportError("kapsel needs grpcio and protobuf (Debian's python3-grpcio and python3-protobuf): run it with "
                      "/usr/bin/python3")

from ._calls import DEFAULT, NO_RETRY, RetryPolicy
from .attestation import AttestationError, DiskEvidence, HostComponent, VmEvidence
from .client import CHUNK_BYTES, DEFAULT_CHANNEL_OPTIONS, Console, Host, ImageCollection, Vm, VmCollection, Watch
from .errors import (Aborted, AlreadyExists, ApiError, Cancelled, DataLoss, DeadlineExceeded, FailedPrecondition,
                     Internal, InvalidArgument, NotFound, OutOfRange, PermissionDenied, ResourceExhausted,
                     Unauthenticated, Unavailable, Unimplemented, Unknown)
from .models import Disk, EventType, HealthStatus, HostInfo, Image, VmEvent, VmSpec, VmState

__version__ = "0.1.0"

__all__ = [
    "Host", "Vm", "VmCollection", "ImageCollection", "Watch", "Console",
    "Image", "HostInfo", "VmSpec", "Disk", "VmEvent", "VmEvidence", "DiskEvidence", "HostComponent", "AttestationError",
    "VmState", "EventType", "HealthStatus",
    "RetryPolicy", "NO_RETRY", "DEFAULT", "CHUNK_BYTES", "DEFAULT_CHANNEL_OPTIONS",
    "ApiError", "Cancelled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
    "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
    "Internal", "Unavailable", "DataLoss", "Unauthenticated",
]
