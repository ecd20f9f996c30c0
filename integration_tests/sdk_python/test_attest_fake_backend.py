"""Attestation end to end: host.vms.attest() against api_host_server's AttestationService, on server A (no tokens)
and on server S (--api-tokens). The evidence verifies and states the VM's facts (tenant, the pushed kernel's digest,
the SHA-256 of its command line, memory, state), carries the nonce sent, and is signed with the key of host info; a
pinned key of another host fails; a nonce of the wrong size is the host's InvalidArgument (the SDK sends what it is
given); a tenant's token attests its own VMs and finds no other tenant's.
"""

import hashlib
import os
import unittest

import kapsel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sdk_test_env import (ADDRESS_A, SECURE_ADDRESS, WAIT_SECONDS, TokenHostsTest, clean_up_tenant, needs_servers,
                          new_tenant)

COMMAND_LINE = "console=ttyS0 attest.test=1"


def fake_kernel(label):
    """Random content: a new image every time (content addressing would otherwise return an earlier one)."""
    return b"fake bzImage " + label + b" " + os.urandom(16 * 1024)


def sha256_text(text):
    return hashlib.sha256(text.encode()).hexdigest()


def another_key():
    """A valid P-256 key that no host has."""
    return ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


@needs_servers
class AttestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.host = kapsel.Host(ADDRESS_A, timeout=WAIT_SECONDS)
        cls.kernel = cls.host.images.push(fake_kernel(b"attest"), name="attest-kernel")

    @classmethod
    def tearDownClass(cls):
        cls.host.close()

    def setUp(self):
        self.tenant = new_tenant("attest")
        self.addCleanup(clean_up_tenant, self.host, self.tenant)

    def assert_states_the_vm(self, evidence, vm, state):
        self.assertEqual((evidence.version, evidence.vm_name, evidence.tenant, evidence.state),
                         (1, vm.name, self.tenant, state))
        self.assertEqual(evidence.kernel_sha256, self.kernel.sha256)
        self.assertEqual(evidence.initrd_sha256, "")
        self.assertEqual(evidence.command_line_sha256, sha256_text(COMMAND_LINE))
        self.assertEqual((evidence.memory_mib, evidence.network_id, evidence.disks), (192, 0, ()))
        self.assertEqual(evidence.host_name, "sdk-a")
        self.assertTrue(evidence.root_of_trust)

    def test_a_created_and_a_running_vm(self):
        vm = self.host.vms.create(tenant=self.tenant, kernel=self.kernel, memory_mib=192, cmdline=COMMAND_LINE)
        created = self.host.vms.attest(vm)
        self.assert_states_the_vm(created, vm, "CREATED")
        self.assertEqual(len(created.nonce), 32)
        vm.start()
        running = self.host.vms.attest(vm.id, nonce=b"n" * 24)
        self.assert_states_the_vm(running, vm, "RUNNING")
        self.assertEqual(running.nonce, b"n" * 24)
        self.assertTrue(running.vmm_launch_spec)
        self.assertGreaterEqual(running.time, created.time)

    def test_the_key_is_host_infos(self):
        vm = self.host.vms.create(tenant=self.tenant, kernel=self.kernel, memory_mib=192, cmdline=COMMAND_LINE)
        key = self.host.info().attestation_public_key
        self.assertEqual((len(key), key[0]), (65, 0x04))
        evidence = self.host.vms.attest(vm, expected_public_key=key)
        self.assertEqual(evidence.public_key, key)
        with self.assertRaises(kapsel.AttestationError) as caught:
            self.host.vms.attest(vm, expected_public_key=another_key())
        self.assertEqual(caught.exception.check, "public_key")

    def test_the_host_refuses_nonces_of_the_wrong_size(self):
        vm = self.host.vms.create(tenant=self.tenant, kernel=self.kernel, memory_mib=192)
        for nonce in (b"", b"8 bytes.", b"n" * 65):
            with self.assertRaises(kapsel.InvalidArgument, msg=nonce):
                self.host.vms.attest(vm, nonce=nonce)
        self.assertEqual(self.host.vms.attest(vm, nonce=b"n" * 16).nonce, b"n" * 16)
        self.assertEqual(self.host.vms.attest(vm, nonce=b"n" * 64).nonce, b"n" * 64)

    def test_an_unknown_vm(self):
        with self.assertRaises(kapsel.NotFound):
            self.host.vms.attest("attest-nosuch")


@needs_servers
class AttestTokenTest(TokenHostsTest):
    kernel_content = fake_kernel(b"attest tokens")
    kernel_name = "attest-tokens-kernel"

    def test_a_tenant_attests_its_own_vms_only(self):
        acme_vm = self.acme.vms.create(tenant="acme", kernel=self.kernel, memory_mib=128, vm_id="attest-acme-1")
        self.addCleanup(self.operator.vms.get(acme_vm.name).delete)
        globex_vm = self.globex.vms.create(tenant="globex", kernel=self.kernel, memory_mib=128,
                                           vm_id="attest-globex-1")
        self.addCleanup(self.operator.vms.get(globex_vm.name).delete)
        key = self.acme.info().attestation_public_key
        evidence = self.acme.vms.attest(acme_vm, expected_public_key=key)
        self.assertEqual((evidence.tenant, evidence.kernel_sha256), ("acme", self.kernel.sha256))
        with self.assertRaises(kapsel.NotFound):
            self.acme.vms.attest(globex_vm.name)
        self.assertEqual(self.operator.vms.attest(globex_vm.name, expected_public_key=key).tenant, "globex")
        with kapsel.Host(SECURE_ADDRESS, token="") as anonymous, self.assertRaises(kapsel.Unauthenticated):
            anonymous.vms.attest(acme_vm.name)

    def test_each_host_has_a_key_of_its_own(self):
        with kapsel.Host(ADDRESS_A) as host_a:
            self.assertNotEqual(host_a.info().attestation_public_key, self.operator.info().attestation_public_key)


if __name__ == "__main__":
    unittest.main()
