"""End-to-end tests of the Python SDK (sdk/python/kapsel) against agent/api_host_server, the API's real services with
a fake backend (its guests print a boot line, then a tick line every --tick-ms; "fake.poweroff_after=<n>" on the
command line powers off after n lines, a kernel whose display name has "crash" crashes after 3 lines).

Every method of the layer is used at least once. Nothing waits by sleeping: the tests wait on streams (watches,
consoles) that have deadlines. Each test uses tenants of its own and deletes its VMs, so that server A's VM memory
is as it was afterwards (the fleet test relies on it). Run by run_fake_backend.sh, which sets the addresses.
"""

import hashlib
import os
import tempfile
import threading
import unittest

import kapsel

from sdk_test_env import (ADDRESS_A, DEAD_ADDRESS, WAIT_SECONDS, clean_up_tenant, needs_servers, new_tenant)

MIB = 1024 * 1024


def fake_kernel(label=b"kernel"):
    """Random content: a new image every time (content addressing would otherwise return an earlier one)."""
    return b"fake bzImage " + label + b" " + os.urandom(64 * 1024)


@needs_servers
class SdkTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.host = kapsel.Host(ADDRESS_A, timeout=10.0)
        cls.kernel = cls.host.images.push(fake_kernel(), name="sdk-kernel")
        cls.initrd = cls.host.images.push(os.urandom(32 * 1024), name="sdk-initrd")
        cls.disk = cls.host.images.push(os.urandom(16 * 1024), name="sdk-disk")

    @classmethod
    def tearDownClass(cls):
        cls.host.close()

    def setUp(self):
        self.tenant = new_tenant("t")
        self.addCleanup(clean_up_tenant, self.host, self.tenant)

    def create(self, **kwargs):
        arguments = dict(tenant=self.tenant, kernel=self.kernel, memory_mib=128, cmdline="fake.test=1")
        arguments.update(kwargs)
        return self.host.vms.create(**arguments)

    def next_event(self, watch, name=None, state=None):
        """The next event (of name in state, skipping others, when given) before the watch's deadline."""
        for event in watch:
            if (name is None or event.vm.name == name) and (state is None or event.vm.state == state):
                return event
        self.fail("the watch ended before an event of %s in %s" % (name, state))


class HostTest(SdkTestCase):
    def test_info(self):
        info = self.host.info()
        self.assertIsInstance(info, kapsel.HostInfo)
        self.assertEqual(info.name, "sdk-a")
        self.assertTrue(info.version)
        self.assertEqual(info.architecture, "x86_64")
        self.assertGreaterEqual(info.cpus, 1)
        self.assertEqual((info.max_image_bytes, info.vm_memory_limit_bytes), (8 * MIB, 4096 * MIB))
        self.assertEqual(info.vm_memory_free_bytes, info.vm_memory_limit_bytes - info.vm_memory_used_bytes)
        vm = self.create()
        after = self.host.info(timeout=5)
        self.assertEqual(after.vms_total, info.vms_total + 1)
        self.assertEqual(after.vm_memory_used_bytes, info.vm_memory_used_bytes + 128 * MIB)
        vm.delete()

    def test_health(self):
        self.assertIs(self.host.health(), kapsel.HealthStatus.SERVING)
        self.assertEqual(str(self.host.health(timeout=2)), "SERVING")

    def test_a_host_that_is_down(self):
        for retry in (kapsel.RetryPolicy(attempts=3, initial_backoff=0.01), kapsel.NO_RETRY):
            with kapsel.Host(DEAD_ADDRESS, timeout=5, retry=retry) as dead:
                with self.assertRaises(kapsel.Unavailable) as caught:
                    dead.health()
                self.assertIsInstance(caught.exception, ConnectionError)
                self.assertEqual(caught.exception.method, "HostService.Health")
                self.assertTrue(caught.exception.message)
                with self.assertRaises(kapsel.Unavailable):
                    list(dead.vms.list())
                # Not idempotent: tried once, the same error.
                with self.assertRaises(kapsel.Unavailable):
                    dead.vms.create(tenant="t", kernel=self.kernel, memory_mib=64)

    def test_a_host_from_many_threads(self):
        vms = [self.create(labels={"n": str(index)}) for index in range(3)]
        names = [vm.name for vm in vms]
        failures = []
        start = threading.Barrier(8, timeout=WAIT_SECONDS)

        def client(index):
            try:
                start.wait()
                for round_number in range(10):
                    vm = self.host.vms.get(vms[(index + round_number) % 3].id)
                    self.assertEqual(vm, vms[(index + round_number) % 3])
                    self.assertEqual([listed.name for listed in self.host.vms.list(tenant=self.tenant)], names)
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append("client %d: %r" % (index, error))

        threads = [threading.Thread(target=client, args=(index,)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS)
        self.assertFalse(any(thread.is_alive() for thread in threads), "clients still running")
        self.assertEqual(failures, [])


class ImageTest(SdkTestCase):
    def test_push_bytes_in_chunks_with_progress(self):
        content = os.urandom(2 * MIB + MIB // 2)
        progress = []
        image = self.host.images.push(content, name="two-and-a-half", progress=lambda sent, total: progress.append(
            (sent, total)))
        self.assertIsInstance(image, kapsel.Image)
        sha = hashlib.sha256(content).hexdigest()
        self.assertEqual((image.name, image.sha256, image.size_bytes, image.display_name, image.used_by),
                         ("images/" + sha, sha, len(content), "two-and-a-half", ()))
        self.assertIsNotNone(image.create_time)
        self.assertEqual(progress, [(MIB, len(content)), (2 * MIB, len(content)), (len(content), len(content))])
        self.assertEqual(self.host.images.get(image.name), image)
        self.assertEqual(self.host.images.get(sha), image)
        # Pushed again (under another name, in other chunks): the image that exists, without an upload.
        again = []
        self.assertEqual(self.host.images.push(content, name="other", chunk_size=4096,
                                               progress=lambda *args: again.append(args)), image)
        self.assertEqual(again, [(len(content), len(content))])
        self.host.images.delete(image)
        with self.assertRaises(kapsel.NotFound):
            self.host.images.get(image)

    def test_push_a_file(self):
        content = os.urandom(MIB + 17)
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "vmlinuz")
            with open(path, "wb") as file:
                file.write(content)
            image = self.host.images.push(path, name="from-a-file", chunk_size=300 * 1024)
        self.assertEqual((image.sha256, image.size_bytes), (hashlib.sha256(content).hexdigest(), len(content)))
        image.delete()
        with self.assertRaises(kapsel.NotFound) as caught:
            image.delete()
        self.assertIn("not found", caught.exception.message)

    def test_list_all_pages(self):
        pushed = [self.host.images.push(os.urandom(1000 + index), name="list-%d" % index) for index in range(3)]
        one_by_one = list(self.host.images.list(page_size=1))
        self.assertEqual([image.name for image in one_by_one],
                         [image.name for image in self.host.images.list(page_size=500)])
        self.assertEqual(len(one_by_one), len({image.name for image in one_by_one}))
        for image in pushed:
            self.assertIn(image, one_by_one)
            image.delete()

    def test_limits_and_errors(self):
        with self.assertRaises(kapsel.ResourceExhausted) as caught:
            self.host.images.push(b"x" * (8 * MIB + 1))
        self.assertIn("size_bytes", caught.exception.message)
        with self.assertRaises(kapsel.InvalidArgument) as caught:
            self.host.images.push(os.urandom(100), name="d" * 64)
        self.assertIn("display_name", caught.exception.message)
        with self.assertRaises(kapsel.InvalidArgument) as caught:
            self.host.images.get("vmlinuz")
        self.assertIn("name:", caught.exception.message)
        with self.assertRaises(kapsel.NotFound):
            self.host.images.delete("0" * 64)

    def test_an_image_in_use_is_not_deleted(self):
        kernel = self.host.images.push(fake_kernel(b"in use"), name="in-use")
        vm = self.create(kernel=kernel)
        self.assertEqual(self.host.images.get(kernel).used_by, (vm.name,))
        with self.assertRaises(kapsel.FailedPrecondition) as caught:
            kernel.delete()
        self.assertIn("in use by " + vm.name, caught.exception.message)
        vm.delete()
        kernel.delete()


class VmTest(SdkTestCase):
    def test_create_with_everything_then_get(self):
        vm_id = "full-" + self.tenant
        vm = self.create(vm_id=vm_id, initrd=self.initrd.sha256, cmdline="console=ttyS0 fake.test=1", memory_mib=256,
                         labels={"role": "web", "app.kapsel/x": "1"}, network=7, vcpus=1,
                         disks=[kapsel.Disk(self.disk.name, read_only=True), self.disk])
        self.assertEqual((vm.name, vm.id, vm.tenant), ("vms/" + vm_id, vm_id, self.tenant))
        self.assertEqual(vm.labels, {"role": "web", "app.kapsel/x": "1"})
        self.assertIs(vm.state, kapsel.VmState.CREATED)
        self.assertEqual(vm.spec, kapsel.VmSpec(
            kernel=self.kernel.name, initrd=self.initrd.name, cmdline="console=ttyS0 fake.test=1", memory_mib=256,
            vcpus=1, disks=(kapsel.Disk(self.disk.name, True), kapsel.Disk(self.disk.name, False)), network=7))
        self.assertIsNotNone(vm.create_time)
        self.assertEqual((vm.start_time, vm.end_time, vm.state_reason, vm.disk_sha256), (None, None, "", ()))
        self.assertEqual(self.host.vms.get(vm_id), vm)
        self.assertEqual(self.host.vms.get(vm.name), vm)
        self.assertIs(vm.host, self.host)
        # A generated id.
        other = self.create()
        self.assertTrue(other.name.startswith("vms/"))
        self.assertNotEqual(other.name, vm.name)

    def test_lifecycle_with_watch_and_console(self):
        first = self.create(labels={"n": "1"})
        with self.host.vms.watch(tenant=self.tenant, timeout=WAIT_SECONDS) as watch:
            # The watch begins with an ADDED per VM that exists: once it is here, the watch is in place.
            added = self.next_event(watch)
            self.assertEqual((added.type, added.vm), (kapsel.EventType.ADDED, first))
            vm = self.create(labels={"n": "2"}, disks=[self.disk])
            self.assertIs(vm.start(), vm)
            self.assertIs(vm.state, kapsel.VmState.RUNNING)
            self.assertIsNotNone(vm.start_time)
            self.assertIs(vm.refresh().state, kapsel.VmState.RUNNING)

            # The console: the boot line and ticks while it runs, then the stop, then the rest until its end.
            seen = b""
            with vm.console(timeout=WAIT_SECONDS) as console:
                for data in console:
                    self.assertIsInstance(data, bytes)
                    seen += data
                    if b"tick 3" in seen and vm.state == kapsel.VmState.RUNNING:
                        vm.stop(grace=30)
                        self.assertIn(vm.state, (kapsel.VmState.STOPPING, kapsel.VmState.STOPPED))
                self.assertEqual((console.first_offset, console.offset), (0, len(seen)))
            self.assertTrue(seen.startswith(b"fake guest: booting " + self.kernel.name.encode()), seen[:80])
            self.assertTrue(seen.endswith(b"reboot: Power down\n"), seen[-40:])
            self.assertIs(vm.wait(timeout=WAIT_SECONDS), vm)
            self.assertEqual((vm.state, vm.state_reason), (kapsel.VmState.STOPPED, "guest powered off"))
            self.assertEqual(vm.disk_sha256, (self.disk.sha256,))
            self.assertGreaterEqual(vm.end_time, vm.start_time)

            # The history of an ended VM: all of it with or without follow, nothing without history.
            self.assertEqual(b"".join(vm.console(follow=False, timeout=WAIT_SECONDS)), seen)
            self.assertEqual(b"".join(vm.console(timeout=WAIT_SECONDS)), seen)
            self.assertEqual(list(vm.console(follow=False, history=False, timeout=WAIT_SECONDS)), [])

            vm.delete()
            with self.assertRaises(kapsel.NotFound):
                vm.refresh()
            first.delete()
            events = []
            while len(events) < 6:
                event = self.next_event(watch)
                events.append((event.type, event.vm.name, event.vm.state))
                last_sequence = event.sequence
            self.assertGreater(last_sequence, added.sequence)
        E, S = kapsel.EventType, kapsel.VmState
        self.assertEqual(events, [(E.ADDED, vm.name, S.CREATED), (E.MODIFIED, vm.name, S.RUNNING),
                                  (E.MODIFIED, vm.name, S.STOPPING), (E.MODIFIED, vm.name, S.STOPPED),
                                  (E.DELETED, vm.name, S.STOPPED), (E.DELETED, first.name, S.CREATED)])

    def test_force_stop_and_wait_for_states(self):
        vm = self.create(cmdline="fake.ignore_poweroff")
        vm.start()
        self.assertIs(vm.wait(kapsel.VmState.RUNNING, timeout=WAIT_SECONDS).state, kapsel.VmState.RUNNING)
        # A deadline on a wait that cannot end in time: DeadlineExceeded, a TimeoutError.
        with self.assertRaises(TimeoutError):
            vm.wait(kapsel.VmState.STOPPED, timeout=0.3)
        vm.stop(force=True)
        self.assertEqual((vm.state, vm.state_reason), (kapsel.VmState.STOPPED, "stopped through the API"))
        with self.assertRaises(kapsel.FailedPrecondition):
            vm.wait(kapsel.VmState.RUNNING, timeout=WAIT_SECONDS)

    def test_grace_period_ends_in_a_forced_stop(self):
        vm = self.create(cmdline="fake.ignore_poweroff")
        vm.start()
        self.assertIs(vm.stop(grace=0.2).state, kapsel.VmState.STOPPING)
        vm.wait(timeout=WAIT_SECONDS)
        self.assertIn("did not power off within 200 ms", vm.state_reason)

    def test_a_guest_that_crashes(self):
        crash = self.host.images.push(fake_kernel(b"crash"), name="crash-kernel")
        vm = self.create(kernel=crash)
        vm.start()
        self.assertIs(vm.wait(timeout=WAIT_SECONDS).state, kapsel.VmState.FAILED)
        self.assertTrue(vm.state_reason.startswith("uvmm stopped: page fault"), vm.state_reason)
        self.assertIn(b"BUG: unable to handle page fault", b"".join(vm.console(follow=False, timeout=WAIT_SECONDS)))
        vm.delete()
        crash.delete()

    def test_list_filters_and_pages(self):
        vms = [self.create(labels={"role": role, "n": str(index)})
               for index, role in enumerate(("web", "db", "web", "web"))]
        other = new_tenant("other")
        self.addCleanup(clean_up_tenant, self.host, other)
        self.create(tenant=other, labels={"role": "web"})
        self.assertEqual(list(self.host.vms.list(tenant=self.tenant)), vms)
        self.assertEqual(list(self.host.vms.list(tenant=self.tenant, page_size=1)), vms)
        self.assertEqual([vm.name for vm in self.host.vms.list(tenant=self.tenant, labels={"role": "web"},
                                                               page_size=2)],
                         [vms[0].name, vms[2].name, vms[3].name])
        self.assertEqual([vm.name for vm in self.host.vms.list(tenant=self.tenant, labels=["role=web", "n=2"])],
                         [vms[2].name])
        self.assertEqual(list(self.host.vms.list(tenant=self.tenant, labels={"role": "none"})), [])
        everything = [vm.name for vm in self.host.vms.list(page_size=1)]
        for vm in vms:
            self.assertIn(vm.name, everything)
        self.assertEqual(len(everything), len(set(everything)))

    def test_errors_carry_the_hosts_message(self):
        with self.assertRaises(kapsel.NotFound) as caught:
            self.host.vms.get("nope-" + self.tenant)
        self.assertIn("vms/nope-%s not found" % self.tenant, caught.exception.message)
        with self.assertRaises(kapsel.InvalidArgument) as caught:
            self.create(memory_mib=32)
        self.assertIn("vm.spec.memory_mib", caught.exception.message)
        self.assertIsInstance(caught.exception, ValueError)
        with self.assertRaises(kapsel.InvalidArgument) as caught:
            self.create(tenant="Not A Tenant")
        self.assertIn("vm.tenant", caught.exception.message)
        with self.assertRaises(kapsel.NotFound) as caught:
            self.create(kernel="0" * 64)
        self.assertIn("vm.spec.kernel_image", caught.exception.message)
        with self.assertRaises(kapsel.InvalidArgument):
            list(self.host.vms.watch(tenant="Not A Tenant", timeout=WAIT_SECONDS))
        with self.assertRaises(kapsel.InvalidArgument):
            list(self.host.vms.list(tenant="Bad"))

        vm = self.create(vm_id="twice-" + self.tenant)
        with self.assertRaises(kapsel.AlreadyExists) as caught:
            self.create(vm_id="twice-" + self.tenant)
        self.assertIn("vm_id", caught.exception.message)
        with self.assertRaises(kapsel.FailedPrecondition) as caught:
            vm.stop()
        self.assertIn("is CREATED", caught.exception.message)
        vm.start()
        with self.assertRaises(kapsel.FailedPrecondition):
            vm.start()
        with self.assertRaises(kapsel.FailedPrecondition):
            vm.delete()
        vm.stop(force=True)
        with self.assertRaises(kapsel.FailedPrecondition) as caught:
            vm.start()
        self.assertIn("never started again", caught.exception.message)

    def test_memory_quota_is_resource_exhausted(self):
        # Server A has 4096 MiB for VMs, and the other tests leave none of theirs behind.
        self.assertEqual(self.host.info().vm_memory_used_bytes, 0, "VMs of other tests hold memory")
        self.create(memory_mib=4096)
        with self.assertRaises(kapsel.ResourceExhausted) as caught:
            self.create(memory_mib=64)
        self.assertIn("vm.spec.memory_mib", caught.exception.message)

    def test_stream_deadline(self):
        vm = self.create()
        vm.start()
        received = []
        with self.assertRaises(kapsel.DeadlineExceeded):
            for data in vm.console(timeout=0.3):
                received.append(data)
        self.assertTrue(received)
        with self.assertRaises(kapsel.DeadlineExceeded):
            for _ in self.host.vms.watch(tenant=self.tenant, timeout=0.3):
                pass

    def test_cancelled_streams_end_quietly(self):
        vm = self.create()
        vm.start()
        console = vm.console()
        self.assertTrue(next(console).startswith(b"fake guest: booting"))
        console.cancel()
        self.assertEqual(list(console), [])
        watch = self.host.vms.watch(tenant=self.tenant)
        self.assertEqual(next(watch).vm.name, vm.name)
        # Cancelled from another thread while this one waits for an event that never comes.
        threading.Thread(target=watch.cancel).start()
        self.assertEqual(list(watch), [])


if __name__ == "__main__":
    unittest.main()
