#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs of the API (api/kapsel/v1/*.proto) into <out_dir>, at test time:
# nothing generated is checked in. Imports then work with <out_dir> on sys.path:
#   from kapsel.v1 import vm_service_pb2, vm_service_pb2_grpc
# Uses Debian's grpc_tools (python3-grpc-tools, deploy/setup), which only /usr/bin/python3 has. Works from the
# source tree and from Bazel runfiles (//api:generate_python_stubs carries the .proto files beside this script).
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 <out_dir>" >&2
    exit 2
fi
out_dir="$1"
api_dir="$(dirname "$0")"
# Under `bazel run` the script sits beside its runfiles tree, not inside it.
if [[ -d "$0.runfiles/kapsel/api/kapsel/v1" ]]; then
    api_dir="$0.runfiles/kapsel/api"
fi
python=/usr/bin/python3

shopt -s nullglob
protos=("$api_dir"/kapsel/v1/*.proto)
if ((${#protos[@]} == 0)); then
    echo "$0: no .proto files in $api_dir/kapsel/v1" >&2
    exit 1
fi
mkdir -p "$out_dir/kapsel/v1"
# Regular packages rather than namespace packages, so that another "kapsel" on sys.path cannot merge with these.
touch "$out_dir/kapsel/__init__.py" "$out_dir/kapsel/v1/__init__.py"
"$python" -m grpc_tools.protoc -I"$api_dir" --python_out="$out_dir" --grpc_python_out="$out_dir" \
    "${protos[@]}"
