"""The example of docs/python-sdk.md runs: the page's example block is sdk/python/examples/quickstart.py, byte for
byte, and that script runs against fake-backend server A from start (push, create, start, console) to end (the guest
powers off, the VM is deleted).

The page is not a Bazel input (docs/ has no BUILD file): it is found beside the example through the symlink that
the runfiles tree has to the source tree.
"""

import os
import re
import subprocess
import tempfile
import unittest

from sdk_test_env import ADDRESS_A, PYTHON, WAIT_SECONDS, needs_servers, source_path, subprocess_environment

EXAMPLE = ("sdk", "python", "examples", "quickstart.py")
# The example's block on the page: a ```python fence right after this marker line.
MARKER = "<!-- The example below is sdk/python/examples/quickstart.py; the tests run it. -->"


def docs_page():
    example = os.path.realpath(source_path(*EXAMPLE))
    return os.path.join(os.path.dirname(example), "..", "..", "..", "docs", "python-sdk.md")


def example_block(page_text):
    match = re.search(re.escape(MARKER) + r"\n```python\n(.*?)\n```\n", page_text, re.S)
    return match.group(1) + "\n" if match else None


class DocsExampleTest(unittest.TestCase):
    def test_the_page_shows_the_example_as_it_is(self):
        page = docs_page()
        self.assertTrue(os.path.exists(page), "docs/python-sdk.md not found at %s" % page)
        with open(page, encoding="utf-8") as file:
            block = example_block(file.read())
        self.assertIsNotNone(block, "docs/python-sdk.md has no ```python block after the line %r" % MARKER)
        with open(source_path(*EXAMPLE), encoding="utf-8") as file:
            self.assertEqual(block, file.read(), "docs/python-sdk.md's example differs from %s" % "/".join(EXAMPLE))

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


if __name__ == "__main__":
    unittest.main()
