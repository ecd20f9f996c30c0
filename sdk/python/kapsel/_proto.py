"""The messages and stubs generated from api/kapsel/v1/*.proto, which the build step puts into ``kapsel.v1``.

They are generated at build time (sdk/python/build.sh, or //sdk/python:kapsel), never checked in: importing the
SDK straight from the source tree, without the generated code, fails here with a message that says how to build it.
"""

__all__ = ["attestation_pb", "attestation_grpc", "host_pb", "host_grpc", "image_pb", "image_grpc", "vm_pb", "vm_grpc"]

try:
    from .v1 import attestation_service_pb2 as attestation_pb
    from .v1 import attestation_service_pb2_grpc as attestation_grpc
    from .v1 import host_service_pb2 as host_pb
    from .v1 import host_service_pb2_grpc as host_grpc
    from .v1 import image_service_pb2 as image_pb
    from .v1 import image_service_pb2_grpc as image_grpc
    from .v1 import vm_service_pb2 as vm_pb
    from .v1 import vm_service_pb2_grpc as vm_grpc
except ImportError as error:  # pragma: no cover - depends on how the package was built
    raise ImportError(
        "kapsel: the generated API modules (kapsel.v1) are missing or do not import (%s). Build the package with "
        "`sdk/python/build.sh <dir>` or `bazel build //sdk/python:kapsel` and put the resulting directory "
        "(e.g. bazel-bin/sdk/python/pkg) on PYTHONPATH; the generated code needs Debian's python3-grpcio and "
        "python3-protobuf, which /usr/bin/python3 has." % error) from error
