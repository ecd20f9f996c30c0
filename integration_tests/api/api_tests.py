"""The API test suite of Kapsel's management agent (api/kapsel/v1/*.proto), written once for two targets:

  fake mode (default)  agent/api_host_server: the real services over TCP with a fake backend whose guests are lines
                       on a console (//integration_tests:api_tests_fake_backend runs this).
  --real-vms           the agent inside QEMU, reached through a forwarded port, running real Linux VMs from the
                       kernel and initramfs given by --kernel and --initrd.

Usage: /usr/bin/python3 api_tests.py --address HOST:PORT [--tokens FILE] [--real-vms --kernel FILE --initrd FILE]
                                    [--only NAME...]

With --tokens (lines "<token> <tenant>" or "<token> *", integration_tests/api_system/test_tokens.txt) the host under
test authenticates calls: the suite acts with the operator's token, and the authentication tests check the tenants'.

Python's messages and stubs are generated at test time into a temporary directory with api/generate_python_stubs.sh
(Debian's grpc_tools, which only /usr/bin/python3 has). Prints one line per test, then
"N passed, N failed, N skipped"; exits non-zero if any failed.

Nothing waits by sleeping: streams are read by threads into queues, and every wait has a deadline. Each run uses a
tenant of its own (and VM ids with a random suffix), so that it does not see VMs of earlier runs on a real host.
"""

import argparse
import hashlib
import os
import queue
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import grpc
from cryptography.exceptions import InvalidSignature as InvalidSignatureError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cpio_archive  # noqa: E402 - in integration_tests/
from bearer_token import BearerToken  # noqa: E402 - beside this file
from test_tokens import read_tokens  # noqa: E402 - beside this file

MIB = 1024 * 1024
CHUNK_MAX = MIB
# A channel of its own per client: gRPC otherwise shares one TCP connection between channels to the same target.
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.enable_http_proxy", 0),
    ("grpc.max_receive_message_length", 16 * MIB),
]
CONCURRENT_CLIENTS = 16
SHA256_OF_NOTHING_IN_PARTICULAR = "0" * 64


class CheckFailed(Exception):
    pass


class Skipped(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise CheckFailed(what)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise CheckFailed("%s: %r, expected %r" % (what, actual, expected))


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


class StreamEnd:
    """What a reader thread puts in its queue when the stream is over: error is None for OK."""

    def __init__(self, error):
        self.error = error

    def describe(self):
        if self.error is None:
            return "OK"
        return "%s %r" % (self.error.code(), self.error.details())


class Watcher:
    """A WatchVms stream read by a thread; next() and wait_for() take events with a deadline."""

    def __init__(self, suite, tenant):
        self.suite = suite
        self.queue = queue.Queue()
        self.received = []
        self.call = suite.vms.WatchVms(suite.vm_pb.WatchVmsRequest(tenant=tenant), timeout=suite.stream_timeout)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.call:
                self.queue.put(event)
            self.queue.put(StreamEnd(None))
        except grpc.RpcError as error:
            self.queue.put(StreamEnd(error))

    def next(self, timeout=None):
        timeout = timeout if timeout is not None else self.suite.vm_timeout
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            raise CheckFailed("WatchVms: no event within %g s (after %d events)" % (timeout, len(self.received)))
        if isinstance(item, StreamEnd):
            raise CheckFailed("WatchVms ended: %s" % item.describe())
        self.received.append(item)
        return item

    def wait_for(self, name, state, timeout=None):
        """Takes events until one about name in state (a tuple: any of them); returns it."""
        states = state if isinstance(state, tuple) else (state,)
        deadline = time.monotonic() + (timeout if timeout is not None else self.suite.vm_timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed("WatchVms: %s never reached %s" % (
                    name, " or ".join(self.suite.state_name(one) for one in states)))
            event = self.next(left)
            if event.vm.name == name and event.vm.state in states:
                return event

    def close(self):
        self.call.cancel()
        self.thread.join(10)


class ConsoleReader:
    """A StreamConsole stream read by a thread: its chunks, and how it ended."""

    def __init__(self, suite, name, skip_history=False, no_follow=False):
        self.suite = suite
        self.chunks = []
        self.changed = threading.Condition()
        self.end = None
        request = suite.vm_pb.StreamConsoleRequest(name=name, skip_history=skip_history, no_follow=no_follow)
        self.call = suite.vms.StreamConsole(request, timeout=suite.stream_timeout)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        end = StreamEnd(None)
        try:
            for chunk in self.call:
                with self.changed:
                    self.chunks.append(chunk)
                    self.changed.notify_all()
        except grpc.RpcError as error:
            end = StreamEnd(error)
        with self.changed:
            self.end = end
            self.changed.notify_all()

    def wait_for_bytes(self, count, timeout=None):
        timeout = timeout if timeout is not None else self.suite.vm_timeout
        with self.changed:
            if not self.changed.wait_for(lambda: self.end is not None or len(self.data()) >= count, timeout):
                raise CheckFailed("StreamConsole: fewer than %d bytes within %g s" % (count, timeout))
            expect(len(self.data()) >= count, "StreamConsole ended (%s) after %d bytes, expected at least %d"
                   % (self.end.describe() if self.end else "?", len(self.data()), count))

    def wait_for_text(self, text, timeout=None):
        """Until the console has shown text (bytes)."""
        timeout = timeout if timeout is not None else self.suite.vm_timeout
        with self.changed:
            if not self.changed.wait_for(lambda: self.end is not None or text in self.data(), timeout):
                raise CheckFailed("StreamConsole: no %r within %g s" % (text, timeout))
            expect(text in self.data(), "StreamConsole ended (%s) before %r" % (
                self.end.describe() if self.end else "?", text))

    def wait_for_end(self, timeout=None):
        timeout = timeout if timeout is not None else self.suite.vm_timeout
        with self.changed:
            if not self.changed.wait_for(lambda: self.end is not None, timeout):
                raise CheckFailed("StreamConsole did not end within %g s" % timeout)
        return self.end

    def data(self):
        return b"".join(chunk.data for chunk in self.chunks)

    def check_offsets(self, first_offset):
        """Chunks follow each other without gaps, from first_offset (None: wherever the history starts)."""
        offset = first_offset if first_offset is not None else (self.chunks[0].offset if self.chunks else 0)
        for index, chunk in enumerate(self.chunks):
            expect_equal(chunk.offset, offset, "ConsoleChunk %d's offset" % index)
            expect(len(chunk.data) > 0, "ConsoleChunk %d is empty" % index)
            offset += len(chunk.data)
        return offset

    def close(self):
        self.call.cancel()
        self.thread.join(10)


class Suite:
    def __init__(self, args, stubs):
        self.args = args
        self.fake = not args.real_vms
        (self.host_pb, host_grpc, self.image_pb, image_grpc, self.vm_pb, vm_grpc, self.attestation_pb,
         self.attestation_grpc) = stubs
        self.host_grpc, self.image_grpc, self.vm_grpc = host_grpc, image_grpc, vm_grpc
        self.address = args.address
        scale = args.timeout_scale
        self.call_timeout = 20 * scale
        self.vm_timeout = (20 if self.fake else 240) * scale
        self.stream_timeout = (120 if self.fake else 1200) * scale
        self.operator_token, self.tenant_tokens = read_tokens(args.tokens) if args.tokens else (None, {})
        self.channel = self.new_channel()
        self.host, self.images, self.vms = self.stubs_on(self.channel)
        self.attestation = self.attestation_grpc.AttestationServiceStub(self.channel)
        self.run_id = "%06x" % random.SystemRandom().getrandbits(24)
        self.tenant = "t-" + self.run_id
        self.memory_mib = args.vm_memory_mib
        self.boot_images = None
        self.ids = 0

    def new_channel(self, token="operator"):
        """A channel of its own, connected: gRPC's client retries a connection attempt that fails on its side (seen
        once in some 40 runs with 40 suites at once on two CPUs, the server having seen nothing), and a server that
        does not take connections fails here, at the deadline. Its calls carry token: by default the operator's
        (if the host takes tokens), None for none."""
        channel = grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(channel).result(timeout=self.call_timeout)
        except grpc.FutureTimeoutError:
            channel.close()
            raise CheckFailed("could not connect to %s within %g s" % (self.address, self.call_timeout))
        token = self.operator_token if token == "operator" else token
        return grpc.intercept_channel(channel, BearerToken(token)) if token else channel

    def stubs_on(self, channel):
        return (self.host_grpc.HostServiceStub(channel), self.image_grpc.ImageServiceStub(channel),
                self.vm_grpc.VmServiceStub(channel))

    def state_name(self, state):
        return self.vm_pb.VmState.Name(state)

    def new_id(self, what):
        self.ids += 1
        return "%s-%s-%d" % (what, self.run_id, self.ids)

    # --- Calls. ---

    def call(self, method, request, **kwargs):
        return method(request, timeout=self.call_timeout, **kwargs)

    def expect_error(self, code, fragment, method, request, what=None):
        """Calls method and checks that it fails with code and a message that contains fragment."""
        what = what or "%s(%s)" % (getattr(method, "_method", b"?"), str(request).replace("\n", " ")[:120])
        try:
            method(request, timeout=self.call_timeout)
        except grpc.RpcError as error:
            expect(error.code() == code, "%s: %s %r, expected %s" % (what, error.code(), error.details(), code))
            details = error.details() or ""
            expect(fragment in details, "%s: message %r does not contain %r" % (what, details, fragment))
            return error
        raise CheckFailed("%s succeeded, expected %s" % (what, code))

    def health(self, channel=None):
        host = self.host if channel is None else self.host_grpc.HostServiceStub(channel)
        response = host.Health(self.host_pb.HealthRequest(), timeout=self.call_timeout)
        expect_equal(response.status, self.host_pb.HealthResponse.SERVING, "Health")

    def host_info(self):
        return self.call(self.host.GetHostInfo, self.host_pb.GetHostInfoRequest())

    # --- Images. ---

    def upload_requests(self, content, display_name="", sha256=None, size=None, chunk=CHUNK_MAX):
        header = self.image_pb.UploadImageHeader(size_bytes=len(content) if size is None else size,
                                                 sha256=sha256_hex(content) if sha256 is None else sha256,
                                                 display_name=display_name)
        yield self.image_pb.UploadImageRequest(header=header)
        for offset in range(0, len(content), chunk):
            yield self.image_pb.UploadImageRequest(chunk=content[offset:offset + chunk])

    def upload(self, content, display_name="", chunk=CHUNK_MAX, images=None):
        images = images or self.images
        return images.UploadImage(self.upload_requests(content, display_name, chunk=chunk),
                                  timeout=self.call_timeout)

    def expect_upload_error(self, code, fragment, requests, what):
        try:
            self.images.UploadImage(iter(requests), timeout=self.call_timeout)
        except grpc.RpcError as error:
            expect(error.code() == code, "%s: %s %r, expected %s" % (what, error.code(), error.details(), code))
            expect(fragment in (error.details() or ""),
                   "%s: message %r does not contain %r" % (what, error.details(), fragment))
            return
        raise CheckFailed("%s: the upload succeeded, expected %s" % (what, code))

    def vm_images(self):
        """The kernel, initramfs and a disk the VMs of the tests boot, uploaded once."""
        if self.boot_images is None:
            if self.fake:
                kernel = b"fake bzImage " + os.urandom(2 * MIB + 12345)
                initrd = b"fake initramfs " + os.urandom(MIB // 2)
            else:
                with open(self.args.kernel, "rb") as file:
                    kernel = file.read()
                with open(self.args.initrd, "rb") as file:
                    initrd = file.read()
            disk = os.urandom(MIB)
            self.boot_images = (self.upload(kernel, "vmlinuz-" + self.run_id),
                                self.upload(initrd, "initramfs-" + self.run_id),
                                self.upload(disk, "disk-" + self.run_id))
        return self.boot_images

    # --- VMs. ---

    def command_line(self, fake_words=""):
        """The guests' command line: the fake's behaviour words, or a Linux guest that stays up until stopped."""
        if self.fake:
            return ("fake.test=1 " + fake_words).strip()
        return self.args.command_line

    def vm_message(self, tenant=None, labels=None, memory_mib=None, disks=(), kernel=None, command_line=None,
                   network_id=0):
        kernel_image, initrd_image, _ = self.vm_images()
        spec = self.vm_pb.VmSpec(kernel_image=kernel or kernel_image.name, initrd_image=initrd_image.name,
                                 command_line=self.command_line() if command_line is None else command_line,
                                 memory_mib=memory_mib or self.memory_mib, disks=list(disks), network_id=network_id)
        return self.vm_pb.Vm(tenant=tenant or self.tenant, labels=labels or {}, spec=spec)

    def create_vm(self, vm_id="", **kwargs):
        return self.call(self.vms.CreateVm, self.vm_pb.CreateVmRequest(vm_id=vm_id, vm=self.vm_message(**kwargs)))

    def get_vm(self, name):
        return self.call(self.vms.GetVm, self.vm_pb.GetVmRequest(name=name))

    def delete_vm_when_ended(self, name):
        """Best effort, for a test's cleanup: force-stops the VM if need be and deletes it."""
        try:
            vm = self.get_vm(name)
            if vm.state in (self.vm_pb.RUNNING, self.vm_pb.STOPPING):
                # Watching first: its initial events show the VM as it is, so an end cannot slip by.
                watcher = Watcher(self, vm.tenant)
                try:
                    self.call(self.vms.StopVm, self.vm_pb.StopVmRequest(name=name, force=True))
                    watcher.wait_for(name, (self.vm_pb.STOPPED, self.vm_pb.FAILED))
                finally:
                    watcher.close()
            self.call(self.vms.DeleteVm, self.vm_pb.DeleteVmRequest(name=name))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise

    def list_vms(self, **kwargs):
        return self.call(self.vms.ListVms, self.vm_pb.ListVmsRequest(**kwargs))


# --- The tests. Each takes the suite; Skipped skips, any other exception fails. ---


def test_health(suite):
    suite.health()


# --- Authentication (--tokens): who a token acts for. ---


def test_calls_without_a_valid_token_are_unauthenticated(suite):
    if not suite.operator_token:
        raise Skipped("the host under test takes no tokens (no --tokens)")
    kernel, _, _ = suite.vm_images()
    vm_name = "vms/" + suite.new_id("unauthenticated")
    for token in (None, "not-a-token-of-this-host"):
        channel = suite.new_channel(token)
        try:
            host, images, vms = suite.stubs_on(channel)
            suite.health(channel)
            hp, ip, vp, timeout = suite.host_pb, suite.image_pb, suite.vm_pb, suite.call_timeout
            calls = [
                ("GetHostInfo", lambda: host.GetHostInfo(hp.GetHostInfoRequest(), timeout=timeout)),
                ("ListImages", lambda: images.ListImages(ip.ListImagesRequest(), timeout=timeout)),
                ("GetImage", lambda: images.GetImage(ip.GetImageRequest(name=kernel.name), timeout=timeout)),
                ("DeleteImage", lambda: images.DeleteImage(ip.DeleteImageRequest(name=kernel.name), timeout=timeout)),
                ("UploadImage", lambda: images.UploadImage(suite.upload_requests(b"x"), timeout=timeout)),
                ("CreateVm", lambda: vms.CreateVm(vp.CreateVmRequest(vm=suite.vm_message()), timeout=timeout)),
                ("StartVm", lambda: vms.StartVm(vp.StartVmRequest(name=vm_name), timeout=timeout)),
                ("StopVm", lambda: vms.StopVm(vp.StopVmRequest(name=vm_name), timeout=timeout)),
                ("DeleteVm", lambda: vms.DeleteVm(vp.DeleteVmRequest(name=vm_name), timeout=timeout)),
                ("GetVm", lambda: vms.GetVm(vp.GetVmRequest(name=vm_name), timeout=timeout)),
                ("ListVms", lambda: vms.ListVms(vp.ListVmsRequest(), timeout=timeout)),
                ("WatchVms", lambda: next(vms.WatchVms(vp.WatchVmsRequest(), timeout=timeout))),
                ("StreamConsole", lambda: next(vms.StreamConsole(vp.StreamConsoleRequest(name=vm_name),
                                                                 timeout=timeout))),
                ("AttestVm", lambda: suite.attestation_grpc.AttestationServiceStub(channel).AttestVm(
                    suite.attestation_pb.AttestVmRequest(name=vm_name, nonce=bytes(32)), timeout=timeout)),
            ]
            for name, call in calls:
                what = "%s with %s" % (name, "no token" if token is None else "a token the host does not know")
                try:
                    call()
                except grpc.RpcError as error:
                    expect(error.code() == grpc.StatusCode.UNAUTHENTICATED,
                           "%s: %s %r, expected UNAUTHENTICATED" % (what, error.code(), error.details()))
                    expect((error.details() or "").startswith("authorization: "),
                           "%s: message %r does not name the authorization header" % (what, error.details()))
                    continue
                raise CheckFailed("%s succeeded" % what)
        finally:
            channel.close()
    # The image, the VM name and the store are as before: nothing was done.
    suite.expect_error(grpc.StatusCode.NOT_FOUND, vm_name, suite.vms.GetVm, suite.vm_pb.GetVmRequest(name=vm_name))
    expect_equal(suite.call(suite.images.GetImage, suite.image_pb.GetImageRequest(name=kernel.name)).sha256,
                 kernel.sha256, "the kernel image after DeleteImage without a valid token")


def tenant_channels(suite):
    """Two tenants and channels with their tokens: ((tenant, channel), (tenant, channel))."""
    if len(suite.tenant_tokens) < 2:
        raise Skipped("needs --tokens with two tenants' tokens")
    (a, a_token), (b, b_token) = sorted(suite.tenant_tokens.items())[:2]
    return (a, suite.new_channel(a_token)), (b, suite.new_channel(b_token))


def next_event_not_of(watch, name, what):
    """The watch's next event, which must not be about the VM name."""
    event = next(watch)
    expect(event.vm.name != name, "%s: an event about %s" % (what, name))
    return event


def test_tenant_tokens_see_only_their_own_vms(suite):
    (a, a_channel), (b, b_channel) = tenant_channels(suite)
    pb = suite.vm_pb
    names = []
    try:
        _, _, a_vms = suite.stubs_on(a_channel)
        b_host, b_images, b_vms = suite.stubs_on(b_channel)
        _, _, disk = suite.vm_images()
        with_disk = [pb.Disk(image=disk.name, read_only=True)]
        b_watch = b_vms.WatchVms(pb.WatchVmsRequest(), timeout=suite.stream_timeout)
        a_vm = suite.call(a_vms.CreateVm, pb.CreateVmRequest(vm_id=suite.new_id("tenant-a"),
                                                             vm=suite.vm_message(tenant=a, disks=with_disk)))
        names.append(a_vm.name)
        expect_equal(a_vm.tenant, a, "the VM tenant %s created" % a)
        expect_equal(suite.call(a_vms.GetVm, pb.GetVmRequest(name=a_vm.name)).name, a_vm.name, "GetVm by its tenant")
        # To another tenant the VM is not there: the same answer as for a name nobody has.
        other = "tenant %s on %s's VM" % (b, a)
        for method_name, request in (("GetVm", pb.GetVmRequest(name=a_vm.name)),
                                     ("StartVm", pb.StartVmRequest(name=a_vm.name)),
                                     ("StopVm", pb.StopVmRequest(name=a_vm.name, force=True)),
                                     ("DeleteVm", pb.DeleteVmRequest(name=a_vm.name))):
            suite.expect_error(grpc.StatusCode.NOT_FOUND, "name: %s not found" % a_vm.name,
                               getattr(b_vms, method_name), request, "%s: %s" % (other, method_name))
        try:
            next(b_vms.StreamConsole(pb.StreamConsoleRequest(name=a_vm.name), timeout=suite.call_timeout))
            raise CheckFailed("%s: StreamConsole answered" % other)
        except grpc.RpcError as error:
            expect_equal(error.code(), grpc.StatusCode.NOT_FOUND, "%s: StreamConsole" % other)
        listed = suite.call(b_vms.ListVms, pb.ListVmsRequest()).vms
        expect(all(vm.tenant == b for vm in listed), "ListVms by %s lists %r" % (b, [vm.name for vm in listed]))
        denied = "tenant: this token acts for tenant %s only" % b
        suite.expect_error(grpc.StatusCode.PERMISSION_DENIED, denied, b_vms.ListVms, pb.ListVmsRequest(tenant=a))
        try:
            next(b_vms.WatchVms(pb.WatchVmsRequest(tenant=a), timeout=suite.call_timeout))
            raise CheckFailed("WatchVms of tenant %s by %s answered" % (a, b))
        except grpc.RpcError as error:
            expect_equal(error.code(), grpc.StatusCode.PERMISSION_DENIED, "WatchVms of tenant %s by %s" % (a, b))
        suite.expect_error(grpc.StatusCode.PERMISSION_DENIED, "vm.tenant: this token acts for tenant %s only" % b,
                           b_vms.CreateVm, pb.CreateVmRequest(vm=suite.vm_message(tenant=a)))
        # B's own VM: its watch reports it, and nothing about A's before it.
        b_vm = suite.call(b_vms.CreateVm, pb.CreateVmRequest(vm_id=suite.new_id("tenant-b"),
                                                             vm=suite.vm_message(tenant=b, disks=with_disk)))
        names.append(b_vm.name)
        event = next_event_not_of(b_watch, a_vm.name, "%s's watch" % b)
        while event.vm.name != b_vm.name:
            expect_equal(event.vm.tenant, b, "%s's watch: an event of %s" % (b, event.vm.name))
            event = next_event_not_of(b_watch, a_vm.name, "%s's watch" % b)
        b_watch.cancel()
        # An image both use: each tenant sees only its own VM among its users; the operator sees both.
        request = suite.image_pb.GetImageRequest(name=disk.name)
        b_users = list(suite.call(b_images.GetImage, request).used_by)
        expect_equal(b_users, [b_vm.name], "Image.used_by as %s sees it" % b)
        all_users = set(suite.call(suite.images.GetImage, request).used_by)
        expect({a_vm.name, b_vm.name} <= all_users, "Image.used_by as the operator sees it: %r" % sorted(all_users))
        listed = [vm.name for vm in suite.list_vms().vms]
        expect(a_vm.name in listed and b_vm.name in listed, "the operator's ListVms: %r" % listed)
        # HostInfo counts the caller's tenant's VMs only.
        b_count = len(suite.call(b_vms.ListVms, pb.ListVmsRequest()).vms)
        b_info = suite.call(b_host.GetHostInfo, suite.host_pb.GetHostInfoRequest())
        expect_equal(b_info.vms_total, b_count, "HostInfo.vms_total as %s sees it" % b)
        expect(suite.host_info().vms_total >= b_count + 1, "the operator's HostInfo.vms_total counts every tenant")
    finally:
        for name in names:
            suite.delete_vm_when_ended(name)
        a_channel.close()
        b_channel.close()


def test_tenant_tokens_cannot_change_images(suite):
    (_, a_channel), (b, b_channel) = tenant_channels(suite)
    a_channel.close()
    try:
        _, b_images, _ = suite.stubs_on(b_channel)
        kernel, _, _ = suite.vm_images()
        denied = "needs an operator's token (this one acts for tenant %s)" % b
        try:
            b_images.UploadImage(suite.upload_requests(b"a tenant's own kernel"), timeout=suite.call_timeout)
            raise CheckFailed("UploadImage by tenant %s succeeded" % b)
        except grpc.RpcError as error:
            expect_equal(error.code(), grpc.StatusCode.PERMISSION_DENIED, "UploadImage by tenant %s" % b)
            expect(denied in (error.details() or ""), "UploadImage by %s: %r" % (b, error.details()))
        suite.expect_error(grpc.StatusCode.PERMISSION_DENIED, denied, b_images.DeleteImage,
                           suite.image_pb.DeleteImageRequest(name=kernel.name))
        listed = [image.name for image in suite.call(b_images.ListImages, suite.image_pb.ListImagesRequest()).images]
        expect(kernel.name in listed, "ListImages by tenant %s lacks the host's kernel image" % b)
        expect_equal(suite.call(suite.images.GetImage, suite.image_pb.GetImageRequest(name=kernel.name)).name,
                     kernel.name, "the kernel image after tenant %s's DeleteImage" % b)
    finally:
        b_channel.close()


# --- Attestation: signed evidence of what a VM boots and how it is isolated. ---


def attest(suite, name, nonce, stub=None):
    """AttestVm, its signature checked with the key it names (Debian's python3-cryptography); the parsed evidence and
    the public key."""
    stub = stub or suite.attestation
    response = suite.call(stub.AttestVm, suite.attestation_pb.AttestVmRequest(name=name, nonce=nonce))
    expect_equal(len(response.public_key), 65, "the public key's length")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), response.public_key)
    key.verify(response.signature, response.evidence, ec.ECDSA(hashes.SHA256()))
    tampered = bytearray(response.evidence)
    tampered[len(tampered) // 2] ^= 1
    try:
        key.verify(response.signature, bytes(tampered), ec.ECDSA(hashes.SHA256()))
        raise CheckFailed("a signature verified over changed evidence")
    except InvalidSignatureError:
        pass
    return suite.attestation_pb.VmEvidence.FromString(response.evidence), response.public_key


def launch_spec_capabilities(spec):
    return sorted(line.split()[1] for line in spec.splitlines() if line.startswith("capability "))


def test_attest_vm(suite):
    kernel, initrd, disk = suite.vm_images()
    command_line = suite.command_line()
    vm = suite.create_vm(vm_id=suite.new_id("attested"), command_line=command_line,
                         disks=[suite.vm_pb.Disk(image=disk.name, read_only=True)])
    try:
        nonce = os.urandom(32)
        evidence, key = attest(suite, vm.name, nonce)
        expect_equal(key, suite.host_info().attestation_public_key, "the key HostInfo names")
        expect_equal((evidence.version, evidence.vm_name, evidence.tenant, evidence.state, evidence.nonce),
                     (1, vm.name, suite.tenant, "CREATED", nonce), "the evidence's VM")
        expect_equal((evidence.kernel_sha256, evidence.initrd_sha256),
                     (kernel.sha256, initrd.sha256), "the evidence's images")
        expect_equal([(d.image_sha256, d.read_only) for d in evidence.disks], [(disk.sha256, True)], "its disks")
        expect_equal(evidence.command_line_sha256, sha256_hex(command_line.encode()), "its command line's SHA-256")
        expect_equal((evidence.memory_mib, evidence.vcpus, evidence.network_id), (suite.memory_mib, 1, 0),
                     "its resources")
        expect_equal(evidence.vmm_launch_spec, "", "the launch spec before the VM started")
        expect("no hardware root of trust" in evidence.root_of_trust, "root_of_trust %r" % evidence.root_of_trust)
        suite.call(suite.vms.StartVm, suite.vm_pb.StartVmRequest(name=vm.name))
        second_nonce = os.urandom(16)
        running, second_key = attest(suite, vm.name, second_nonce)
        expect_equal((running.nonce, second_key), (second_nonce, key), "the second evidence's nonce and key")
        expect(running.state in ("RUNNING", "STOPPED"), "the state after StartVm: %s" % running.state)
        expect(running.time_unix_ms >= evidence.time_unix_ms, "the evidence's times go backwards")
        capabilities = launch_spec_capabilities(running.vmm_launch_spec)
        if suite.fake:
            expect_equal((running.vmm_sha256, capabilities), ("", ["log"]), "the fake backend's uvmm")
            expect_equal(list(running.host_components), [], "the fake host's components")
        else:
            # The uvmm holds its log, a factory for its Vm and the scheduler: nothing of the host's besides.
            expect(re.fullmatch(r"[0-9a-f]{64}", running.vmm_sha256), "vmm_sha256 %r" % running.vmm_sha256)
            if suite.args.vmm_image:
                with open(suite.args.vmm_image, "rb") as image:
                    expect_equal(running.vmm_sha256, sha256_hex(image.read()), "the uvmm image's SHA-256")
            if suite.args.boot_archive:
                # The host's components as the agent measured them: files of the boot archive the host booted.
                members = cpio_archive.members(suite.args.boot_archive)
                measured = [(c.name, c.sha256) for c in running.host_components]
                expect("manifest.txt" in dict(measured) and "roottask.elf" in dict(measured),
                       "host components: %r" % [name for name, _ in measured])
                for name, digest in measured:
                    expect(name in members and sha256_hex(members[name]) == digest,
                           "host component %s: %s is not the boot archive's" % (name, digest))
            expect_equal(capabilities, ["factory", "log", "scheduler"], "the uvmm's capabilities")
            expect("--ram %dM" % suite.memory_mib in running.vmm_launch_spec, "the launch spec's guest RAM")
        for size in (15, 65, 0):
            suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "nonce: %d bytes; 16 to 64 are needed" % size,
                               suite.attestation.AttestVm,
                               suite.attestation_pb.AttestVmRequest(name=vm.name, nonce=bytes(size)))
        attest(suite, vm.name, bytes(64))
        missing = "vms/" + suite.new_id("absent")
        suite.expect_error(grpc.StatusCode.NOT_FOUND, "name: %s not found" % missing, suite.attestation.AttestVm,
                           suite.attestation_pb.AttestVmRequest(name=missing, nonce=bytes(16)))
    finally:
        suite.delete_vm_when_ended(vm.name)


def test_tenant_tokens_attest_only_their_own_vms(suite):
    (a, a_channel), (b, b_channel) = tenant_channels(suite)
    names = []
    try:
        a_stub = suite.attestation_grpc.AttestationServiceStub(a_channel)
        b_stub = suite.attestation_grpc.AttestationServiceStub(b_channel)
        vm = suite.create_vm(vm_id=suite.new_id("attested-a"), tenant=a)
        names.append(vm.name)
        evidence, _ = attest(suite, vm.name, bytes(range(16)), stub=a_stub)
        expect_equal(evidence.tenant, a, "the evidence's tenant")
        suite.expect_error(grpc.StatusCode.NOT_FOUND, "name: %s not found" % vm.name, b_stub.AttestVm,
                           suite.attestation_pb.AttestVmRequest(name=vm.name, nonce=bytes(16)),
                           "tenant %s attesting %s's VM" % (b, a))
    finally:
        for name in names:
            suite.delete_vm_when_ended(name)
        a_channel.close()
        b_channel.close()


def test_host_info(suite):
    info = suite.host_info()
    expect(info.name != "", "HostInfo.name is empty")
    expect(info.version != "", "HostInfo.version is empty")
    expect(info.architecture in ("x86_64", "aarch64"), "HostInfo.architecture %r" % info.architecture)
    expect(info.cpus >= 1, "HostInfo.cpus %d" % info.cpus)
    expect(info.memory_total_bytes > 0, "HostInfo.memory_total_bytes is 0")
    expect(info.memory_free_bytes <= info.memory_total_bytes, "more memory free than there is")
    expect(info.max_image_bytes > 0, "HostInfo.max_image_bytes is 0")
    expect(info.vm_memory_limit_bytes > 0, "HostInfo.vm_memory_limit_bytes is 0")
    expect(info.vm_memory_used_bytes <= info.vm_memory_limit_bytes, "more VM memory used than the limit")
    expect(info.vms_running <= info.vms_total, "more VMs running than exist")
    if suite.args.host_name:
        expect_equal(info.name, suite.args.host_name, "HostInfo.name")


def check_image(image, content, display_name):
    sha256 = sha256_hex(content)
    expect_equal(image.name, "images/" + sha256, "Image.name")
    expect_equal(image.sha256, sha256, "Image.sha256")
    expect_equal(image.size_bytes, len(content), "Image.size_bytes")
    expect_equal(image.display_name, display_name, "Image.display_name")
    expect(image.create_time_unix_ms > 1600000000000, "Image.create_time_unix_ms %d" % image.create_time_unix_ms)


def test_image_upload_chunked(suite):
    content = os.urandom(2 * MIB + 777)
    display_name = "chunked-" + suite.run_id
    image = suite.upload(content, display_name, chunk=256 * 1024 + 3)
    check_image(image, content, display_name)
    expect_equal(list(image.used_by), [], "Image.used_by of a new image")
    fetched = suite.call(suite.images.GetImage, suite.image_pb.GetImageRequest(name=image.name))
    expect_equal(fetched, image, "GetImage")
    # ListImages one at a time: every page has one image, the tokens lead through all of them, ours among them.
    names = []
    token = ""
    for _ in range(300):
        page = suite.call(suite.images.ListImages, suite.image_pb.ListImagesRequest(page_size=1, page_token=token))
        expect(len(page.images) <= 1, "a page of %d images for page_size 1" % len(page.images))
        names.extend(listed.name for listed in page.images)
        token = page.next_page_token
        if not token:
            break
    expect(token == "", "ListImages did not end within 300 pages")
    expect(image.name in names, "ListImages does not list %s" % image.name)
    expect_equal(len(names), len(set(names)), "images listed twice")
    everything = suite.call(suite.images.ListImages, suite.image_pb.ListImagesRequest(page_size=500))
    expect_equal([listed.name for listed in everything.images], names, "one page of 500 against pages of 1")


def test_image_upload_two_clients_concurrently(suite):
    contents = [os.urandom(3 * MIB + 1000 * i) for i in range(2)]
    # Both streams have sent their header (and so hold a reservation) before either sends content.
    both_begun = threading.Barrier(2, timeout=suite.call_timeout)
    results = [None, None]

    def requests(content):
        generator = suite.upload_requests(content, "concurrent", chunk=128 * 1024)
        yield next(generator)
        both_begun.wait()
        yield from generator

    def upload(index):
        channel = suite.new_channel()
        try:
            images = suite.image_grpc.ImageServiceStub(channel)
            results[index] = images.UploadImage(requests(contents[index]), timeout=suite.call_timeout)
        except Exception as error:  # noqa: BLE001 - reported below
            results[index] = error
        finally:
            channel.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(suite.call_timeout * 2)
    for index, result in enumerate(results):
        expect(not isinstance(result, Exception) and result is not None, "upload %d: %r" % (index, result))
        check_image(result, contents[index], "concurrent")
        fetched = suite.call(suite.images.GetImage, suite.image_pb.GetImageRequest(name=result.name))
        expect_equal(fetched.size_bytes, len(contents[index]), "GetImage's size after the concurrent upload")


def test_image_upload_sha256_mismatch(suite):
    content = os.urandom(100 * 1024)
    wrong = sha256_hex(content + b"x")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "sha256 mismatch",
                              suite.upload_requests(content, sha256=wrong), "an upload with another SHA-256")
    suite.expect_error(grpc.StatusCode.NOT_FOUND, "not found", suite.images.GetImage,
                       suite.image_pb.GetImageRequest(name="images/" + wrong))


def test_image_upload_size_mismatch(suite):
    content = os.urandom(300 * 1024)
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header.size_bytes",
                              suite.upload_requests(content, size=len(content) + 1), "content shorter than the header")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "chunk:",
                              suite.upload_requests(content, size=len(content) - 1), "content longer than the header")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header.size_bytes",
                              suite.upload_requests(content, size=0), "size_bytes 0")


def test_image_upload_over_the_limit(suite):
    info = suite.host_info()
    content = b"x" * 1024
    suite.expect_upload_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "header.size_bytes",
                              suite.upload_requests(content, size=info.max_image_bytes + 1),
                              "an image one byte over max_image_bytes")


def test_image_upload_header_missing_or_repeated(suite):
    content = os.urandom(4096)
    pb = suite.image_pb
    header = pb.UploadImageRequest(header=pb.UploadImageHeader(size_bytes=len(content), sha256=sha256_hex(content)))
    chunk = pb.UploadImageRequest(chunk=content)
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header", [chunk, header], "a chunk first")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header", [], "no message at all")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header: sent again", [header, chunk, header],
                              "the header twice")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header: sent again", [header, header],
                              "the header twice in a row")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "part", [header, pb.UploadImageRequest()],
                              "a message with neither header nor chunk")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header.sha256",
                              [pb.UploadImageRequest(header=pb.UploadImageHeader(size_bytes=1, sha256="ABC"))],
                              "a SHA-256 that is not hex")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header.display_name",
                              suite.upload_requests(content, display_name="d" * 64), "a display name of 64 bytes")
    # Every refusal above gave its memory back: the same content still uploads.
    check_image(suite.upload(content), content, "")


def test_image_upload_chunk_limits(suite):
    content = os.urandom(CHUNK_MAX + 1)
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "chunk:",
                              suite.upload_requests(content, chunk=CHUNK_MAX + 1), "a chunk of 1 MiB + 1 byte")
    big = os.urandom(2 * CHUNK_MAX)
    suite.expect_upload_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "larger than the limit",
                              suite.upload_requests(big, chunk=2 * CHUNK_MAX), "a message of 2 MiB")
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "chunk:",
                              [suite.image_pb.UploadImageRequest(header=suite.image_pb.UploadImageHeader(
                                  size_bytes=10, sha256=sha256_hex(b"0123456789"))),
                               suite.image_pb.UploadImageRequest(chunk=b"")], "an empty chunk")
    check_image(suite.upload(content, chunk=CHUNK_MAX), content, "")


def test_image_upload_twice_returns_the_existing_image(suite):
    content = os.urandom(64 * 1024 + 5)
    first = suite.upload(content, "first-name")
    second = suite.upload(content, "second-name", chunk=4096)
    expect_equal(second, first, "the second upload's answer")
    expect_equal(second.display_name, "first-name", "display name after a second upload")


def test_image_upload_cancelled_gives_memory_back(suite):
    """Uploads of the largest size begun and cancelled, more of them than the store could hold at once; an upload of
    that size is still accepted afterwards (it then fails on its missing content, not for want of room)."""
    info = suite.host_info()
    size = info.max_image_bytes
    pb = suite.image_pb
    sha256 = sha256_hex(b"never sent")
    for round_number in range(8):
        sent = threading.Event()
        release = threading.Event()

        def requests():
            yield pb.UploadImageRequest(header=pb.UploadImageHeader(size_bytes=size, sha256=sha256))
            yield pb.UploadImageRequest(chunk=b"c" * 1024)
            # gRPC asks for a message once the previous ones went out.
            sent.set()
            release.wait(suite.call_timeout)

        future = suite.images.UploadImage.future(requests(), timeout=suite.call_timeout)
        # Also woken if the server ends the upload first (e.g. a store full of leaked reservations).
        future.add_done_callback(lambda _: sent.set())
        expect(sent.wait(suite.call_timeout), "round %d: the upload's first messages were not sent" % round_number)
        if future.done() and not future.cancelled():
            error = future.exception()
            raise CheckFailed("round %d: the upload ended before it was cancelled: %s" % (
                round_number, "%s %r" % (error.code(), error.details()) if error else "OK"))
        future.cancel()
        release.set()
        expect(future.cancelled() or future.exception() is not None, "round %d: the upload finished" % round_number)
    suite.expect_upload_error(grpc.StatusCode.INVALID_ARGUMENT, "header.size_bytes",
                              [pb.UploadImageRequest(header=pb.UploadImageHeader(size_bytes=size, sha256=sha256)),
                               pb.UploadImageRequest(chunk=b"c" * 1024)],
                              "an upload of max_image_bytes after 8 cancelled ones")


def test_image_errors(suite):
    pb = suite.image_pb
    unknown = "images/" + SHA256_OF_NOTHING_IN_PARTICULAR
    suite.expect_error(grpc.StatusCode.NOT_FOUND, "not found", suite.images.GetImage, pb.GetImageRequest(name=unknown))
    suite.expect_error(grpc.StatusCode.NOT_FOUND, "not found", suite.images.DeleteImage,
                       pb.DeleteImageRequest(name=unknown))
    for name in ("", "images/xyz", "vmlinuz", "images/" + "A" * 64):
        suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "name:", suite.images.GetImage,
                           pb.GetImageRequest(name=name))
        suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "name:", suite.images.DeleteImage,
                           pb.DeleteImageRequest(name=name))
    suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "page_size", suite.images.ListImages,
                       pb.ListImagesRequest(page_size=501))
    suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "page_token", suite.images.ListImages,
                       pb.ListImagesRequest(page_token="not-a-token"))
    # A token of ListVms is not one of ListImages.
    suite.vm_images()
    suite.create_vm(tenant=suite.tenant + "-tok")
    suite.create_vm(tenant=suite.tenant + "-tok")
    vm_page = suite.list_vms(tenant=suite.tenant + "-tok", page_size=1)
    expect(vm_page.next_page_token != "", "ListVms of 2 VMs with page_size 1 has no next page")
    suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "page_token", suite.images.ListImages,
                       pb.ListImagesRequest(page_token=vm_page.next_page_token))
    for vm in suite.list_vms(tenant=suite.tenant + "-tok").vms:
        suite.delete_vm_when_ended(vm.name)


def check_vm(vm, request_vm, state):
    """A Vm answer against what was asked for."""
    expect(vm.name.startswith("vms/"), "Vm.name %r" % vm.name)
    expect_equal(vm.tenant, request_vm.tenant, "Vm.tenant")
    expect_equal(dict(vm.labels), dict(request_vm.labels), "Vm.labels")
    expected_spec = type(request_vm.spec)()
    expected_spec.CopyFrom(request_vm.spec)
    if expected_spec.vcpus == 0:
        expected_spec.vcpus = 1
    expect_equal(vm.spec, expected_spec, "Vm.spec")
    expect_equal(vm.state, state, "Vm.state")
    expect(vm.create_time_unix_ms > 1600000000000, "Vm.create_time_unix_ms %d" % vm.create_time_unix_ms)


def test_vm_lifecycle_of_two_vms(suite):
    pb = suite.vm_pb
    kernel, initrd, disk = suite.vm_images()
    tenant = suite.tenant + "-life"
    host_before = suite.host_info()
    # A VM of another tenant, there before the watch and deleted during it: the watch must not show it.
    bystander = suite.create_vm(tenant=suite.tenant + "-bystander")
    a_id = suite.new_id("a")
    a_request = suite.vm_message(tenant=tenant, labels={"role": "web", "tier": "front", "app.kapsel/x": "1"})
    a = suite.call(suite.vms.CreateVm, pb.CreateVmRequest(vm_id=a_id, vm=a_request))
    expect_equal(a.name, "vms/" + a_id, "the name of a VM with vm_id")
    check_vm(a, a_request, pb.CREATED)
    expect_equal((a.start_time_unix_ms, a.end_time_unix_ms, a.state_reason, list(a.disk_sha256)), (0, 0, "", []),
                 "output fields of a CREATED VM")
    watcher = Watcher(suite, tenant)
    try:
        # The watch begins with an ADDED event per VM that exists: once it is here, the watch is in place.
        first = watcher.next()
        expect_equal((first.type, first.vm.name), (pb.VmEvent.ADDED, a.name), "the watch's first event")
        expect_equal(first.vm, a, "the ADDED event's VM")
        b_request = suite.vm_message(tenant=tenant, labels={"role": "db"},
                                     disks=[pb.Disk(image=disk.name, read_only=True)])
        b = suite.call(suite.vms.CreateVm, pb.CreateVmRequest(vm=b_request))
        expect(b.name.startswith("vms/vm-"), "a generated name: %r" % b.name)
        check_vm(b, b_request, pb.CREATED)

        started = suite.call(suite.vms.StartVm, pb.StartVmRequest(name=a.name))
        expect_equal(started.state, pb.RUNNING, "StartVm's answer")
        expect(started.start_time_unix_ms >= a.create_time_unix_ms, "start before creation")
        started_b = suite.call(suite.vms.StartVm, pb.StartVmRequest(name=b.name))
        expect_equal(started_b.state, pb.RUNNING, "StartVm's answer for the second VM")
        # Three VMs more than before, two of them running (the bystander is only CREATED).
        host_running = suite.host_info()
        expect_equal((host_running.vms_total, host_running.vms_running, host_running.vm_memory_used_bytes),
                     (host_before.vms_total + 3, host_before.vms_running + 2,
                      host_before.vm_memory_used_bytes + 3 * suite.memory_mib * MIB),
                     "HostInfo's vms_total, vms_running and vm_memory_used_bytes with both VMs running")
        suite.call(suite.vms.DeleteVm, pb.DeleteVmRequest(name=bystander.name))
        got = suite.get_vm(a.name)
        expect(got.state in (pb.RUNNING,), "GetVm after start: %s" % suite.state_name(got.state))
        expect_equal(got.start_time_unix_ms, started.start_time_unix_ms, "GetVm's start time")
        check_vm(got, a_request, pb.RUNNING)

        # ListVms: tenant and label filters, creation order, pagination.
        listed = suite.list_vms(tenant=tenant)
        expect_equal([vm.name for vm in listed.vms], [a.name, b.name], "ListVms of the tenant")
        expect_equal(listed.next_page_token, "", "a single page's next_page_token")
        by_label = suite.list_vms(tenant=tenant, label_selector=["role=web"])
        expect_equal([vm.name for vm in by_label.vms], [a.name], "ListVms role=web")
        both_labels = suite.list_vms(tenant=tenant, label_selector=["role=web", "tier=front"])
        expect_equal([vm.name for vm in both_labels.vms], [a.name], "ListVms role=web,tier=front")
        none = suite.list_vms(tenant=tenant, label_selector=["role=web", "tier=back"])
        expect_equal(list(none.vms), [], "ListVms role=web,tier=back")
        page_1 = suite.list_vms(tenant=tenant, page_size=1)
        expect_equal([vm.name for vm in page_1.vms], [a.name], "ListVms page 1")
        expect(page_1.next_page_token != "", "page 1 has no next_page_token")
        page_2 = suite.list_vms(tenant=tenant, page_size=1, page_token=page_1.next_page_token)
        expect_equal([vm.name for vm in page_2.vms], [b.name], "ListVms page 2")
        expect_equal(page_2.next_page_token, "", "page 2's next_page_token")
        suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "page_token", suite.vms.ListVms,
                           pb.ListVmsRequest(tenant=tenant, label_selector=["role=db"],
                                             page_token=page_1.next_page_token),
                           "a page token used with other filters")
        everything = suite.list_vms(page_size=500)
        names = [vm.name for vm in everything.vms]
        expect(a.name in names and b.name in names, "ListVms without filters lacks our VMs")

        # The console of A, history and then live, until A has ended.
        console = ConsoleReader(suite, a.name)
        if suite.fake:
            console.wait_for_bytes(60)
        else:
            # The guest's /init (kapsel.stay=1) powers off on Ctrl-Alt-Del once it says it waits for it.
            console.wait_for_text(b"KAPSEL-GUEST-WAITING")
        stopping = suite.call(suite.vms.StopVm, pb.StopVmRequest(name=a.name, grace_period_ms=60000))
        expect(stopping.state in (pb.STOPPING, pb.STOPPED), "StopVm: %s" % suite.state_name(stopping.state))
        a_end = watcher.wait_for(a.name, pb.STOPPED)
        end = console.wait_for_end()
        expect(end.error is None, "the console stream of a VM that ended: %s" % end.describe())
        console_end = console.check_offsets(None)
        if suite.fake:
            expect_equal(console.chunks[0].offset, 0, "the first console offset")
            expect(console.data().startswith(b"fake guest: booting " + kernel.name.encode()),
                   "the console: %r" % console.data()[:80])
            expect(console.data().endswith(b"reboot: Power down\n"), "the console's end: %r" % console.data()[-40:])
            expect_equal(a_end.vm.state_reason, "guest powered off", "state_reason of a guest that powered off")
        else:
            expect(b"KAPSEL-GUEST-SHUTDOWN: ctrl-alt-del" in console.data(), "the guest saw no Ctrl-Alt-Del")
            expect(a_end.vm.state_reason.startswith("guest powered off"),
                   "state_reason of a guest that powered off: %r" % a_end.vm.state_reason)
        a_final = suite.get_vm(a.name)
        expect_equal(a_final, a_end.vm, "GetVm against the last event")
        expect(a_final.end_time_unix_ms >= a_final.start_time_unix_ms > 0, "end time before start time")
        expect(a_final.state_reason != "", "a STOPPED VM without state_reason")

        # The history again, now that A has ended: the same bytes, with follow or not; nothing with skip_history.
        for no_follow in (True, False):
            again = ConsoleReader(suite, a.name, no_follow=no_follow)
            end = again.wait_for_end()
            expect(end.error is None, "the history of an ended VM: %s" % end.describe())
            expect_equal(again.check_offsets(None), console_end, "where the history ends")
            live = console.data()
            first = again.chunks[0].offset if again.chunks else console_end
            expect_equal(again.data(), live[first - console.chunks[0].offset:], "the history against the stream")
        nothing = ConsoleReader(suite, a.name, skip_history=True, no_follow=True)
        expect(nothing.wait_for_end().error is None and nothing.chunks == [], "skip_history and no_follow")

        # B: a forced stop.
        forced = suite.call(suite.vms.StopVm, pb.StopVmRequest(name=b.name, force=True))
        expect(forced.state in (pb.STOPPING, pb.STOPPED), "forced StopVm: %s" % suite.state_name(forced.state))
        b_end = watcher.wait_for(b.name, pb.STOPPED)
        if suite.fake:
            expect_equal(forced.state, pb.STOPPED, "a forced stop of a fake guest is at once")
            expect_equal(b_end.vm.state_reason, "stopped through the API", "state_reason of a forced stop")
            expect_equal(list(b_end.vm.disk_sha256), [disk.sha256], "disk_sha256 of an unchanged read-only disk")
        else:
            expect_equal(len(b_end.vm.disk_sha256), 1, "disk_sha256 of a VM with one disk")

        suite.call(suite.vms.DeleteVm, pb.DeleteVmRequest(name=a.name))
        suite.call(suite.vms.DeleteVm, pb.DeleteVmRequest(name=b.name))
        deleted_b = None
        while deleted_b is None:
            event = watcher.next()
            if event.type == pb.VmEvent.DELETED and event.vm.name == b.name:
                deleted_b = event
        for name in (a.name, b.name):
            suite.expect_error(grpc.StatusCode.NOT_FOUND, "not found", suite.vms.GetVm, pb.GetVmRequest(name=name))
        expect_equal(list(suite.list_vms(tenant=tenant).vms), [], "ListVms after the deletes")
        host_after = suite.host_info()
        expect_equal((host_after.vms_total, host_after.vms_running, host_after.vm_memory_used_bytes),
                     (host_before.vms_total, host_before.vms_running, host_before.vm_memory_used_bytes),
                     "HostInfo's VM figures after the deletes")
    finally:
        watcher.close()

    # Every event of the two VMs, in order: the watch saw each change once, with increasing sequence numbers.
    seen = [(pb.VmEvent.Type.Name(event.type), event.vm.name, suite.state_name(event.vm.state))
            for event in watcher.received]
    expected = [("ADDED", a.name, "CREATED"), ("ADDED", b.name, "CREATED"),
                ("MODIFIED", a.name, "RUNNING"), ("MODIFIED", b.name, "RUNNING"),
                ("MODIFIED", a.name, "STOPPING"), ("MODIFIED", a.name, "STOPPED"),
                ("MODIFIED", b.name, "STOPPING"), ("MODIFIED", b.name, "STOPPED"),
                ("DELETED", a.name, "STOPPED"), ("DELETED", b.name, "STOPPED")]
    expect_equal(seen, expected, "the watch's events")
    sequences = [event.sequence for event in watcher.received]
    expect(all(later > earlier for earlier, later in zip(sequences[1:], sequences[2:])),
           "sequences do not increase: %r" % sequences)
    expect(sequences[1] > sequences[0], "the first live event's sequence is not after the initial ones")
    if suite.fake:
        # Nothing else happens on the fake host meanwhile: the live events are consecutive, but for the one the
        # bystander's deletion took (after both VMs started), which this watch does not see.
        first = sequences[0] + 1
        expect_equal(sequences[1:], [first, first + 1, first + 2] + list(range(first + 4, first + 10)), "sequences")


def test_console_follows_until_the_guest_powers_off(suite):
    """A guest that ends by itself: the console stream, started before StartVm, ends OK with it."""
    pb = suite.vm_pb
    command_line = suite.command_line("fake.poweroff_after=4") if suite.fake else suite.args.poweroff_command_line
    vm = suite.create_vm(tenant=suite.tenant + "-off", command_line=command_line)
    try:
        console = ConsoleReader(suite, vm.name)
        watcher = Watcher(suite, suite.tenant + "-off")
        try:
            watcher.wait_for(vm.name, pb.CREATED)
            suite.call(suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
            end_event = watcher.wait_for(vm.name, pb.STOPPED)
        finally:
            watcher.close()
        end = console.wait_for_end()
        expect(end.error is None, "the console stream: %s" % end.describe())
        expect_equal(console.check_offsets(0), len(console.data()), "console offsets")
        expect(end_event.vm.state_reason != "", "a STOPPED VM without state_reason")
        if suite.fake:
            expect_equal(end_event.vm.state_reason, "guest powered off", "state_reason")
            expect_equal(console.data().count(b"fake guest: tick"), 3, "tick lines before the power-off")
    finally:
        suite.delete_vm_when_ended(vm.name)


def test_vm_not_found(suite):
    pb = suite.vm_pb
    name = "vms/" + suite.new_id("nope")
    for method, request in ((suite.vms.GetVm, pb.GetVmRequest(name=name)),
                            (suite.vms.StartVm, pb.StartVmRequest(name=name)),
                            (suite.vms.StopVm, pb.StopVmRequest(name=name)),
                            (suite.vms.DeleteVm, pb.DeleteVmRequest(name=name))):
        suite.expect_error(grpc.StatusCode.NOT_FOUND, name + " not found", method, request)
    console = ConsoleReader(suite, name)
    end = console.wait_for_end()
    expect(end.error is not None and end.error.code() == grpc.StatusCode.NOT_FOUND,
           "StreamConsole of an unknown VM: %s" % end.describe())
    unknown_image = "images/" + SHA256_OF_NOTHING_IN_PARTICULAR
    for field, kwargs in (("vm.spec.kernel_image", {"kernel": unknown_image}),
                          ("vm.spec.disks[0].image", {"disks": [pb.Disk(image=unknown_image)]})):
        suite.expect_error(grpc.StatusCode.NOT_FOUND, field, suite.vms.CreateVm,
                           pb.CreateVmRequest(vm=suite.vm_message(**kwargs)), "CreateVm with an unknown image")


def test_vm_invalid_arguments_name_the_field(suite):
    pb = suite.vm_pb
    kernel, _, disk = suite.vm_images()

    def vm_with(change):
        vm = suite.vm_message()
        change(vm)
        return vm

    def set_spec(**fields):
        def change(vm):
            for key, value in fields.items():
                setattr(vm.spec, key, value)
        return change

    cases = [
        ("vm: required", pb.CreateVmRequest(vm_id="x")),
        ("vm_id", pb.CreateVmRequest(vm_id="Bad_Id", vm=suite.vm_message())),
        ("vm_id", pb.CreateVmRequest(vm_id="x" * 33, vm=suite.vm_message())),
        ("vm.tenant", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.ClearField("tenant")))),
        ("vm.tenant", pb.CreateVmRequest(vm=vm_with(lambda vm: setattr(vm, "tenant", "Acme")))),
        ("vm.labels", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.labels.update({"Bad Key": "v"})))),
        ("vm.labels", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.labels.update(
            {"k%d" % i: "v" for i in range(17)})))),
        ("vm.labels[", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.labels.update({"k": "line\nbreak"})))),
        ("vm.spec: required", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.ClearField("spec")))),
        ("vm.spec.kernel_image", pb.CreateVmRequest(vm=vm_with(set_spec(kernel_image="")))),
        ("vm.spec.kernel_image", pb.CreateVmRequest(vm=vm_with(set_spec(kernel_image="vmlinuz")))),
        ("vm.spec.initrd_image", pb.CreateVmRequest(vm=vm_with(set_spec(initrd_image="images/x")))),
        ("vm.spec.command_line", pb.CreateVmRequest(vm=vm_with(set_spec(command_line="x" * 256)))),
        ("vm.spec.command_line", pb.CreateVmRequest(vm=vm_with(set_spec(command_line="tab\there")))),
        ("vm.spec.memory_mib", pb.CreateVmRequest(vm=vm_with(set_spec(memory_mib=0)))),
        ("vm.spec.memory_mib", pb.CreateVmRequest(vm=vm_with(set_spec(memory_mib=32)))),
        ("vm.spec.memory_mib", pb.CreateVmRequest(vm=vm_with(set_spec(memory_mib=4097)))),
        ("vm.spec.vcpus", pb.CreateVmRequest(vm=vm_with(set_spec(vcpus=2)))),
        ("vm.spec.disks", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.spec.disks.extend(
            [pb.Disk(image=disk.name)] * 3)))),
        ("vm.spec.disks[1].image", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.spec.disks.extend(
            [pb.Disk(image=disk.name), pb.Disk(image="disk.img")])))),
        ("vm.spec.network_id", pb.CreateVmRequest(vm=vm_with(set_spec(network_id=4096)))),
        ("vm.name", pb.CreateVmRequest(vm=vm_with(lambda vm: setattr(vm, "name", "vms/mine")))),
        ("vm.state", pb.CreateVmRequest(vm=vm_with(lambda vm: setattr(vm, "state", pb.RUNNING)))),
        ("vm.state_reason", pb.CreateVmRequest(vm=vm_with(lambda vm: setattr(vm, "state_reason", "because")))),
        ("vm.create_time_unix_ms", pb.CreateVmRequest(vm=vm_with(
            lambda vm: setattr(vm, "create_time_unix_ms", 1)))),
        ("vm.end_time_unix_ms", pb.CreateVmRequest(vm=vm_with(lambda vm: setattr(vm, "end_time_unix_ms", 1)))),
        ("vm.disk_sha256", pb.CreateVmRequest(vm=vm_with(lambda vm: vm.disk_sha256.append(kernel.sha256)))),
    ]
    for fragment, request in cases:
        suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, fragment, suite.vms.CreateVm, request,
                           "CreateVm naming %s" % fragment)
    for name in ("", "bogus", "vms/", "vms/Bad", "vms/a/b", "images/" + kernel.sha256):
        for method, request in ((suite.vms.GetVm, pb.GetVmRequest(name=name)),
                                (suite.vms.StartVm, pb.StartVmRequest(name=name)),
                                (suite.vms.StopVm, pb.StopVmRequest(name=name)),
                                (suite.vms.DeleteVm, pb.DeleteVmRequest(name=name))):
            suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "name:", method, request)
    suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "grace_period_ms", suite.vms.StopVm,
                       pb.StopVmRequest(name="vms/x", grace_period_ms=600001))
    for fragment, request in (("tenant", pb.ListVmsRequest(tenant="Bad")),
                              ("label_selector[0]", pb.ListVmsRequest(label_selector=["novalue"])),
                              ("label_selector[1]", pb.ListVmsRequest(label_selector=["a=b", "Bad=x"])),
                              ("page_size", pb.ListVmsRequest(page_size=501)),
                              ("page_token", pb.ListVmsRequest(page_token="garbage"))):
        suite.expect_error(grpc.StatusCode.INVALID_ARGUMENT, fragment, suite.vms.ListVms, request)
    watch = suite.vms.WatchVms(pb.WatchVmsRequest(tenant="Not A Tenant"), timeout=suite.call_timeout)
    try:
        list(watch)
        raise CheckFailed("WatchVms with a bad tenant succeeded")
    except grpc.RpcError as error:
        expect(error.code() == grpc.StatusCode.INVALID_ARGUMENT and "tenant" in error.details(),
               "WatchVms with a bad tenant: %s %r" % (error.code(), error.details()))
    console = ConsoleReader(suite, "console-of-nothing")
    end = console.wait_for_end()
    expect(end.error is not None and end.error.code() == grpc.StatusCode.INVALID_ARGUMENT
           and "name:" in end.error.details(), "StreamConsole with a bad name: %s" % end.describe())


def test_vm_already_exists(suite):
    vm_id = suite.new_id("twice")
    vm = suite.create_vm(vm_id=vm_id)
    try:
        suite.expect_error(grpc.StatusCode.ALREADY_EXISTS, "vm_id", suite.vms.CreateVm,
                           suite.vm_pb.CreateVmRequest(vm_id=vm_id, vm=suite.vm_message()))
    finally:
        suite.delete_vm_when_ended(vm.name)
    # Once deleted, the id is free again.
    again = suite.create_vm(vm_id=vm_id)
    suite.delete_vm_when_ended(again.name)


def test_vm_wrong_state_is_failed_precondition(suite):
    pb = suite.vm_pb
    tenant = suite.tenant + "-state"
    # The fake host gets a kernel of this test's own, to delete at the end; a real guest needs the real one.
    kernel = suite.upload(b"kernel in use " + os.urandom(64 * 1024), "in-use") if suite.fake else suite.vm_images()[0]
    vm = suite.create_vm(tenant=tenant, kernel=kernel.name)
    watcher = Watcher(suite, tenant)
    try:
        watcher.wait_for(vm.name, pb.CREATED)
        fp = grpc.StatusCode.FAILED_PRECONDITION
        suite.expect_error(fp, "is CREATED", suite.vms.StopVm, pb.StopVmRequest(name=vm.name))
        suite.expect_error(fp, "in use by " + vm.name, suite.images.DeleteImage,
                           suite.image_pb.DeleteImageRequest(name=kernel.name))
        image = suite.call(suite.images.GetImage, suite.image_pb.GetImageRequest(name=kernel.name))
        expect(vm.name in image.used_by, "Image.used_by %r lacks %s" % (list(image.used_by), vm.name))
        suite.call(suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        suite.expect_error(fp, "RUNNING", suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        suite.expect_error(fp, "RUNNING", suite.vms.DeleteVm, pb.DeleteVmRequest(name=vm.name))
        suite.call(suite.vms.StopVm, pb.StopVmRequest(name=vm.name, force=True))
        watcher.wait_for(vm.name, pb.STOPPED)
        suite.expect_error(fp, "never started again", suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        suite.expect_error(fp, "ended already", suite.vms.StopVm, pb.StopVmRequest(name=vm.name))
        # The image stays in use until the VM is deleted, however it ended.
        suite.expect_error(fp, "in use", suite.images.DeleteImage, suite.image_pb.DeleteImageRequest(name=kernel.name))
        suite.call(suite.vms.DeleteVm, pb.DeleteVmRequest(name=vm.name))
        if suite.fake:
            suite.call(suite.images.DeleteImage, suite.image_pb.DeleteImageRequest(name=kernel.name))
            suite.expect_error(grpc.StatusCode.NOT_FOUND, "not found", suite.images.GetImage,
                               suite.image_pb.GetImageRequest(name=kernel.name))
    finally:
        watcher.close()
        suite.delete_vm_when_ended(vm.name)


def test_vm_memory_quota_is_resource_exhausted(suite):
    pb = suite.vm_pb
    tenant = suite.tenant + "-quota"
    fillers = []
    try:
        for _ in range(64):
            info = suite.host_info()
            free_mib = (info.vm_memory_limit_bytes - info.vm_memory_used_bytes) // MIB
            wanted = max(64, free_mib + 1)
            if wanted <= 4096:
                suite.expect_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "vm.spec.memory_mib", suite.vms.CreateVm,
                                   pb.CreateVmRequest(vm=suite.vm_message(tenant=tenant, memory_mib=wanted)),
                                   "CreateVm of %d MiB with %d MiB free" % (wanted, free_mib))
                break
            # More than the largest VM is free: take 4 GiB with a VM that is only CREATED, which counts as well.
            fillers.append(suite.create_vm(tenant=tenant, memory_mib=4096).name)
            after = suite.host_info()
            expect_equal(after.vm_memory_used_bytes - info.vm_memory_used_bytes, 4096 * MIB,
                         "vm_memory_used_bytes after a VM of 4096 MiB")
            expect_equal(after.vms_total, info.vms_total + 1, "vms_total after a CreateVm")
        else:
            raise CheckFailed("the host's VM memory never ran out")
    finally:
        for name in fillers:
            suite.delete_vm_when_ended(name)


def test_failing_vm_shows_failed_with_the_reason(suite):
    pb = suite.vm_pb
    tenant = suite.tenant + "-crash"
    # The fake's guest crashes when its kernel's name says so; a real uvmm cannot boot random bytes.
    crash_kernel = suite.upload(b"crash " + os.urandom(256 * 1024), "crash-kernel-" + suite.run_id)
    vm = suite.create_vm(tenant=tenant, kernel=crash_kernel.name)
    watcher = Watcher(suite, tenant)
    try:
        watcher.wait_for(vm.name, pb.CREATED)
        started = suite.call(suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        expect(started.state in (pb.RUNNING, pb.FAILED), "StartVm: %s" % suite.state_name(started.state))
        failed = watcher.wait_for(vm.name, pb.FAILED)
        expect(failed.vm.state_reason != "", "a FAILED VM without a reason")
        got = suite.get_vm(vm.name)
        expect_equal(got.state, pb.FAILED, "GetVm's state")
        expect_equal(got.state_reason, failed.vm.state_reason, "GetVm's reason against WatchVms'")
        expect(got.end_time_unix_ms >= got.start_time_unix_ms > 0, "a FAILED VM's times")
        info = suite.host_info()
        expect(info.vm_memory_used_bytes <= info.vm_memory_limit_bytes, "memory accounting after a failure")
        if suite.fake:
            expect(got.state_reason.startswith("uvmm stopped: page fault at "), "reason %r" % got.state_reason)
            history = ConsoleReader(suite, vm.name, no_follow=True)
            expect(history.wait_for_end().error is None, "the console history of a FAILED VM")
            expect(b"BUG: unable to handle page fault" in history.data(), "the crash in the console")
    finally:
        watcher.close()
        suite.delete_vm_when_ended(vm.name)


def test_start_failure_is_failed_at_once(suite):
    if not suite.fake:
        raise Skipped("the fake backend's fail-start kernel")
    pb = suite.vm_pb
    kernel = suite.upload(b"no bzImage " + os.urandom(1024), "fail-start-" + suite.run_id)
    vm = suite.create_vm(kernel=kernel.name)
    try:
        started = suite.call(suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        expect_equal(started.state, pb.FAILED, "StartVm's answer when the uvmm cannot start")
        expect("not a bzImage" in started.state_reason, "reason %r" % started.state_reason)
    finally:
        suite.delete_vm_when_ended(vm.name)


def test_stop_grace_period_then_force(suite):
    if not suite.fake:
        raise Skipped("the fake backend's guest that ignores the power-off request")
    pb = suite.vm_pb
    tenant = suite.tenant + "-grace"
    slow = suite.create_vm(tenant=tenant, command_line=suite.command_line("fake.ignore_poweroff"))
    forced = suite.create_vm(tenant=tenant, command_line=suite.command_line("fake.ignore_poweroff"))
    watcher = Watcher(suite, tenant)
    try:
        watcher.wait_for(forced.name, pb.CREATED)
        for vm in (slow, forced):
            suite.call(suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        began = time.monotonic()
        stopping = suite.call(suite.vms.StopVm, pb.StopVmRequest(name=slow.name, grace_period_ms=300))
        expect_equal(stopping.state, pb.STOPPING, "StopVm of a guest that does not power off")
        ended = watcher.wait_for(slow.name, pb.STOPPED)
        expect(time.monotonic() - began >= 0.25, "stopped before its grace period ended")
        expect("did not power off within 300 ms" in ended.vm.state_reason, "reason %r" % ended.vm.state_reason)
        # A stop under way: asking again changes nothing; force ends it at once.
        stopping = suite.call(suite.vms.StopVm, pb.StopVmRequest(name=forced.name, grace_period_ms=600000))
        expect_equal(stopping.state, pb.STOPPING, "StopVm with a long grace period")
        again = suite.call(suite.vms.StopVm, pb.StopVmRequest(name=forced.name))
        expect_equal(again.state, pb.STOPPING, "StopVm of a STOPPING VM")
        now = suite.call(suite.vms.StopVm, pb.StopVmRequest(name=forced.name, force=True))
        expect_equal((now.state, now.state_reason), (pb.STOPPED, "stopped through the API"), "force during a stop")
    finally:
        watcher.close()
        suite.delete_vm_when_ended(slow.name)
        suite.delete_vm_when_ended(forced.name)


MANAGEMENT_NETWORK = 4095  # integration_tests/api_system/manifest.txt: the agent's and the uplink's switch network


def test_tenant_networks_real(suite):
    """Two VMs on tenant network 1 ping each other and move 256 KiB over TCP through the switch (the guests' /init
    checks: the same SHA-256 on both sides); one on network 2 of the same tenant, and one of another tenant on its own
    network 1, reach neither and receive nothing; the management network is refused."""
    if suite.fake:
        raise Skipped("real guests and the switch")
    pb = suite.vm_pb
    tenant = suite.tenant + "-net"
    stranger = suite.tenant + "-other"
    base = "console=ttyS0 panic=-1 kapsel.devices=1 "
    plan = [("server", tenant, 1, "kapsel.net=10.0.0.1/24 kapsel.peer=10.0.0.2 kapsel.net_role=server"),
            ("client", tenant, 1, "kapsel.net=10.0.0.2/24 kapsel.peer=10.0.0.1 kapsel.net_role=client"),
            ("outsider", tenant, 2, "kapsel.net=10.0.0.3/24 kapsel.peer=10.0.0.1 kapsel.net_role=outsider"),
            ("stranger", stranger, 1, "kapsel.net=10.0.0.4/24 kapsel.peer=10.0.0.1 kapsel.net_role=outsider")]
    watcher = Watcher(suite, tenant)
    names = []
    try:
        refused = suite.create_vm(tenant=tenant, command_line=base, network_id=MANAGEMENT_NETWORK)
        names.append(refused.name)
        started = suite.call(suite.vms.StartVm, pb.StartVmRequest(name=refused.name))
        failed = watcher.wait_for(refused.name, pb.FAILED) if started.state != pb.FAILED else None
        reason = failed.vm.state_reason if failed else started.state_reason
        expect("management network" in reason, "a VM on the management network: %r" % reason)
        consoles = {}
        for role, owner, network, switches in plan:
            vm = suite.create_vm(tenant=owner, command_line=base + switches, network_id=network)
            names.append(vm.name)
            consoles[role] = ConsoleReader(suite, vm.name)
            suite.call(suite.vms.StartVm, pb.StartVmRequest(name=vm.name))
        for reader in consoles.values():
            expect(reader.wait_for_end().error is None, "a console stream ended with an error")
        text = {role: reader.data().decode("utf-8", "replace") for role, reader in consoles.items()}
        received = re.search(r"KAPSEL-NET-RECEIVED: ([0-9a-f]{64})", text["server"])
        confirmed = re.search(r"KAPSEL-NET-CONFIRMED: ([0-9a-f]{64})", text["client"])
        expect("KAPSEL-NET-PING: ok" in text["client"], "the client's ping through the switch")
        expect(received and confirmed and received.group(1) == confirmed.group(1),
               "256 KiB over TCP between the VMs of network 1: %s / %s" % (received, confirmed))
        for role, what in (("outsider", "network 2"), ("stranger", "another tenant's network 1")):
            expect("KAPSEL-NET-ISOLATED: 10.0.0.1 unreachable" in text[role], "%s reached network 1" % what)
            delivered = re.search(r"net: \d+ frames sent, (\d+) received", text[role])
            expect(delivered and delivered.group(1) == "0", "frames delivered to %s: %s" %
                   (what, delivered.group(0) if delivered else "no count"))
    finally:
        watcher.close()
        for name in names:
            suite.delete_vm_when_ended(name)


def test_concurrent_clients(suite):
    tenant = suite.tenant + "-many"
    vms = [suite.create_vm(tenant=tenant, labels={"n": str(i)}) for i in range(3)]
    names = [vm.name for vm in vms]
    start = threading.Barrier(CONCURRENT_CLIENTS, timeout=suite.call_timeout)
    failures = []

    def client(index):
        channel = suite.new_channel()
        try:
            _, _, stub = suite.stubs_on(channel)
            start.wait()
            for round_number in range(15):
                vm = stub.GetVm(suite.vm_pb.GetVmRequest(name=names[(index + round_number) % 3]),
                                timeout=suite.call_timeout)
                expect_equal(vm, vms[(index + round_number) % 3], "client %d: GetVm" % index)
                listed = stub.ListVms(suite.vm_pb.ListVmsRequest(tenant=tenant), timeout=suite.call_timeout)
                expect_equal([listed_vm.name for listed_vm in listed.vms], names, "client %d: ListVms" % index)
                one = stub.ListVms(suite.vm_pb.ListVmsRequest(tenant=tenant, label_selector=["n=%d" % (index % 3)]),
                                   timeout=suite.call_timeout)
                expect_equal([listed_vm.name for listed_vm in one.vms], [names[index % 3]], "client %d: n=" % index)
        except Exception:  # noqa: BLE001 - reported with its traceback
            failures.append(traceback.format_exc())
        finally:
            channel.close()

    try:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CONCURRENT_CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(suite.call_timeout * 4)
        expect(not any(thread.is_alive() for thread in threads), "a client did not finish")
        expect(not failures, "".join(failures))
    finally:
        for name in names:
            suite.delete_vm_when_ended(name)


# --- Malformed input. Each case is followed by a Health call on a new connection. ---

FRAME_DATA, FRAME_HEADERS, FRAME_RST_STREAM, FRAME_SETTINGS = 0, 1, 3, 4
FRAME_PING, FRAME_GOAWAY, FRAME_WINDOW_UPDATE = 6, 7, 8
FLAG_END_STREAM, FLAG_ACK, FLAG_END_HEADERS = 0x1, 0x1, 0x4
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(frame_type, flags, stream_id, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([frame_type, flags]) + struct.pack(">I", stream_id) + payload


def hpack_integer(value, prefix_bits, first_byte):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out = [first_byte | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    """A literal header field without indexing, new name, no Huffman coding (RFC 7541, 6.2.2)."""
    name, value = name.encode(), value.encode()
    return (b"\x00" + hpack_integer(len(name), 7, 0) + name + hpack_integer(len(value), 7, 0) + value)


def request_headers(suite, path):
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "kapsel"),
              ("content-type", "application/grpc"), ("te", "trailers")]
    if suite.operator_token:
        fields.append(("authorization", "Bearer " + suite.operator_token))
    return b"".join(hpack_literal(name, value) for name, value in fields)


def grpc_message(payload, claimed_length=None):
    return b"\x00" + struct.pack(">I", len(payload) if claimed_length is None else claimed_length) + payload


class RawConnection:
    """A TCP connection to the server that speaks HTTP/2 by hand."""

    def __init__(self, suite):
        host, port = suite.address.rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)), timeout=suite.call_timeout)
        self.timeout = suite.call_timeout
        self.buffer = b""
        self.closed = False

    def send(self, data):
        self.socket.sendall(data)

    def start(self):
        self.send(PREFACE + frame(FRAME_SETTINGS, 0, 0, b""))

    def _read_more(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise CheckFailed("the server said nothing more within %g s" % self.timeout)
        self.socket.settimeout(left)
        try:
            data = self.socket.recv(65536)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            raise CheckFailed("the server said nothing more within %g s" % self.timeout)
        if not data:
            self.closed = True
        self.buffer += data

    def next_frame(self, deadline):
        """The next frame (type, flags, stream, payload), answering SETTINGS and PING; None once the server closed."""
        while True:
            if len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) >= 9 + length:
                    frame_type, flags = self.buffer[3], self.buffer[4]
                    stream_id = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
                    payload = self.buffer[9:9 + length]
                    self.buffer = self.buffer[9 + length:]
                    if frame_type == FRAME_SETTINGS and not flags & FLAG_ACK:
                        self.send(frame(FRAME_SETTINGS, FLAG_ACK, 0, b""))
                    if frame_type == FRAME_PING and not flags & FLAG_ACK:
                        self.send(frame(FRAME_PING, FLAG_ACK, 0, payload))
                    return frame_type, flags, stream_id, payload
            if self.closed:
                return None
            self._read_more(deadline)

    def wait_for_close(self):
        """Reads until the server closes the connection (a GOAWAY may come first); the frames it sent."""
        deadline = time.monotonic() + self.timeout
        frames = []
        while True:
            try:
                received = self.next_frame(deadline)
            except (BrokenPipeError, ConnectionResetError):
                return frames
            if received is None:
                return frames
            frames.append(received)

    def wait_for_stream_end(self, stream_id):
        """Reads until stream_id ends (END_STREAM or RST_STREAM); its frames."""
        deadline = time.monotonic() + self.timeout
        frames = []
        while True:
            received = self.next_frame(deadline)
            expect(received is not None, "the connection closed before stream %d ended" % stream_id)
            frame_type, flags, frame_stream, _ = received
            if frame_stream != stream_id:
                continue
            frames.append(received)
            if frame_type == FRAME_RST_STREAM or (frame_type in (FRAME_HEADERS, FRAME_DATA)
                                                  and flags & FLAG_END_STREAM):
                return frames

    def close(self):
        self.socket.close()


def expect_trailers_only(frames, what):
    """A refused call: its first frame on the stream is HEADERS with END_STREAM (a trailers-only response)."""
    expect(frames and frames[0][0] == FRAME_HEADERS and frames[0][1] & FLAG_END_STREAM,
           "%s: the answer is not trailers-only: %r" % (what, [(f[0], f[1]) for f in frames]))


def check_health_on(suite, connection, stream_id):
    """A Health call on the raw connection itself: it still serves."""
    connection.send(frame(FRAME_HEADERS, FLAG_END_HEADERS, stream_id, request_headers(
        suite, "/kapsel.v1.HostService/Health")) + frame(FRAME_DATA, FLAG_END_STREAM, stream_id, grpc_message(b"")))
    frames = connection.wait_for_stream_end(stream_id)
    data = b"".join(payload for frame_type, _, _, payload in frames if frame_type == FRAME_DATA)
    expect(len(data) >= 5, "Health on the same connection: no message (frames %r)" % [(f[0], f[1]) for f in frames])
    response = suite.host_pb.HealthResponse.FromString(data[5:5 + int.from_bytes(data[1:5], "big")])
    expect_equal(response.status, suite.host_pb.HealthResponse.SERVING, "Health on the same connection")


def health_afterwards(test):
    """Runs a malformed-input case, then checks that the server answers Health on a new connection."""
    def run(suite):
        test(suite)
        channel = suite.new_channel()
        try:
            suite.health(channel)
        finally:
            channel.close()
    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


@health_afterwards
def test_raw_garbage_after_the_preface(suite):
    connection = RawConnection(suite)
    try:
        connection.start()
        connection.send(b"\xff" * 9 + b"this is not HTTP/2 " * 20)
        frames = connection.wait_for_close()
        expect(any(f[0] == FRAME_GOAWAY for f in frames), "no GOAWAY for garbage frames: %r" % frames[-3:])
    finally:
        connection.close()


@health_afterwards
def test_raw_no_preface(suite):
    connection = RawConnection(suite)
    try:
        connection.send(b"GET / HTTP/1.1\r\nHost: kapsel\r\n\r\n")
        connection.wait_for_close()
    finally:
        connection.close()


@health_afterwards
def test_raw_random_bytes(suite):
    generator = random.Random(suite.args.seed)
    for with_preface in (False, True):
        connection = RawConnection(suite)
        try:
            if with_preface:
                connection.start()
            connection.send(bytes(generator.getrandbits(8) for _ in range(4096)))
            connection.wait_for_close()
        finally:
            connection.close()


@health_afterwards
def test_raw_truncated_frames(suite):
    # A HEADERS frame that announces 200 bytes and brings 20, then the client goes away.
    connection = RawConnection(suite)
    try:
        connection.start()
        headers = frame(FRAME_HEADERS, FLAG_END_HEADERS, 1,
                        request_headers(suite, "/kapsel.v1.HostService/Health"))
        connection.send(struct.pack(">I", 200)[1:] + headers[3:9] + headers[9:29])
        connection.socket.shutdown(socket.SHUT_WR)
        connection.wait_for_close()
    finally:
        connection.close()
    # A gRPC message cut in the middle of its payload, then END_STREAM: the call is refused, the connection serves.
    connection = RawConnection(suite)
    try:
        connection.start()
        connection.send(frame(FRAME_HEADERS, FLAG_END_HEADERS, 1,
                              request_headers(suite, "/kapsel.v1.VmService/GetVm")))
        connection.send(frame(FRAME_DATA, FLAG_END_STREAM, 1, grpc_message(b"\x0a\x08vms/vm-1")[:9]))
        expect_trailers_only(connection.wait_for_stream_end(1), "a message cut short")
        check_health_on(suite, connection, 3)
    finally:
        connection.close()


@health_afterwards
def test_raw_length_prefix_over_the_limit(suite):
    connection = RawConnection(suite)
    try:
        connection.start()
        connection.send(frame(FRAME_HEADERS, FLAG_END_HEADERS, 1,
                              request_headers(suite, "/kapsel.v1.VmService/GetVm")))
        connection.send(frame(FRAME_DATA, 0, 1, grpc_message(b"\x0a\x02vm", claimed_length=0xFFFFFFF0)))
        expect_trailers_only(connection.wait_for_stream_end(1), "a message prefix of 4 GiB")
        check_health_on(suite, connection, 3)
    finally:
        connection.close()


@health_afterwards
def test_raw_protobuf_that_does_not_parse(suite):
    connection = RawConnection(suite)
    try:
        connection.start()
        connection.send(frame(FRAME_HEADERS, FLAG_END_HEADERS, 1,
                              request_headers(suite, "/kapsel.v1.VmService/GetVm")))
        # Field 1, length 255, then one byte.
        connection.send(frame(FRAME_DATA, FLAG_END_STREAM, 1, grpc_message(b"\x0a\xff\x01v")))
        expect_trailers_only(connection.wait_for_stream_end(1), "a protobuf that does not parse")
        check_health_on(suite, connection, 3)
    finally:
        connection.close()


@health_afterwards
def test_raw_half_close_without_a_message(suite):
    connection = RawConnection(suite)
    try:
        connection.start()
        for stream_id, path in ((1, "/kapsel.v1.VmService/GetVm"), (3, "/kapsel.v1.ImageService/UploadImage"),
                                (5, "/kapsel.v1.VmService/WatchVms")):
            connection.send(frame(FRAME_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, stream_id,
                                  request_headers(suite, path)))
            expect_trailers_only(connection.wait_for_stream_end(stream_id), "%s without a message" % path)
        check_health_on(suite, connection, 7)
    finally:
        connection.close()


@health_afterwards
def test_grpc_malformed_requests_answer_with_status(suite):
    """The same refusals through grpcio, whose status and message can be read."""
    def raw_call(path, payload):
        return suite.channel.unary_unary(path, request_serializer=None, response_deserializer=None)(
            payload, timeout=suite.call_timeout)

    for path, name in (("/kapsel.v1.VmService/GetVm", "kapsel.v1.GetVmRequest"),
                       ("/kapsel.v1.VmService/CreateVm", "kapsel.v1.CreateVmRequest"),
                       ("/kapsel.v1.ImageService/ListImages", "kapsel.v1.ListImagesRequest"),
                       ("/kapsel.v1.HostService/Health", "kapsel.v1.HealthRequest")):
        try:
            raw_call(path, b"\x0a\xff\x01v")
            raise CheckFailed("%s accepted a protobuf that does not parse" % path)
        except grpc.RpcError as error:
            expect_equal((error.code(), error.details()),
                         (grpc.StatusCode.INVALID_ARGUMENT, "request: not a valid " + name), path)
    try:
        raw_call("/kapsel.v1.VmService/GetVm", b"\x0a" + b"\xff\xff\x07" + b"v" * (128 * 1024))
        raise CheckFailed("a GetVm request of 128 KiB was accepted")
    except grpc.RpcError as error:
        expect(error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than the limit" in error.details(),
               "a request over the limit: %s %r" % (error.code(), error.details()))
    # Random bytes to every unary method: whatever they parse as, the answer is a status, never a broken server.
    generator = random.Random(suite.args.seed)
    paths = ["/kapsel.v1.VmService/" + m for m in ("GetVm", "StartVm", "StopVm", "DeleteVm", "ListVms")]
    paths += ["/kapsel.v1.ImageService/" + m for m in ("GetImage", "ListImages", "DeleteImage")]
    paths += ["/kapsel.v1.HostService/GetHostInfo", "/kapsel.v1.HostService/Health"]
    for round_number in range(40):
        path = paths[round_number % len(paths)]
        payload = bytes(generator.getrandbits(8) for _ in range(generator.randint(1, 200)))
        try:
            raw_call(path, payload)
        except grpc.RpcError as error:
            expect(error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND),
                   "%s with random bytes %s: %s %r" % (path, payload.hex(), error.code(), error.details()))


TESTS = [
    test_health,
    test_calls_without_a_valid_token_are_unauthenticated,
    test_tenant_tokens_see_only_their_own_vms,
    test_tenant_tokens_cannot_change_images,
    test_attest_vm,
    test_tenant_tokens_attest_only_their_own_vms,
    test_host_info,
    test_image_upload_chunked,
    test_image_upload_two_clients_concurrently,
    test_image_upload_sha256_mismatch,
    test_image_upload_size_mismatch,
    test_image_upload_over_the_limit,
    test_image_upload_header_missing_or_repeated,
    test_image_upload_chunk_limits,
    test_image_upload_twice_returns_the_existing_image,
    test_image_upload_cancelled_gives_memory_back,
    test_image_errors,
    test_vm_lifecycle_of_two_vms,
    test_console_follows_until_the_guest_powers_off,
    test_vm_not_found,
    test_vm_invalid_arguments_name_the_field,
    test_vm_already_exists,
    test_vm_wrong_state_is_failed_precondition,
    test_vm_memory_quota_is_resource_exhausted,
    test_failing_vm_shows_failed_with_the_reason,
    test_start_failure_is_failed_at_once,
    test_stop_grace_period_then_force,
    test_tenant_networks_real,
    test_concurrent_clients,
    test_raw_garbage_after_the_preface,
    test_raw_no_preface,
    test_raw_random_bytes,
    test_raw_truncated_frames,
    test_raw_length_prefix_over_the_limit,
    test_raw_protobuf_that_does_not_parse,
    test_raw_half_close_without_a_message,
    test_grpc_malformed_requests_answer_with_status,
]


def generate_stubs(script, directory):
    result = subprocess.run([script, directory], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (script, result.stdout))
    sys.path.insert(0, directory)
    from kapsel.v1 import host_service_pb2, host_service_pb2_grpc  # noqa: E402 - generated just now
    from kapsel.v1 import image_service_pb2, image_service_pb2_grpc  # noqa: E402
    from kapsel.v1 import vm_service_pb2, vm_service_pb2_grpc  # noqa: E402
    from kapsel.v1 import attestation_service_pb2, attestation_service_pb2_grpc  # noqa: E402
    return (host_service_pb2, host_service_pb2_grpc, image_service_pb2, image_service_pb2_grpc, vm_service_pb2,
            vm_service_pb2_grpc, attestation_service_pb2, attestation_service_pb2_grpc)


def parse_arguments():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", required=True, help="the API's host:port")
    parser.add_argument("--boot-archive", help="with --real-vms: the host's boot archive (its files' SHA-256)")
    parser.add_argument("--vmm-image", help="with --real-vms: the uvmm ELF the host runs (its SHA-256 in evidence)")
    parser.add_argument("--tokens", help="the host's test tokens (<token> <tenant or *> lines): act as the operator")
    parser.add_argument("--real-vms", action="store_true", help="the agent runs real Linux VMs (default: fake)")
    parser.add_argument("--kernel", help="with --real-vms: the guest kernel (bzImage) to upload")
    parser.add_argument("--initrd", help="with --real-vms: the guest initramfs to upload")
    parser.add_argument("--command-line", default="console=ttyS0 kapsel.stay=1",
                        help="with --real-vms: the command line of guests that stay up until stopped")
    parser.add_argument("--poweroff-command-line", default="console=ttyS0",
                        help="with --real-vms: the command line of a guest that powers off by itself")
    parser.add_argument("--vm-memory-mib", type=int, default=128, help="guest RAM of the tests' VMs")
    parser.add_argument("--host-name", help="the HostInfo.name to expect")
    parser.add_argument("--stubs-script", default=os.path.join(here, "..", "..", "api", "generate_python_stubs.sh"))
    parser.add_argument("--timeout-scale", type=float, default=1.0, help="multiplies every time limit")
    parser.add_argument("--seed", type=int, default=7, help="of the random bytes of the malformed-input tests")
    parser.add_argument("--only", nargs="+", metavar="TEST", help="run only these tests (names without test_)")
    args = parser.parse_args()
    if args.real_vms and not (args.kernel and args.initrd):
        parser.error("--real-vms needs --kernel and --initrd")
    return args


def main():
    args = parse_arguments()
    tests = TESTS
    if args.only:
        known = {test.__name__[len("test_"):]: test for test in TESTS}
        unknown = [name for name in args.only if name not in known]
        if unknown:
            raise SystemExit("unknown tests: %s" % ", ".join(unknown))
        tests = [known[name] for name in args.only]
    with tempfile.TemporaryDirectory(prefix="kapsel-api-stubs-") as stubs_directory:
        suite = Suite(args, generate_stubs(args.stubs_script, stubs_directory))
        print("API tests against %s (%s), tenant %s" % (args.address, "real VMs" if args.real_vms else "fake backend",
                                                        suite.tenant), flush=True)
        passed = failed = skipped = 0
        for test in tests:
            name = test.__name__[len("test_"):]
            began = time.monotonic()
            try:
                test(suite)
                passed += 1
                print("[  OK  ] %s (%.2f s)" % (name, time.monotonic() - began), flush=True)
            except Skipped as reason:
                skipped += 1
                print("[ SKIP ] %s: %s" % (name, reason), flush=True)
            except Exception as error:  # noqa: BLE001 - every failure is reported, then counted
                failed += 1
                detail = str(error) if isinstance(error, CheckFailed) else traceback.format_exc().rstrip()
                print("[ FAIL ] %s (%.2f s): %s" % (name, time.monotonic() - began, detail), flush=True)
        suite.channel.close()
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
