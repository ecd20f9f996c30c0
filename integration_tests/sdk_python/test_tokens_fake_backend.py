"""API tokens end to end: the Python SDK (and the fleet example) against a fake-backend server started with
--api-tokens (server S of run_fake_backend.sh), with the tokens of sdk_test_env.py: an operator's, and those of tenants
acme and globex. A token goes with every call (unary, stream, upload); the host answers Unauthenticated without one it
knows, PermissionDenied to a tenant that acts for another tenant or on images, and NotFound for another tenant's VM.
"""

import json
import os
import subprocess
import tempfile
import unittest
from unittest import mock

import kapsel

from sdk_test_env import (ACME_TOKEN, PYTHON, SECURE_ADDRESS, WAIT_SECONDS, TokenHostsTest, needs_servers, source_path,
                          subprocess_environment)


def content(label):
    """Random content: a new image every time (content addressing would otherwise return an earlier one)."""
    return b"fake bzImage " + label + b" " + os.urandom(16 * 1024)


@needs_servers
class TokenTest(TokenHostsTest):
    kernel_content = content(b"kernel")
    kernel_name = "tokens-kernel"

    def create(self, host, tenant, vm_id):
        vm = host.vms.create(tenant=tenant, kernel=self.kernel, memory_mib=128, vm_id=vm_id)
        self.addCleanup(self.operator.vms.get(vm.name).delete)
        return vm

    def test_without_a_known_token_calls_are_unauthenticated(self):
        for token in ("", "wrong-test-token"):
            with kapsel.Host(SECURE_ADDRESS, token=token) as host:
                with self.assertRaises(kapsel.Unauthenticated, msg=token):
                    host.info()
                with self.assertRaises(kapsel.Unauthenticated, msg=token):
                    list(host.vms.list())
                with self.assertRaises(kapsel.Unauthenticated, msg=token), host.vms.watch(timeout=WAIT_SECONDS) as w:
                    next(w)
                with self.assertRaises(kapsel.Unauthenticated, msg=token):
                    host.images.push(content(b"anonymous"))
                # Health needs no token.
                self.assertIs(host.health(), kapsel.HealthStatus.SERVING)

    def test_the_token_of_the_environment(self):
        with mock.patch.dict(os.environ, {"KAPSEL_TOKEN": ACME_TOKEN}):
            host = kapsel.Host(SECURE_ADDRESS)
        with host:
            self.assertEqual(host.info().name, "sdk-s")

    def test_images_take_the_operators_token(self):
        with self.assertRaises(kapsel.PermissionDenied):
            self.acme.images.push(content(b"acme's"))
        with self.assertRaises(kapsel.PermissionDenied):
            self.acme.images.delete(self.kernel)
        # Tenants list and get images, and boot from them.
        self.assertEqual(self.acme.images.get(self.kernel.sha256).name, self.kernel.name)
        self.assertIn(self.kernel.name, [image.name for image in self.acme.images.list()])
        image = self.operator.images.push(content(b"operator's"))
        self.operator.images.delete(image)

    def test_a_tenant_acts_for_its_tenant_only(self):
        acme_vm = self.create(self.acme, "acme", "tokens-acme-1")
        globex_vm = self.create(self.globex, "globex", "tokens-globex-1")
        # Another tenant's VM is not there, for globex.
        with self.assertRaises(kapsel.NotFound):
            self.globex.vms.get(acme_vm.name)
        with self.assertRaises(kapsel.NotFound):
            kapsel.Vm(self.globex, acme_vm.proto).delete()
        self.assertEqual([vm.name for vm in self.globex.vms.list()], [globex_vm.name])
        # Acting for another tenant is refused.
        with self.assertRaises(kapsel.PermissionDenied):
            list(self.globex.vms.list(tenant="acme"))
        with self.assertRaises(kapsel.PermissionDenied):
            self.globex.vms.create(tenant="acme", kernel=self.kernel, memory_mib=128)
        with self.assertRaises(kapsel.PermissionDenied), self.globex.vms.watch(tenant="acme",
                                                                                timeout=WAIT_SECONDS) as watch:
            next(watch)
        # A watch with acme's token begins with acme's VMs only.
        with self.acme.vms.watch(timeout=WAIT_SECONDS) as watch:
            self.assertEqual(next(watch).vm.name, acme_vm.name)
        self.assertEqual(self.acme.vms.get(acme_vm.id).tenant, "acme")
        # The operator sees both.
        self.assertEqual({vm.name: vm.tenant for vm in self.operator.vms.list()},
                         {acme_vm.name: "acme", globex_vm.name: "globex"})

    def test_the_fleet_example_uses_kapsel_token(self):
        with tempfile.TemporaryDirectory() as directory:
            hosts_file = os.path.join(directory, "hosts.txt")
            with open(hosts_file, "w") as file:
                file.write("secure %s\n" % SECURE_ADDRESS)
            surveys = {}
            for token in (ACME_TOKEN, ""):
                environment = subprocess_environment()
                environment["KAPSEL_TOKEN"] = token
                result = subprocess.run([PYTHON, source_path("sdk", "python", "examples", "fleet.py"), hosts_file,
                                         "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=environment, timeout=WAIT_SECONDS * 2)
                self.assertEqual((result.returncode, result.stderr), (0, ""))
                surveys[token] = json.loads(result.stdout)["hosts"][0]
        self.assertTrue(surveys[ACME_TOKEN]["up"])
        self.assertFalse(surveys[""]["up"])
        self.assertIn("UNAUTHENTICATED", surveys[""]["error"])


if __name__ == "__main__":
    unittest.main()
