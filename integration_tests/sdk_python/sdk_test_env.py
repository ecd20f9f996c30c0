"""What the end-to-end tests of the Python SDK get from run_fake_backend.sh: the servers' addresses, a dead address,
where the sources and the built package are. Without them (e.g. a plain `python3 -m unittest` elsewhere) the tests
are skipped with the reason.
"""

import os
import random
import unittest

ADDRESS_A = os.environ.get("KAPSEL_SDK_ADDRESS_A")
ADDRESS_B = os.environ.get("KAPSEL_SDK_ADDRESS_B")
DEAD_ADDRESS = os.environ.get("KAPSEL_SDK_DEAD_ADDRESS")
# A server started with --api-tokens: an operator's token and those of tenants acme and globex (run_fake_backend.sh).
SECURE_ADDRESS = os.environ.get("KAPSEL_SDK_SECURE_ADDRESS")
OPERATOR_TOKEN = "operator-test-token"
ACME_TOKEN = "acme-test-token"
GLOBEX_TOKEN = "globex-test-token"
SOURCE_ROOT = os.environ.get("KAPSEL_SDK_SOURCE_ROOT", "")
PYTHONPATH = os.environ.get("KAPSEL_SDK_PYTHONPATH", "")
PYTHON = "/usr/bin/python3"
# Every wait of the tests on a stream or a VM has this deadline: far more than the fake backend needs.
WAIT_SECONDS = 15.0

needs_servers = unittest.skipUnless(ADDRESS_A and ADDRESS_B and DEAD_ADDRESS and SECURE_ADDRESS,
                                    "run by integration_tests/sdk_python/run_fake_backend.sh (no server addresses)")

_RUN_ID = "%05x" % random.SystemRandom().getrandbits(20)
_tenants = [0]


def new_tenant(what):
    """A tenant of its own for a test: "<what>-<run id>-<n>"."""
    _tenants[0] += 1
    return "%s-%s-%d" % (what, _RUN_ID, _tenants[0])


def source_path(*parts):
    return os.path.join(SOURCE_ROOT, *parts)


def subprocess_environment():
    """The environment of an example script run by a test: the built SDK on the path, no bytecode written."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = PYTHONPATH
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def clean_up_tenant(host, tenant):
    """Stops (by force) and deletes every VM of a tenant, so that a test leaves the host's VM memory as it found it."""
    import kapsel
    for vm in list(host.vms.list(tenant=tenant)):
        if vm.state in (kapsel.VmState.RUNNING, kapsel.VmState.STOPPING):
            vm.stop(force=True)
            vm.wait(timeout=WAIT_SECONDS)
        vm.delete()


class TokenHostsTest(unittest.TestCase):
    """A test case with Hosts on the server that takes tokens: self.operator, self.acme and self.globex, each acting
    with its own token, and self.kernel, the image kernel_content that the operator pushed as kernel_name."""

    kernel_content = b""
    kernel_name = ""

    @classmethod
    def setUpClass(cls):
        import kapsel
        cls.operator = kapsel.Host(SECURE_ADDRESS, token=OPERATOR_TOKEN)
        cls.acme = kapsel.Host(SECURE_ADDRESS, token=ACME_TOKEN)
        cls.globex = kapsel.Host(SECURE_ADDRESS, token=GLOBEX_TOKEN)
        cls.kernel = cls.operator.images.push(cls.kernel_content, name=cls.kernel_name)

    @classmethod
    def tearDownClass(cls):
        for host in (cls.operator, cls.acme, cls.globex):
            host.close()
