"""The examples of docs/python-sdk.md run: the page's example blocks are sdk/python/examples/quickstart.py and
attest.py, byte for byte; quickstart.py runs against fake-backend server A from start (push, create, start, console)
to end (the guest powers off, the VM is deleted), and attest.py attests a VM of A (and not, with another kernel or
another key).

The page is not a Bazel input (docs/ has no BUILD file): it is found beside the example through the symlink that
the runfiles tree has to the source tree.
"""

import os
import re
import subprocess
import tempfile
import unittest

import kapsel

from sdk_test_env import (ADDRESS_A, PYTHON, WAIT_SECONDS, clean_up_tenant, needs_servers, new_tenant, source_path,
                          subprocess_environment)

EXAMPLE = ("sdk", "python", "examples", "quickstart.py")
ATTEST_EXAMPLE = ("sdk", "python", "examples", "attest.py")


def marker(example):
    """The line on the page right before the ```python fence of an example's block."""
    return "<!-- The example below is %s; the tests run it. -->" % "/".join(example)


def docs_page():
    example = os.path.realpath(source_path(*EXAMPLE))
    return os.path.join(os.path.dirname(example), "..", "..", "..", "docs", "python-sdk.md")


def example_block(page_text, example):
    match = re.search(re.escape(marker(example)) + r"\n```python\n(.*?)\n```\n", page_text, re.S)
    return match.group(1) + "\n" if match else None


class DocsExampleTest(unittest.TestCase):
    def test_the_page_shows_the_examples_as_they_are(self):
        page = docs_page()
        self.assertTrue(os.path.exists(page), "docs/python-sdk.md not found at %s" % page)
        with open(page, encoding="utf-8") as file:
            text = file.read()
        for example in (EXAMPLE, ATTEST_EXAMPLE):
            block = example_block(text, example)
            self.assertIsNotNone(block, "docs/python-sdk.md has no ```python block after the line %r"
                                 % marker(example))
            with open(source_path(*example), encoding="utf-8") as file:
                self.assertEqual(block, file.read(), "docs/python-sdk.md's example differs from %s"
                                 % "/".join(example))

    @needs_servers
    def test_the_example_runs(self):
        with tempfile.NamedTemporaryFile(suffix=".bzImage") as kernel:
            kernel.write(b"fake bzImage of the docs example " + os.urandom(3 * 1024 * 1024))
            kernel.flush()
            result = subprocess.run([PYTHON, source_path(*EXAMPLE), ADDRESS_A, kernel.name, "",
                                     "fake.poweroff_after=3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=subprocess_environment(), timeout=WAIT_SECONDS * 2)
        self.assertEqual((result.returncode, result.stderr), (0, ""), result.stdout)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("sdk-a: Kapsel "), lines[0])
        size = 3 * 1024 * 1024 + len(b"fake bzImage of the docs example ")
        self.assertIn("  kernel: %d of %d bytes" % (size, size), lines)
        self.assertIn("  kernel: %d of %d bytes" % (1024 * 1024, size), lines)
        name = re.search(r"^(vms/\S+) is RUNNING$", result.stdout, re.M)
        self.assertIsNotNone(name, result.stdout)
        name = name.group(1)
        self.assertIn("fake guest: tick 3", lines)
        self.assertIn("%s is STOPPED: guest powered off" % name, lines)
        self.assertIn("  listed: %s STOPPED" % name, lines)
        self.assertEqual(lines[-1], "deleted: NOT_FOUND: name: %s not found" % name)

    @needs_servers
    def test_the_attest_example_runs(self):
        cmdline = "console=ttyS0 docs.example=attest"
        tenant = new_tenant("docs")
        host = kapsel.Host(ADDRESS_A)
        self.addCleanup(host.close)
        self.addCleanup(clean_up_tenant, host, tenant)
        with tempfile.NamedTemporaryFile(suffix=".bzImage") as kernel:
            kernel.write(b"fake bzImage of the attest example " + os.urandom(64 * 1024))
            kernel.flush()
            vm = host.vms.create(tenant=tenant, kernel=host.images.push(kernel.name), cmdline=cmdline,
                                 memory_mib=128).start()
            key = host.info().attestation_public_key.hex()

            def run(*arguments):
                return subprocess.run([PYTHON, source_path(*ATTEST_EXAMPLE), ADDRESS_A, vm.name] + list(arguments),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env=subprocess_environment(), timeout=WAIT_SECONDS * 2)

            result = run(kernel.name, cmdline, key)
            self.assertEqual((result.returncode, result.stderr), (0, ""), result.stdout)
            lines = result.stdout.splitlines()
            self.assertEqual(lines[0], "%s on sdk-a (RUNNING), tenant %s, 128 MiB, key %s..." % (vm.name, tenant,
                                                                                             key[:16]))
            self.assertEqual(lines[2:], ["  kernel_sha256: as expected", "  command_line_sha256: as expected",
                                         "%s: attested" % vm.name])
            result = run(source_path(*ATTEST_EXAMPLE), cmdline)  # another file as the kernel, the key of host info
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            self.assertIn("  kernel_sha256: NOT as expected", result.stdout.splitlines())
            result = run(kernel.name, cmdline, "04" + "11" * 64)
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            self.assertTrue(result.stdout.startswith("%s: not attested: public_key: " % vm.name), result.stdout)


if __name__ == "__main__":
    unittest.main()
