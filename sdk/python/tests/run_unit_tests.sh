#!/usr/bin/env bash
# //sdk/python:unit_tests: the Python SDK's unit tests (no server) with Debian's /usr/bin/python3, against the package
# //sdk/python:kapsel built. Usage: run_unit_tests.sh <the built package's kapsel/__init__.py>
set -euo pipefail
package_root="$(cd "$(dirname "$1")/.." && pwd)"
export PYTHONPATH="$package_root:$PWD/sdk/python/tests"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 -m unittest -v test_kapsel_unit
