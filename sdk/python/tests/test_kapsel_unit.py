"""Unit tests of Kapsel's Python SDK (sdk/python/kapsel) that need no server: argument checks, request building,
pagination, streams, retries and deadlines against a fake channel (tests/fake_channel.py), and the error mapping.

Run with the built package on the path (the generated kapsel.v1 is needed):
    sdk/python/build.sh /tmp/kapsel-sdk
    PYTHONPATH=/tmp/kapsel-sdk:sdk/python/tests /usr/bin/python3 -m unittest -v test_kapsel_unit
(//sdk/python:unit_tests and //integration_tests:python_sdk_tests_fake_backend run them.)
"""

import datetime
import hashlib
import importlib.util
import os
import tempfile
import threading
import unittest
from unittest import mock

import grpc

import kapsel
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from kapsel.v1 import attestation_service_pb2 as attestation_pb
from kapsel.v1 import host_service_pb2 as host_pb
from kapsel.v1 import image_service_pb2 as image_pb
from kapsel.v1 import vm_service_pb2 as vm_pb

from fake_channel import BLOCK, FakeChannel, rpc_error

MIB = 1024 * 1024
SHA_A = "a" * 64
SHA_B = "b" * 64
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


def vm_message(name="vms/vm-1", tenant="acme", state=vm_pb.CREATED, **spec):
    spec.setdefault("kernel_image", "images/" + SHA_A)
    spec.setdefault("memory_mib", 128)
    return vm_pb.Vm(name=name, tenant=tenant, state=state, spec=vm_pb.VmSpec(**spec), create_time_unix_ms=1700000000000)


def image_message(sha=SHA_A, size=10, display_name=""):
    return image_pb.Image(name="images/" + sha, sha256=sha, size_bytes=size, display_name=display_name,
                          create_time_unix_ms=1700000000123)


class FakeClock:
    """time.monotonic and time.sleep for the retry tests: sleeping moves the clock."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class HostTestCase(unittest.TestCase):
    def setUp(self):
        self.channel = FakeChannel()
        self.clock = FakeClock()
        self.host = self.make_host()

    def make_host(self, **kwargs):
        host = kapsel.Host(channel=self.channel, **kwargs)
        host._invoker.clock = self.clock.clock
        host._invoker.sleep = self.clock.sleep
        host._invoker.rand = lambda: 0.0  # no jitter: backoffs are exact
        return host

    def assertNoCalls(self):
        self.assertEqual(self.channel.calls, [])


class ErrorMappingTest(unittest.TestCase):
    def test_every_status_code_has_its_class(self):
        for code in grpc.StatusCode:
            if code == grpc.StatusCode.OK:
                continue
            error = kapsel.errors.from_rpc_error(rpc_error(code, "what went wrong"), "VmService.GetVm")
            self.assertIsInstance(error, kapsel.ApiError)
            self.assertIsNot(type(error), kapsel.ApiError, code)
            self.assertEqual(error.code, code)
            self.assertEqual(error.message, "what went wrong")
            self.assertEqual(error.method, "VmService.GetVm")
            self.assertEqual(str(error), "%s: what went wrong" % code.name)

    def test_named_classes(self):
        expected = {
            grpc.StatusCode.NOT_FOUND: kapsel.NotFound,
            grpc.StatusCode.INVALID_ARGUMENT: kapsel.InvalidArgument,
            grpc.StatusCode.FAILED_PRECONDITION: kapsel.FailedPrecondition,
            grpc.StatusCode.RESOURCE_EXHAUSTED: kapsel.ResourceExhausted,
            grpc.StatusCode.ALREADY_EXISTS: kapsel.AlreadyExists,
            grpc.StatusCode.UNAVAILABLE: kapsel.Unavailable,
            grpc.StatusCode.DEADLINE_EXCEEDED: kapsel.DeadlineExceeded,
            grpc.StatusCode.CANCELLED: kapsel.Cancelled,
            grpc.StatusCode.UNIMPLEMENTED: kapsel.Unimplemented,
            grpc.StatusCode.INTERNAL: kapsel.Internal,
        }
        for code, cls in expected.items():
            self.assertIs(type(kapsel.errors.from_rpc_error(rpc_error(code, "x"))), cls)
            self.assertIs(kapsel.errors.error_class(code), cls)

    def test_builtin_bases(self):
        self.assertTrue(issubclass(kapsel.InvalidArgument, ValueError))
        self.assertTrue(issubclass(kapsel.NotFound, LookupError))
        self.assertTrue(issubclass(kapsel.DeadlineExceeded, TimeoutError))
        self.assertTrue(issubclass(kapsel.Unavailable, ConnectionError))

    def test_constructed_directly(self):
        error = kapsel.NotFound("vms/x not found")
        self.assertEqual((error.code, error.message, error.method),
                         (grpc.StatusCode.NOT_FOUND, "vms/x not found", None))
        self.assertEqual(str(kapsel.Internal()), "INTERNAL")

    def test_an_rpc_error_without_status_is_unknown(self):
        error = kapsel.errors.from_rpc_error(grpc.RpcError("broken"))
        self.assertIsInstance(error, kapsel.Unknown)
        self.assertEqual(error.message, "broken")

    def test_calls_raise_the_mapped_error_chained(self):
        channel = FakeChannel()
        channel.handle("VmService.GetVm", lambda request: rpc_error(grpc.StatusCode.NOT_FOUND, "name: vms/x not found"))
        host = kapsel.Host(channel=channel)
        with self.assertRaises(kapsel.NotFound) as caught:
            host.vms.get("x")
        self.assertEqual(caught.exception.message, "name: vms/x not found")
        self.assertEqual(caught.exception.method, "VmService.GetVm")
        self.assertIsInstance(caught.exception.__cause__, grpc.RpcError)


class EnumTest(unittest.TestCase):
    def test_enums_match_the_api(self):
        for enum, proto_enum in ((kapsel.VmState, vm_pb.VmState), (kapsel.EventType, vm_pb.VmEvent.Type),
                                 (kapsel.HealthStatus, host_pb.HealthResponse.ServingStatus)):
            api = {name.split("_UNSPECIFIED")[0] if name.endswith("UNSPECIFIED") else name: number
                   for name, number in proto_enum.items()}
            ours = {member.name: member.value for member in enum}
            self.assertEqual(len(api), len(ours), enum)
            for name, number in proto_enum.items():
                short = "UNSPECIFIED" if name.endswith("UNSPECIFIED") else name
                self.assertEqual(enum[short].value, number, name)

    def test_unknown_values_and_str(self):
        self.assertIs(kapsel.VmState(42), kapsel.VmState.UNSPECIFIED)
        self.assertEqual(str(kapsel.VmState.RUNNING), "RUNNING")
        self.assertEqual(kapsel.VmState.RUNNING, vm_pb.RUNNING)
        self.assertTrue(kapsel.VmState.FAILED.ended and kapsel.VmState.STOPPED.ended)
        self.assertFalse(kapsel.VmState.STOPPING.ended)


class ModelTest(HostTestCase):
    def test_host_info(self):
        self.channel.handle("HostService.GetHostInfo", lambda request: host_pb.HostInfo(
            name="h", cpus=4, vm_memory_limit_bytes=1024 * MIB, vm_memory_used_bytes=256 * MIB))
        info = self.host.info()
        self.assertEqual((info.name, info.cpus, info.vm_memory_free_bytes, info.vm_memory_free_mib),
                         ("h", 4, 768 * MIB, 768))
        over = kapsel.HostInfo.from_proto(host_pb.HostInfo(vm_memory_limit_bytes=1, vm_memory_used_bytes=2))
        self.assertEqual(over.vm_memory_free_bytes, 0)
        self.assertEqual(info.attestation_public_key, b"")
        keyed = kapsel.HostInfo.from_proto(host_pb.HostInfo(attestation_public_key=b"\x04" + b"k" * 64))
        self.assertEqual(keyed.attestation_public_key, b"\x04" + b"k" * 64)

    def test_health(self):
        self.channel.handle("HostService.Health", lambda request: host_pb.HealthResponse(
            status=host_pb.HealthResponse.SERVING))
        self.assertIs(self.host.health(), kapsel.HealthStatus.SERVING)

    def test_vm_properties(self):
        message = vm_message(state=vm_pb.STOPPED, initrd_image="images/" + SHA_B, command_line="console=ttyS0",
                             vcpus=1, network_id=7, disks=[vm_pb.Disk(image="images/" + SHA_B, read_only=True)])
        message.labels["role"] = "web"
        message.state_reason = "guest powered off"
        message.end_time_unix_ms = 1700000005000
        message.disk_sha256.append(SHA_B)
        vm = kapsel.Vm(self.host, message)
        self.assertEqual((vm.name, vm.id, vm.tenant, vm.labels), ("vms/vm-1", "vm-1", "acme", {"role": "web"}))
        self.assertIs(vm.state, kapsel.VmState.STOPPED)
        self.assertTrue(vm.ended)
        self.assertEqual(vm.spec, kapsel.VmSpec(kernel="images/" + SHA_A, initrd="images/" + SHA_B,
                                                cmdline="console=ttyS0", memory_mib=128, vcpus=1,
                                                disks=(kapsel.Disk("images/" + SHA_B, True),), network=7))
        self.assertEqual(vm.create_time, datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc))
        self.assertIsNone(vm.start_time)
        self.assertEqual(vm.end_time - vm.create_time, datetime.timedelta(seconds=5))
        self.assertEqual(vm.disk_sha256, (SHA_B,))
        self.assertEqual(vm.proto, message)
        self.assertIn("STOPPED", repr(vm))
        vm.labels["changed"] = "no"
        self.assertEqual(vm.labels, {"role": "web"})
        self.assertEqual(vm, kapsel.Vm(self.host, vm.proto))

    def test_image_properties(self):
        image = kapsel.Image.from_proto(image_message(display_name="vmlinuz"), self.host)
        self.assertEqual((image.name, image.sha256, image.size_bytes, image.display_name, image.used_by),
                         ("images/" + SHA_A, SHA_A, 10, "vmlinuz", ()))
        self.assertEqual(image.create_time.microsecond, 123000)
        self.channel.handle("ImageService.DeleteImage", lambda request: image_pb.DeleteImageResponse())
        image.delete()
        self.assertEqual(self.channel.calls[-1].request.name, "images/" + SHA_A)
        with self.assertRaises(ValueError):
            kapsel.Image.from_proto(image_message()).delete()


class ArgumentCheckTest(HostTestCase):
    def create(self, **overrides):
        arguments = dict(tenant="acme", kernel=SHA_A, memory_mib=128)
        arguments.update(overrides)
        return self.host.vms.create(**arguments)

    def test_create_refuses_wrong_types_before_calling(self):
        for overrides, error in (
                ({"memory_mib": "128"}, TypeError),
                ({"memory_mib": True}, TypeError),
                ({"memory_mib": 128.0}, TypeError),
                ({"memory_mib": 0}, ValueError),
                ({"memory_mib": 2 ** 32}, ValueError),
                ({"tenant": None}, TypeError),
                ({"tenant": b"acme"}, TypeError),
                ({"kernel": 7}, TypeError),
                ({"kernel": None}, TypeError),
                ({"initrd": b"x"}, TypeError),
                ({"cmdline": 5}, TypeError),
                ({"labels": ["a=b"]}, TypeError),
                ({"labels": {"a": 1}}, TypeError),
                ({"network": -1}, ValueError),
                ({"network": "1"}, TypeError),
                ({"vcpus": 1.5}, TypeError),
                ({"disks": "images/" + SHA_A}, TypeError),
                ({"disks": kapsel.Disk(SHA_A)}, TypeError),
                ({"disks": [42]}, TypeError),
                ({"disks": [kapsel.Disk(SHA_A, read_only="yes")]}, TypeError),
                ({"vm_id": 3}, TypeError),
                ({"timeout": 0}, ValueError),
                ({"timeout": -1}, ValueError),
                ({"timeout": "10"}, TypeError)):
            with self.subTest(overrides=overrides):
                with self.assertRaises(error):
                    self.create(**overrides)
        self.assertNoCalls()

    def test_create_needs_the_required_arguments(self):
        with self.assertRaises(TypeError):
            self.host.vms.create(tenant="acme", kernel=SHA_A)  # memory_mib
        with self.assertRaises(TypeError):
            self.host.vms.create("acme", SHA_A, 128)  # keywords only
        self.assertNoCalls()

    def test_stop_checks_force_and_grace(self):
        vm = kapsel.Vm(self.host, vm_message(state=vm_pb.RUNNING))
        for kwargs, error in (({"grace": 0}, ValueError), ({"grace": -1}, ValueError), ({"grace": 600.5}, ValueError),
                              ({"grace": "10"}, TypeError), ({"force": 1}, TypeError)):
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(error):
                    vm.stop(**kwargs)
        self.assertNoCalls()

    def test_other_checks(self):
        with self.assertRaises(TypeError):
            self.host.vms.get(7)
        with self.assertRaises(TypeError):
            self.host.vms.list(labels="role=web")
        with self.assertRaises(ValueError):
            self.host.vms.list(labels=["role"])
        with self.assertRaises(TypeError):
            self.host.vms.list(tenant=5)
        with self.assertRaises(ValueError):
            self.host.vms.list(page_size=-1)
        with self.assertRaises(TypeError):
            self.host.vms.watch(tenant=5)
        with self.assertRaises(TypeError):
            kapsel.Vm(self.host, vm_message()).console(follow="yes")
        with self.assertRaises(TypeError):
            kapsel.Vm(self.host, vm_message()).wait("RUNNING")
        with self.assertRaises(TypeError):
            self.host.images.push(12345)
        with self.assertRaises(ValueError):
            self.host.images.push(b"")
        for chunk_size in (0, MIB + 1, 1.5):
            with self.assertRaises(ValueError):
                self.host.images.push(b"x", chunk_size=chunk_size)
        with self.assertRaises(TypeError):
            self.host.images.push(b"x", progress="not callable")
        with self.assertRaises(TypeError):
            self.host.images.get(None)
        self.assertNoCalls()
        with self.assertRaises(ValueError):
            kapsel.Host()
        with self.assertRaises(ValueError):
            kapsel.Host("127.0.0.1:1", timeout=0)
        with self.assertRaises(TypeError):
            kapsel.Host("127.0.0.1:1", retry=3)
        with self.assertRaises(ValueError):
            kapsel.RetryPolicy(attempts=0)
        with self.assertRaises(ValueError):
            kapsel.Host(channel=self.channel, options={"grpc.enable_http_proxy": 1})


class RequestTest(HostTestCase):
    def test_create_builds_the_request(self):
        self.channel.handle("VmService.CreateVm", lambda request: request.vm)
        kernel = kapsel.Image.from_proto(image_message(SHA_A))
        vm = self.host.vms.create(
            tenant="acme", kernel=kernel, initrd=SHA_B, cmdline="console=ttyS0", memory_mib=256,
            labels={"role": "web"}, network=3, vm_id="web-1",
            disks=[kapsel.Disk("images/" + SHA_B, read_only=True), kernel, SHA_B])
        request = self.channel.calls[-1].request
        self.assertEqual(request.vm_id, "web-1")
        self.assertEqual(request.vm.tenant, "acme")
        self.assertEqual(dict(request.vm.labels), {"role": "web"})
        self.assertEqual(request.vm.spec, vm_pb.VmSpec(
            kernel_image="images/" + SHA_A, initrd_image="images/" + SHA_B, command_line="console=ttyS0",
            memory_mib=256, network_id=3,
            disks=[vm_pb.Disk(image="images/" + SHA_B, read_only=True), vm_pb.Disk(image="images/" + SHA_A),
                   vm_pb.Disk(image="images/" + SHA_B)]))
        self.assertIsInstance(vm, kapsel.Vm)
        self.assertEqual(vm.spec.memory_mib, 256)

    def test_names(self):
        self.channel.handle("VmService.GetVm", lambda request: vm_message(name=request.name))
        self.assertEqual(self.host.vms.get("web-1").name, "vms/web-1")
        self.assertEqual(self.host.vms.get("vms/web-1").name, "vms/web-1")
        # Names the SDK does not recognise go to the host as they are: it names the field it refuses.
        self.channel.handle("ImageService.GetImage", lambda request: image_message())
        self.host.images.get("vmlinuz")
        self.assertEqual(self.channel.calls[-1].request.name, "vmlinuz")
        self.host.images.get(SHA_A.upper())
        self.assertEqual(self.channel.calls[-1].request.name, SHA_A.upper())

    def test_vm_methods(self):
        answers = {"StartVm": vm_pb.RUNNING, "StopVm": vm_pb.STOPPING, "GetVm": vm_pb.STOPPED}
        for method, state in answers.items():
            self.channel.handle("VmService." + method, lambda request, state=state: vm_message(state=state))
        self.channel.handle("VmService.DeleteVm", lambda request: vm_pb.DeleteVmResponse())
        vm = kapsel.Vm(self.host, vm_message())
        self.assertIs(vm.start(), vm)
        self.assertIs(vm.state, kapsel.VmState.RUNNING)
        vm.stop()
        stop = self.channel.calls[-1].request
        self.assertEqual((stop.name, stop.force, stop.grace_period_ms), ("vms/vm-1", False, 10000))
        self.assertIs(vm.state, kapsel.VmState.STOPPING)
        vm.stop(force=True, grace=None)
        self.assertEqual((self.channel.calls[-1].request.force, self.channel.calls[-1].request.grace_period_ms),
                         (True, 0))
        vm.stop(grace=0.0004)
        self.assertEqual(self.channel.calls[-1].request.grace_period_ms, 1)
        vm.stop(grace=600)
        self.assertEqual(self.channel.calls[-1].request.grace_period_ms, 600000)
        self.assertIs(vm.refresh().state, kapsel.VmState.STOPPED)
        self.assertIsNone(vm.delete())
        self.assertEqual(self.channel.calls[-1].method, "VmService.DeleteVm")

    def test_list_selector(self):
        self.channel.handle("VmService.ListVms", lambda request: vm_pb.ListVmsResponse())
        list(self.host.vms.list(tenant="acme", labels={"role": "web", "tier": "front"}, page_size=7))
        request = self.channel.calls[-1].request
        self.assertEqual((request.tenant, sorted(request.label_selector), request.page_size, request.page_token),
                         ("acme", ["role=web", "tier=front"], 7, ""))
        list(self.host.vms.list(labels=["role=web"]))
        self.assertEqual(list(self.channel.calls[-1].request.label_selector), ["role=web"])


class PaginationTest(HostTestCase):
    def serve_vms(self, names, page_size):
        """ListVms over names, page_size per page, tokens "t<index>"."""
        def list_vms(request):
            start = int(request.page_token[1:]) if request.page_token else 0
            end = min(start + page_size, len(names))
            return vm_pb.ListVmsResponse(vms=[vm_message(name=name) for name in names[start:end]],
                                         next_page_token="t%d" % end if end < len(names) else "")
        self.channel.handle("VmService.ListVms", list_vms)

    def test_all_pages_in_order(self):
        names = ["vms/vm-%d" % i for i in range(7)]
        self.serve_vms(names, 3)
        listed = [vm.name for vm in self.host.vms.list(tenant="acme", labels={"a": "b"})]
        self.assertEqual(listed, names)
        requests = [call.request for call in self.channel.calls_of("VmService.ListVms")]
        self.assertEqual([request.page_token for request in requests], ["", "t3", "t6"])
        # The other fields stay the same from page to page, as the API requires.
        for request in requests:
            self.assertEqual((request.tenant, list(request.label_selector)), ("acme", ["a=b"]))

    def test_pages_are_fetched_as_the_iteration_goes(self):
        self.serve_vms(["vms/vm-%d" % i for i in range(4)], 2)
        vms = self.host.vms.list()
        self.assertNoCalls()
        self.assertEqual(next(vms).name, "vms/vm-0")
        next(vms)
        self.assertEqual(len(self.channel.calls), 1)
        next(vms)
        self.assertEqual(len(self.channel.calls), 2)

    def test_empty_list_and_empty_pages(self):
        self.serve_vms([], 5)
        self.assertEqual(list(self.host.vms.list()), [])
        tokens = iter(["next", ""])
        self.channel.handle("VmService.ListVms", lambda request: vm_pb.ListVmsResponse(next_page_token=next(tokens)))
        self.assertEqual(list(self.host.vms.list()), [])
        self.assertEqual(len(self.channel.calls_of("VmService.ListVms")), 3)

    def test_a_token_that_comes_back_is_an_error(self):
        tokens = iter(["a", "b", "a"])
        self.channel.handle("VmService.ListVms", lambda request: vm_pb.ListVmsResponse(
            vms=[vm_message()], next_page_token=next(tokens)))
        with self.assertRaises(kapsel.Internal):
            list(self.host.vms.list())

    def test_images(self):
        shas = [c * 64 for c in "abcde"]

        def list_images(request):
            start = int(request.page_token or 0)
            return image_pb.ListImagesResponse(images=[image_message(sha) for sha in shas[start:start + 2]],
                                               next_page_token=str(start + 2) if start + 2 < len(shas) else "")
        self.channel.handle("ImageService.ListImages", list_images)
        self.assertEqual([image.sha256 for image in self.host.images.list(page_size=2)], shas)
        self.assertEqual([call.request.page_size for call in self.channel.calls], [2, 2, 2])

    def test_a_failing_page_raises_mid_iteration(self):
        self.serve_vms(["vms/a", "vms/b", "vms/c"], 2)
        vms = self.host.vms.list()
        self.assertEqual([next(vms).name, next(vms).name], ["vms/a", "vms/b"])
        self.channel.handle("VmService.ListVms", lambda request: rpc_error(grpc.StatusCode.INVALID_ARGUMENT,
                                                                           "page_token: expired"))
        with self.assertRaises(kapsel.InvalidArgument):
            next(vms)


class RetryAndDeadlineTest(HostTestCase):
    def flaky(self, failures, answer, code=UNAVAILABLE):
        remaining = [failures]

        def handler(request):
            if remaining[0] > 0:
                remaining[0] -= 1
                return rpc_error(code, "connection refused")
            return answer
        return handler

    def test_idempotent_calls_retry_unavailable_with_backoff(self):
        self.channel.handle("VmService.GetVm", self.flaky(3, vm_message()))
        self.assertEqual(self.host.vms.get("vm-1").name, "vms/vm-1")
        self.assertEqual(len(self.channel.calls), 4)
        self.assertEqual(self.clock.sleeps, [0.1, 0.2, 0.4])
        # One deadline for all attempts: each gets what is left of the default 10 s.
        self.assertEqual([round(call.timeout, 6) for call in self.channel.calls], [10.0, 9.9, 9.7, 9.3])

    def test_retries_end_after_the_attempts(self):
        self.channel.handle("HostService.Health", self.flaky(10, host_pb.HealthResponse()))
        with self.assertRaises(kapsel.Unavailable) as caught:
            self.host.health()
        self.assertEqual(caught.exception.message, "connection refused")
        self.assertEqual(len(self.channel.calls), 4)

    def test_backoff_is_capped(self):
        host = self.make_host(retry=kapsel.RetryPolicy(attempts=6, initial_backoff=1, max_backoff=3, multiplier=2),
                              timeout=None)
        self.channel.handle("HostService.GetHostInfo", self.flaky(5, host_pb.HostInfo(name="h")))
        self.assertEqual(host.info().name, "h")
        self.assertEqual(self.clock.sleeps, [1, 2, 3, 3, 3])
        self.assertEqual({call.timeout for call in self.channel.calls}, {None})

    def test_no_retry_past_the_deadline(self):
        host = self.make_host(timeout=0.25)
        self.channel.handle("VmService.GetVm", self.flaky(10, vm_message()))
        with self.assertRaises(kapsel.Unavailable):
            host.vms.get("vm-1")
        # 0.1 and 0.2 s of backoff would pass the 0.25 s deadline: one retry only.
        self.assertEqual(self.clock.sleeps, [0.1])
        self.assertEqual(len(self.channel.calls), 2)

    def test_non_idempotent_calls_are_not_retried(self):
        for method in ("CreateVm", "StartVm", "StopVm", "DeleteVm"):
            self.channel.handle("VmService." + method, self.flaky(1, vm_message()))
        self.channel.handle("ImageService.DeleteImage", self.flaky(1, image_pb.DeleteImageResponse()))
        vm = kapsel.Vm(self.host, vm_message())
        for call in (lambda: self.host.vms.create(tenant="t", kernel=SHA_A, memory_mib=64), vm.start, vm.stop,
                     vm.delete, lambda: self.host.images.delete(SHA_A)):
            with self.assertRaises(kapsel.Unavailable):
                call()
        self.assertEqual(len(self.channel.calls), 5)
        self.assertEqual(self.clock.sleeps, [])

    def test_other_errors_are_not_retried(self):
        self.channel.handle("VmService.GetVm", self.flaky(1, vm_message(), grpc.StatusCode.INTERNAL))
        with self.assertRaises(kapsel.Internal):
            self.host.vms.get("vm-1")
        self.assertEqual(len(self.channel.calls), 1)

    def test_no_retry_policy(self):
        host = self.make_host(retry=kapsel.NO_RETRY)
        self.channel.handle("VmService.GetVm", self.flaky(1, vm_message()))
        with self.assertRaises(kapsel.Unavailable):
            host.vms.get("vm-1")

    def test_timeouts(self):
        self.channel.handle("VmService.GetVm", lambda request: vm_message())
        self.channel.handle("VmService.WatchVms", lambda request: [])
        host = self.make_host(timeout=3)
        host.vms.get("a")
        host.vms.get("a", timeout=0.5)
        host.vms.get("a", timeout=None)
        host.vms.get("a", timeout=kapsel.DEFAULT)
        list(host.vms.watch())
        list(host.vms.watch(timeout=2))
        self.assertEqual([call.timeout for call in self.channel.calls], [3.0, 0.5, None, 3.0, None, 2.0])

    def test_jitter(self):
        policy = kapsel.RetryPolicy(initial_backoff=1, jitter=0.5)
        self.assertEqual(policy.backoff(1, rand=lambda: 1.0), 0.5)
        self.assertEqual(policy.backoff(2, rand=lambda: 0.0), 2.0)
        for _ in range(50):
            self.assertTrue(0.5 <= policy.backoff(1) <= 1.0)

    def test_deadline_exceeded_is_a_timeout_error(self):
        self.channel.handle("VmService.GetVm", lambda request: rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED,
                                                                         "Deadline Exceeded"))
        with self.assertRaises(TimeoutError):
            self.host.vms.get("vm-1")
        self.assertEqual(len(self.channel.calls), 1)


class UploadTest(HostTestCase):
    def setUp(self):
        super().setUp()
        self.channel.handle("ImageService.GetImage", lambda request: rpc_error(grpc.StatusCode.NOT_FOUND, "nope"))

        def upload(requests):
            header = requests[0].header
            return image_message(header.sha256, header.size_bytes, header.display_name)
        self.channel.handle("ImageService.UploadImage", upload)

    def uploaded_requests(self):
        return self.channel.calls_of("ImageService.UploadImage")[-1].request

    def test_chunks_and_header(self):
        content = os.urandom(2 * MIB + 3)
        progress = []
        image = self.host.images.push(content, name="vmlinuz", progress=lambda sent, total: progress.append(
            (sent, total)))
        sha = hashlib.sha256(content).hexdigest()
        self.assertEqual((image.sha256, image.size_bytes, image.display_name), (sha, len(content), "vmlinuz"))
        requests = self.uploaded_requests()
        self.assertEqual(requests[0].WhichOneof("part"), "header")
        self.assertEqual((requests[0].header.size_bytes, requests[0].header.sha256), (len(content), sha))
        chunks = [request.chunk for request in requests[1:]]
        self.assertTrue(all(request.WhichOneof("part") == "chunk" for request in requests[1:]))
        self.assertEqual([len(chunk) for chunk in chunks], [MIB, MIB, 3])
        self.assertEqual(b"".join(chunks), content)
        self.assertEqual(progress, [(MIB, len(content)), (2 * MIB, len(content)), (len(content), len(content))])
        # The existence check came first, by the content's name.
        self.assertEqual(self.channel.calls[0].request.name, "images/" + sha)

    def test_from_a_path_with_small_chunks(self):
        content = os.urandom(10000)
        with tempfile.NamedTemporaryFile() as file:
            file.write(content)
            file.flush()
            image = self.host.images.push(file.name, chunk_size=4096)
        self.assertEqual(image.sha256, hashlib.sha256(content).hexdigest())
        chunks = [request.chunk for request in self.uploaded_requests()[1:]]
        self.assertEqual([len(chunk) for chunk in chunks], [4096, 4096, 1808])
        self.assertEqual(b"".join(chunks), content)

    def test_an_image_that_exists_is_returned_without_upload(self):
        content = b"kernel"
        sha = hashlib.sha256(content).hexdigest()
        self.channel.handle("ImageService.GetImage", lambda request: image_message(sha, 6, "first name"))
        progress = []
        image = self.host.images.push(content, name="second name", progress=lambda *args: progress.append(args))
        self.assertEqual(image.display_name, "first name")
        self.assertEqual(self.channel.calls_of("ImageService.UploadImage"), [])
        self.assertEqual(progress, [(6, 6)])

    def test_retried_on_unavailable_from_the_start(self):
        attempts = []

        def upload(requests):
            attempts.append(requests)
            if len(attempts) == 1:
                return rpc_error(UNAVAILABLE, "connection reset")
            return image_message(requests[0].header.sha256, requests[0].header.size_bytes)
        self.channel.handle("ImageService.UploadImage", upload)
        self.host.images.push(b"x" * 100)
        self.assertEqual(len(attempts), 2)
        self.assertEqual(attempts[0], attempts[1])
        # The default deadline of an upload is the Host's upload_timeout.
        self.assertEqual(self.channel.calls_of("ImageService.UploadImage")[0].timeout, 600.0)

    def test_a_progress_callback_that_raises_aborts_the_push(self):
        class Stop(Exception):
            pass

        def progress(sent, total):
            raise Stop()
        with self.assertRaises(Stop):
            self.host.images.push(b"x" * 100, progress=progress)
        self.assertEqual(len(self.channel.calls_of("ImageService.UploadImage")), 1)

    def test_refused_uploads_raise(self):
        self.channel.handle("ImageService.UploadImage", lambda requests: rpc_error(
            grpc.StatusCode.RESOURCE_EXHAUSTED, "header.size_bytes: over the limit"))
        with self.assertRaises(kapsel.ResourceExhausted) as caught:
            self.host.images.push(b"y" * 10)
        self.assertEqual(caught.exception.method, "ImageService.UploadImage")


class StreamTest(HostTestCase):
    def event(self, kind, name, state, sequence):
        return vm_pb.VmEvent(type=kind, vm=vm_message(name=name, state=state), sequence=sequence)

    def test_watch_converts_events(self):
        self.channel.handle("VmService.WatchVms", lambda request: [
            self.event(vm_pb.VmEvent.ADDED, "vms/a", vm_pb.CREATED, 1),
            self.event(vm_pb.VmEvent.DELETED, "vms/a", vm_pb.CREATED, 2)])
        events = list(self.host.vms.watch(tenant="acme"))
        self.assertEqual([(event.type, event.vm.name, event.vm.state, event.sequence) for event in events],
                         [(kapsel.EventType.ADDED, "vms/a", kapsel.VmState.CREATED, 1),
                          (kapsel.EventType.DELETED, "vms/a", kapsel.VmState.CREATED, 2)])
        self.assertEqual(self.channel.calls[-1].request.tenant, "acme")
        self.assertIs(events[0].vm.host, self.host)

    def test_watch_errors_are_mapped(self):
        self.channel.handle("VmService.WatchVms", lambda request: [
            self.event(vm_pb.VmEvent.ADDED, "vms/a", vm_pb.CREATED, 1),
            rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "the watcher fell behind")])
        watch = self.host.vms.watch()
        next(watch)
        with self.assertRaises(kapsel.ResourceExhausted):
            next(watch)
        with self.assertRaises(StopIteration):
            next(watch)

    def test_cancel_from_another_thread_ends_the_iteration(self):
        self.channel.handle("VmService.WatchVms", lambda request: [
            self.event(vm_pb.VmEvent.ADDED, "vms/a", vm_pb.CREATED, 1), BLOCK])
        watch = self.host.vms.watch()
        self.assertEqual(next(watch).vm.name, "vms/a")
        # The reader then waits for the next event (or is about to): the cancel ends its iteration either way.
        received = []
        reader = threading.Thread(target=lambda: received.extend(watch))
        reader.start()
        watch.cancel()
        reader.join(5)
        self.assertFalse(reader.is_alive())
        self.assertEqual(received, [])

    def test_console_bytes_and_offsets(self):
        self.channel.handle("VmService.StreamConsole", lambda request: [
            vm_pb.ConsoleChunk(data=b"hello ", offset=100), vm_pb.ConsoleChunk(data=b"world\n", offset=106)])
        vm = kapsel.Vm(self.host, vm_message())
        with vm.console(follow=False, history=True, timeout=5) as console:
            self.assertEqual(list(console), [b"hello ", b"world\n"])
            self.assertEqual((console.first_offset, console.offset), (100, 112))
        request = self.channel.calls[-1].request
        self.assertEqual((request.name, request.skip_history, request.no_follow), ("vms/vm-1", False, True))
        self.assertEqual(self.channel.calls[-1].timeout, 5)
        vm.console(history=False)
        request = self.channel.calls[-1].request
        self.assertEqual((request.skip_history, request.no_follow), (True, False))

    def test_console_of_an_unknown_vm(self):
        self.channel.handle("VmService.StreamConsole", lambda request: rpc_error(grpc.StatusCode.NOT_FOUND,
                                                                                 "name: vms/x not found"))
        with self.assertRaises(kapsel.NotFound):
            list(kapsel.Vm(self.host, vm_message(name="vms/x")).console())


class WaitTest(StreamTest):
    def serve(self, state, events):
        self.channel.handle("VmService.GetVm", lambda request: vm_message(state=state))
        self.channel.handle("VmService.WatchVms", lambda request: events)

    def test_waits_for_the_state_of_its_vm(self):
        self.serve(vm_pb.RUNNING, [
            self.event(vm_pb.VmEvent.ADDED, "vms/vm-1", vm_pb.RUNNING, 1),
            self.event(vm_pb.VmEvent.MODIFIED, "vms/other", vm_pb.STOPPED, 2),
            self.event(vm_pb.VmEvent.MODIFIED, "vms/vm-1", vm_pb.STOPPING, 3),
            self.event(vm_pb.VmEvent.MODIFIED, "vms/vm-1", vm_pb.STOPPED, 4), BLOCK])
        vm = kapsel.Vm(self.host, vm_message())
        self.assertIs(vm.wait(timeout=5), vm)
        self.assertIs(vm.state, kapsel.VmState.STOPPED)
        watch_call = self.channel.calls_of("VmService.WatchVms")[0]
        self.assertEqual((watch_call.request.tenant, watch_call.timeout), ("acme", 5))

    def test_already_there(self):
        self.serve(vm_pb.FAILED, [])
        vm = kapsel.Vm(self.host, vm_message())
        self.assertIs(vm.wait(kapsel.VmState.STOPPED, kapsel.VmState.FAILED).state, kapsel.VmState.FAILED)
        self.assertEqual(self.channel.calls_of("VmService.WatchVms"), [])

    def test_ended_otherwise(self):
        self.serve(vm_pb.CREATED, [self.event(vm_pb.VmEvent.MODIFIED, "vms/vm-1", vm_pb.FAILED, 1)])
        with self.assertRaises(kapsel.FailedPrecondition):
            kapsel.Vm(self.host, vm_message()).wait(kapsel.VmState.RUNNING)

    def test_deleted(self):
        self.serve(vm_pb.STOPPED, [self.event(vm_pb.VmEvent.DELETED, "vms/vm-1", vm_pb.STOPPED, 1)])
        with self.assertRaises(kapsel.NotFound):
            kapsel.Vm(self.host, vm_message()).wait(kapsel.VmState.RUNNING)

    def test_deadline(self):
        self.serve(vm_pb.RUNNING, [rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")])
        with self.assertRaises(kapsel.DeadlineExceeded):
            kapsel.Vm(self.host, vm_message()).wait(timeout=0.1)


def public_point(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)


class AttestTest(HostTestCase):
    """host.vms.attest() against answers signed here with cryptography, as a host signs them: a good one, then one
    broken check at a time."""

    HOST_KEY = ec.generate_private_key(ec.SECP256R1())
    OTHER_KEY = ec.generate_private_key(ec.SECP256R1())

    def evidence_for(self, request, **changes):
        fields = dict(version=1, host_name="h", vm_name=request.name, tenant="acme", state="RUNNING",
                      nonce=request.nonce, time_unix_ms=1700000000123, kernel_sha256=SHA_A, initrd_sha256="",
                      command_line_sha256=SHA_B, disks=[attestation_pb.DiskEvidence(image_sha256=SHA_B,
                                                                                    read_only=True)],
                      vmm_sha256="", vmm_launch_spec="uvmm {}", memory_mib=256, vcpus=1, network_id=3,
                      root_of_trust="software")
        fields.update(changes)
        return attestation_pb.VmEvidence(**fields).SerializeToString()

    def answer(self, evidence, signer=None, presented=None):
        signer = signer or self.HOST_KEY
        return attestation_pb.AttestVmResponse(evidence=evidence,
                                               signature=signer.sign(evidence, ec.ECDSA(hashes.SHA256())),
                                               public_key=public_point(presented or signer))

    def serve(self, answer_for):
        self.channel.handle("AttestationService.AttestVm", answer_for)

    def assert_check_fails(self, check, **kwargs):
        with self.assertRaises(kapsel.AttestationError) as caught:
            self.host.vms.attest("web-1", **kwargs)
        self.assertEqual(caught.exception.check, check, str(caught.exception))
        self.assertEqual(caught.exception.vm_name, "vms/web-1")
        return caught.exception

    def test_good_evidence_verifies(self):
        self.serve(lambda request: self.answer(self.evidence_for(request)))
        evidence = self.host.vms.attest("web-1")
        request = self.channel.calls_of("AttestationService.AttestVm")[0].request
        self.assertEqual(request.name, "vms/web-1")
        self.assertEqual(len(request.nonce), 32)
        self.assertEqual(evidence.nonce, request.nonce)
        self.assertEqual((evidence.vm_name, evidence.tenant, evidence.kernel_sha256, evidence.memory_mib,
                          evidence.network_id, evidence.disks), ("vms/web-1", "acme", SHA_A, 256, 3,
                                                                  (kapsel.DiskEvidence(SHA_B, True),)))
        self.assertEqual(evidence.time, datetime.datetime(2023, 11, 14, 22, 13, 20, 123000,
                                                          tzinfo=datetime.timezone.utc))
        self.assertEqual(evidence.public_key, public_point(self.HOST_KEY))
        self.assertEqual(attestation_pb.VmEvidence.FromString(evidence.signed_evidence).vm_name, "vms/web-1")
        # Each call has a nonce of its own; one given is sent as it is; a pinned key that is the host's passes.
        self.host.vms.attest("web-1")
        self.assertNotEqual(self.channel.calls_of("AttestationService.AttestVm")[1].request.nonce, request.nonce)
        evidence = self.host.vms.attest(kapsel.Vm(self.host, vm_message(name="vms/web-1")), nonce=b"n" * 16,
                                        expected_public_key=public_point(self.HOST_KEY))
        self.assertEqual(evidence.nonce, b"n" * 16)

    def test_a_flipped_byte_breaks_the_signature(self):
        def flipped(request):
            answer = self.answer(self.evidence_for(request))
            evidence = bytearray(answer.evidence)
            evidence[len(evidence) // 2] ^= 0x01
            answer.evidence = bytes(evidence)
            return answer
        self.serve(flipped)
        self.assert_check_fails("signature")

    def test_another_nonce_vm_or_version_is_refused(self):
        self.serve(lambda request: self.answer(self.evidence_for(request, nonce=request.nonce[:-1] + b"X")))
        self.assert_check_fails("nonce")
        self.serve(lambda request: self.answer(self.evidence_for(request, vm_name="vms/web-2")))
        self.assert_check_fails("vm_name")
        self.serve(lambda request: self.answer(self.evidence_for(request, version=2)))
        self.assert_check_fails("version")
        self.serve(lambda request: self.answer(b"\xff\xff\xff"))
        self.assert_check_fails("evidence")

    def test_another_key_is_refused(self):
        self.serve(lambda request: self.answer(self.evidence_for(request), self.OTHER_KEY, self.HOST_KEY))
        self.assert_check_fails("signature")
        # Consistent, but not the pinned key.
        self.serve(lambda request: self.answer(self.evidence_for(request), self.OTHER_KEY))
        self.host.vms.attest("web-1")
        self.assert_check_fails("public_key", expected_public_key=public_point(self.HOST_KEY))

    def test_a_key_that_is_no_p256_point_is_refused(self):
        def with_key(key):
            def answer_for(request):
                answer = self.answer(self.evidence_for(request))
                answer.public_key = key
                return answer
            return answer_for
        point = public_point(self.HOST_KEY)
        for key in (b"", point[:-1], b"\x02" + point[1:], point[:-1] + bytes([point[-1] ^ 1])):
            self.serve(with_key(key))
            self.assert_check_fails("public_key")

    def test_arguments_and_errors(self):
        with self.assertRaises(TypeError):
            self.host.vms.attest("web-1", nonce="not bytes")
        with self.assertRaises(TypeError):
            self.host.vms.attest("web-1", expected_public_key="04ab")
        self.assertNoCalls()
        # An older agent: no such method.
        with self.assertRaises(kapsel.Unimplemented):
            self.host.vms.attest("web-1")
        self.serve(lambda request: rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "nonce: 8 bytes"))
        with self.assertRaises(kapsel.InvalidArgument):
            self.host.vms.attest("web-1", nonce=b"12345678")
        error = kapsel.AttestationError("nonce", "not the one sent", "vms/a")
        self.assertEqual(str(error), "nonce: not the one sent")

    def test_retried_on_unavailable(self):
        answers = [rpc_error(UNAVAILABLE, "down")]
        self.serve(lambda request: answers.pop() if answers else self.answer(self.evidence_for(request)))
        self.assertEqual(self.host.vms.attest("web-1").vm_name, "vms/web-1")
        self.assertEqual(len(self.channel.calls_of("AttestationService.AttestVm")), 2)


class TokenTest(unittest.TestCase):
    """API tokens: where a Host's token comes from, its checks, and that every kind of call sends it."""

    ACME = (("authorization", "Bearer acme-test-token"),)

    def host(self, environment=None, **kwargs):
        """A Host on a fake channel made with os.environ holding only ``environment``."""
        channel = FakeChannel()
        with mock.patch.dict(os.environ, environment or {}, clear=True):
            return kapsel.Host(channel=channel, **kwargs), channel

    def test_every_kind_of_call_sends_the_token(self):
        host, channel = self.host(token="acme-test-token")
        channel.handle("HostService.GetHostInfo", lambda request: host_pb.HostInfo(name="h"))
        channel.handle("VmService.ListVms", lambda request: vm_pb.ListVmsResponse(vms=[vm_message()]))
        channel.handle("VmService.WatchVms", lambda request: [vm_pb.VmEvent(type=vm_pb.VmEvent.ADDED,
                                                                            vm=vm_message())])
        channel.handle("ImageService.GetImage", lambda request: rpc_error(grpc.StatusCode.NOT_FOUND, "nope"))
        channel.handle("ImageService.UploadImage", lambda requests: image_message(requests[0].header.sha256, 6))
        channel.handle("AttestationService.AttestVm", lambda request: rpc_error(grpc.StatusCode.NOT_FOUND, "nope"))
        host.info()
        list(host.vms.list())
        with host.vms.watch() as watch:
            next(watch)
        host.images.push(b"kernel")
        with self.assertRaises(kapsel.NotFound):
            host.vms.attest("web-1")
        self.assertEqual([call.method for call in channel.calls],
                         ["HostService.GetHostInfo", "VmService.ListVms", "VmService.WatchVms",
                          "ImageService.GetImage", "ImageService.UploadImage", "AttestationService.AttestVm"])
        for call in channel.calls:
            self.assertEqual(call.metadata, self.ACME, call.method)

    def test_the_token_comes_from_the_environment_unless_given(self):
        host, channel = self.host({"KAPSEL_TOKEN": "acme-test-token"})
        channel.handle("HostService.Health", lambda request: host_pb.HealthResponse())
        host.health()
        self.assertEqual(channel.calls[-1].metadata, self.ACME)
        host, channel = self.host({"KAPSEL_TOKEN": "env-token"}, token="acme-test-token")
        channel.handle("HostService.Health", lambda request: host_pb.HealthResponse())
        host.health()
        self.assertEqual(channel.calls[-1].metadata, self.ACME)

    def test_no_token_sends_no_metadata(self):
        for environment, token in (({}, None), ({"KAPSEL_TOKEN": ""}, None), ({"KAPSEL_TOKEN": "env-token"}, "")):
            host, channel = self.host(environment, token=token)
            channel.handle("HostService.Health", lambda request: host_pb.HealthResponse())
            host.health()
            self.assertIsNone(channel.calls[-1].metadata, (environment, token))

    def test_malformed_tokens_are_refused_without_showing_them(self):
        self.host(token="k" * 512)
        for token in ("secret with spaces", "secret\t", "secret\n", "s" * 513, "secr\u00e9t", "secret\x7f"):
            with self.assertRaises(ValueError) as caught:
                self.host(token=token)
            self.assertNotIn("secr", str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            self.host({"KAPSEL_TOKEN": "secret with spaces"})
        self.assertEqual(str(caught.exception), "KAPSEL_TOKEN must be 1 to 512 characters of visible ASCII (no spaces)")
        with self.assertRaises(TypeError):
            self.host(token=b"acme-test-token")


class HostLifecycleTest(unittest.TestCase):
    def test_a_given_channel_is_not_closed(self):
        channel = FakeChannel()
        with kapsel.Host(channel=channel):
            pass
        self.assertFalse(channel.closed)

    def test_a_made_channel_is_closed(self):
        host = kapsel.Host("127.0.0.1:1", timeout=1)
        self.assertEqual(repr(host), "Host('127.0.0.1:1')")
        self.assertEqual(host.timeout, 1.0)
        with host:
            pass
        with self.assertRaises(ValueError):  # grpcio: a closed channel refuses calls
            host.info()


def load_fleet():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "fleet.py")
    spec = importlib.util.spec_from_file_location("kapsel_fleet_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FleetPlanTest(unittest.TestCase):
    """The fleet example's pure parts: the hosts file and the placement by free VM memory."""

    @classmethod
    def setUpClass(cls):
        cls.fleet = load_fleet()

    def report(self, name, free_mib, up=True):
        fleet = self.fleet
        info = kapsel.HostInfo.from_proto(host_pb.HostInfo(vm_memory_limit_bytes=free_mib * MIB))
        return fleet.HostReport(fleet.HostEntry(name, name + ":1"), info=info if up else None,
                                error=None if up else "UNAVAILABLE")

    def test_spread_by_free_memory(self):
        reports = [self.report("a", 1024), self.report("b", 512), self.report("down", 9999, up=False)]
        plan, unplaced = self.fleet.plan_spread(reports, 6, 128)
        # a: 1024 896 768 640 512 (tie with b: a, listed first) 384; b: 512.
        self.assertEqual((plan, unplaced), ({"a": 5, "b": 1}, 0))
        plan, unplaced = self.fleet.plan_spread(reports, 20, 256)
        self.assertEqual((plan, unplaced), ({"a": 4, "b": 2}, 14))

    def test_hosts_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
            file.write("# the fleet\n\nweb-1 10.0.0.1:50051   # rack 1\n  web-2\t10.0.0.2:50051\n")
            file.flush()
            entries = self.fleet.read_hosts_file(file.name)
        self.assertEqual([(entry.name, entry.address) for entry in entries],
                         [("web-1", "10.0.0.1:50051"), ("web-2", "10.0.0.2:50051")])
        for text in ("web-1\n", "web-1 a:1 extra\n", "a a:1\na b:1\n", "# nothing\n"):
            with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
                file.write(text)
                file.flush()
                with self.assertRaises(self.fleet.HostsFileError, msg=text):
                    self.fleet.read_hosts_file(file.name)


if __name__ == "__main__":
    unittest.main()
