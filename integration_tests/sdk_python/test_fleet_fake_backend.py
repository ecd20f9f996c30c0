"""The fleet example (sdk/python/examples/fleet.py) against two fake-backend servers and an address where nothing
listens: the survey of all three (the dead one reported, not fatal), a spread of VMs by free VM memory, and a spread
that does not fit. Run by run_fake_backend.sh: server A has 4096 MiB for VMs, B 2048 MiB.
"""

import json
import os
import subprocess
import tempfile
import time
import unittest

import kapsel

from sdk_test_env import (ADDRESS_A, ADDRESS_B, DEAD_ADDRESS, PYTHON, WAIT_SECONDS, clean_up_tenant, needs_servers,
                          new_tenant, source_path, subprocess_environment)

MIB = 1024 * 1024


@needs_servers
class FleetTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)
        self.hosts_file = os.path.join(self.directory.name, "hosts.txt")
        with open(self.hosts_file, "w") as file:
            file.write("# The test's fleet.\nalpha %s   # server A\n\n  beta\t%s\ngone %s\n" % (
                ADDRESS_A, ADDRESS_B, DEAD_ADDRESS))
        self.kernel = os.path.join(self.directory.name, "vmlinuz")
        with open(self.kernel, "wb") as file:
            file.write(b"fake bzImage for the fleet " + os.urandom(20000))
        self.tenant = new_tenant("fleet")
        self.hosts = [kapsel.Host(ADDRESS_A), kapsel.Host(ADDRESS_B)]
        for host in self.hosts:
            self.addCleanup(host.close)
            self.addCleanup(clean_up_tenant, host, self.tenant)
            # The placement below counts on hosts without VMs: the other tests delete theirs.
            self.assertEqual(host.info().vm_memory_used_bytes, 0, "VMs of other tests hold memory on %r" % host)

    def fleet(self, *arguments):
        began = time.monotonic()
        result = subprocess.run([PYTHON, source_path("sdk", "python", "examples", "fleet.py"), self.hosts_file]
                                + list(arguments), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=subprocess_environment(), timeout=WAIT_SECONDS * 2)
        self.assertEqual(result.stderr, "", "fleet.py wrote to stderr")
        return result, time.monotonic() - began

    def test_survey_spread_and_a_spread_that_does_not_fit(self):
        # The survey: both servers up, the dead address down, and quickly so.
        result, seconds = self.fleet("--json", "--timeout", "5")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertLess(seconds, 8, "the survey waited for the dead host")
        survey = json.loads(result.stdout)
        hosts = {host["name"]: host for host in survey["hosts"]}
        self.assertEqual([host["name"] for host in survey["hosts"]], ["alpha", "beta", "gone"])
        self.assertEqual((hosts["alpha"]["up"], hosts["alpha"]["info"]["name"]), (True, "sdk-a"))
        self.assertEqual((hosts["beta"]["up"], hosts["beta"]["info"]["name"]), (True, "sdk-b"))
        self.assertEqual(hosts["beta"]["info"]["vm_memory_free_mib"], 2048)
        self.assertFalse(hosts["gone"]["up"])
        self.assertIn("UNAVAILABLE", hosts["gone"]["error"])
        self.assertEqual((survey["summary"]["up"], survey["summary"]["down"]), (2, ["gone"]))

        # 8 VMs of 512 MiB: A (4096 MiB free) takes them until B (2048) has as much free, then they alternate,
        # A first on ties: A A A A, A B A B.
        result, _ = self.fleet("--json", "--spread", "8", "--kernel", self.kernel, "--memory-mib", "512",
                               "--tenant", self.tenant, "--label", "fleet=test", "--cmdline", "fake.test=1",
                               "--start")
        self.assertEqual(result.returncode, 0, result.stdout)
        spread = json.loads(result.stdout)
        self.assertEqual({name: (done["planned"], len(done["created"]), len(done["started"]), done["errors"])
                          for name, done in spread["spread"].items()},
                         {"alpha": (6, 6, 6, []), "beta": (2, 2, 2, [])})
        self.assertEqual((spread["summary"]["spread_created"], spread["summary"]["spread_unplaced"]), (8, 0))
        for host, name, count in ((self.hosts[0], "alpha", 6), (self.hosts[1], "beta", 2)):
            vms = list(host.vms.list(tenant=self.tenant))
            self.assertEqual(sorted(vm.name for vm in vms), sorted(spread["spread"][name]["created"]))
            self.assertEqual(len(vms), count)
            for vm in vms:
                self.assertEqual((vm.state, vm.labels, vm.spec.memory_mib), (kapsel.VmState.RUNNING,
                                                                             {"fleet": "test"}, 512))

        # In text: 1024 MiB free on each now, so 3 VMs of 1024 MiB: one each, and one fits nowhere (exit 1).
        result, _ = self.fleet("--spread", "3", "--kernel", self.kernel, "--memory-mib", "1024",
                               "--tenant", self.tenant)
        self.assertEqual(result.returncode, 1, result.stdout)
        lines = result.stdout.splitlines()
        self.assertIn("alpha (%s): up, sdk-a," % ADDRESS_A, result.stdout)
        self.assertIn("    VMs: 6 running, 6 in all; VM memory: 3072 of 4096 MiB used, 1024 MiB free", lines)
        self.assertIn("    VMs: 2 running, 2 in all; VM memory: 1024 of 2048 MiB used, 1024 MiB free", lines)
        self.assertTrue(any(line.startswith("gone (%s): DOWN: UNAVAILABLE" % DEAD_ADDRESS) for line in lines),
                        result.stdout)
        self.assertEqual(sum(1 for line in lines if "tenant=" + self.tenant in line and "fleet=test" in line), 8)
        self.assertIn("spread: 3 VMs of 1024 MiB: alpha 1, beta 1; 1 fit on no host", lines)
        self.assertEqual(lines[-1], "summary: 3 hosts, 2 up, 1 down (gone); 8 VMs, 8 running; "
                                    "spread: 2 of 3 created, 1 unplaced")
        self.assertEqual(self.hosts[0].info().vm_memory_free_mib + self.hosts[1].info().vm_memory_free_mib, 0)

    def test_a_bad_hosts_file(self):
        with open(self.hosts_file, "w") as file:
            file.write("alpha\n")
        result = subprocess.run([PYTHON, source_path("sdk", "python", "examples", "fleet.py"), self.hosts_file],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=subprocess_environment(), timeout=WAIT_SECONDS)
        self.assertEqual(result.returncode, 2)
        self.assertIn("hosts.txt:1: expected \"name address\"", result.stderr)


if __name__ == "__main__":
    unittest.main()
