#!/usr/bin/env bash
# Builds Kapsel's Python SDK into <out_dir>/kapsel: the layer's sources (sdk/python/kapsel/*.py) and, in
# <out_dir>/kapsel/v1, the messages and stubs that api/generate_python_stubs.sh generates from api/kapsel/v1/*.proto
# (Debian's python3-grpc-tools; nothing generated is checked in). Afterwards:
#   PYTHONPATH=<out_dir> /usr/bin/python3 -c 'import kapsel'
# The generated modules sit at kapsel/v1 because that is where their own imports look ("from kapsel.v1 import
# vm_service_pb2"): they are used as protoc wrote them.
# //sdk/python:kapsel runs this at build time into bazel-bin/sdk/python/pkg.
# Usage: build.sh [--stubs-script <generate_python_stubs.sh>] <out_dir>
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
stubs_script="$here/../../api/generate_python_stubs.sh"
if (($# == 3)) && [[ "$1" == --stubs-script ]]; then
    stubs_script="$2"
    shift 2
fi
if (($# != 1)); then
    echo "usage: $0 [--stubs-script <generate_python_stubs.sh>] <out_dir>" >&2
    exit 2
fi
out_dir="$1"
package="$out_dir/kapsel"

# Replace an earlier build (which has kapsel/v1) or empty directories (Bazel makes them for the outputs), never
# something else that happens to be called kapsel.
if [[ -e "$package" && ! -e "$package/v1/vm_service_pb2.py" && -n "$(find "$package" ! -type d -print -quit)" ]]; then
    echo "$0: $package exists and is not an earlier build of the SDK: not overwriting it" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$stubs_script" "$work/stubs"
mkdir -p "$work/kapsel"
cp -R "$work/stubs/kapsel/v1" "$work/kapsel/v1"
cp "$here"/kapsel/*.py "$work/kapsel/"
# The package must import, generated modules included, with the interpreter that has grpcio.
if ! PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$work" /usr/bin/python3 -c 'import kapsel, kapsel._proto' >"$work/log" 2>&1
then
    echo "$0: the built package does not import:" >&2
    cat "$work/log" >&2
    exit 1
fi
mkdir -p "$out_dir"
rm -rf "$package"
cp -R "$work/kapsel" "$package"
