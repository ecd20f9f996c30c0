"""The SDK's client: ``Host``, its ``vms`` and ``images`` collections, ``Vm`` handles and the two streams.

    host = kapsel.Host("127.0.0.1:50051")
    kernel = host.images.push("vmlinuz", name="vmlinuz-6.1")
    vm = host.vms.create(tenant="acme", kernel=kernel, memory_mib=256, cmdline="console=ttyS0")
    vm.start()
    for data in vm.console():
        ...

A Host is safe to use from several threads at once (gRPC channels are); a Vm handle is a snapshot that its methods
update, and is best kept to one thread.
"""

import hashlib
import os
import re
from collections.abc import Mapping

import grpc

from . import _proto, attestation, errors
from ._calls import DEFAULT, Invoker, RetryPolicy, check_timeout
from .models import MIB, Disk, EventType, HealthStatus, HostInfo, Image, VmEvent, VmSpec, VmState, time_from_ms

__all__ = ["Host", "Vm", "VmCollection", "ImageCollection", "Watch", "Console", "CHUNK_BYTES",
           "DEFAULT_CHANNEL_OPTIONS"]

# The most content an UploadImage message may carry.
CHUNK_BYTES = MIB
UINT32_MAX = 2 ** 32 - 1
# Stop's grace period: what StopVmRequest.grace_period_ms takes, in seconds.
MAX_GRACE_SECONDS = 600.0
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

# The channel's options unless the Host is given others: console chunks and pages of 500 VMs fit in a message, and
# the management API is reached directly, not through an http_proxy of the environment (a user who wants the proxy
# passes options={"grpc.enable_http_proxy": 1}).
DEFAULT_CHANNEL_OPTIONS = {
    "grpc.max_receive_message_length": 16 * MIB,
    "grpc.enable_http_proxy": 0,
}


# The nonce attest() makes when given none: within the 16 to 64 bytes the host takes.
ATTEST_NONCE_BYTES = 32

# The longest API token, in bytes; a token is visible ASCII, 0x21 to 0x7e (as the C SDK's kapsel_token_valid).
MAX_TOKEN_BYTES = 512
_TOKEN = re.compile(r"[\x21-\x7e]{1,%d}" % MAX_TOKEN_BYTES)


# --- Arguments. ---

def _auth_metadata(token):
    """The metadata every call sends: the token's authorization header; None without a token (token None: the
    environment's KAPSEL_TOKEN, where empty means none)."""
    source = "token"
    if token is None:
        source, token = "KAPSEL_TOKEN", os.environ.get("KAPSEL_TOKEN", "")
    if not isinstance(token, str):
        raise TypeError("token must be a str, not %s" % type(token).__name__)
    if not token:
        return None
    # The token itself stays out of the message: errors end up in logs.
    if not _TOKEN.fullmatch(token):
        raise ValueError("%s must be 1 to %d characters of visible ASCII (no spaces)" % (source, MAX_TOKEN_BYTES))
    return (("authorization", "Bearer " + token),)


def _check_str(value, what, allow_none=False):
    if value is None and allow_none:
        return ""
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %r" % (what, value))
    return value


def _check_uint32(value, what, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %r" % (what, value))
    if not minimum <= value <= UINT32_MAX:
        raise ValueError("%s must be %d to %d, not %d" % (what, minimum, UINT32_MAX, value))
    return value


def _image_name(image, what):
    """An image's name from an Image, "images/{sha256}" or a bare SHA-256 (other strings go to the host as they are,
    which then names the field it refuses)."""
    if isinstance(image, Image):
        return image.name
    if isinstance(image, str):
        return "images/" + image if _SHA256_HEX.match(image) else image
    raise TypeError("%s must be a kapsel.Image or an image name (\"images/{sha256}\"), not %r" % (what, image))


def _vm_name(vm):
    """A VM's name from a Vm, "vms/{id}" or the id alone."""
    if isinstance(vm, Vm):
        return vm.name
    if isinstance(vm, str):
        return vm if vm.startswith("vms/") else "vms/" + vm
    raise TypeError("a VM must be given as a kapsel.Vm, its name (\"vms/{id}\") or its id, not %r" % (vm,))


def _labels(labels):
    """A dict of labels from a mapping of str to str (None: no labels)."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise TypeError("labels must be a mapping of str to str, not %r" % (labels,))
    for key, value in labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("labels must map str to str, not %r to %r" % (key, value))
    return dict(labels)


def _label_selector(labels):
    """ListVmsRequest.label_selector from a mapping {key: value} or an iterable of "key=value" strings."""
    if labels is None:
        return []
    if isinstance(labels, Mapping):
        return ["%s=%s" % item for item in _labels(labels).items()]
    if isinstance(labels, str):
        raise TypeError("labels must be a mapping or a list of \"key=value\" strings, not the str %r" % labels)
    selector = list(labels)
    for item in selector:
        if not isinstance(item, str) or "=" not in item:
            raise ValueError("a label selector is \"key=value\", not %r" % (item,))
    return selector


def _disk(disk, index):
    what = "disks[%d]" % index
    if isinstance(disk, Disk):
        if not isinstance(disk.read_only, bool):
            raise TypeError("%s.read_only must be a bool, not %r" % (what, disk.read_only))
        return _proto.vm_pb.Disk(image=_image_name(disk.image, what + ".image"), read_only=disk.read_only)
    return _proto.vm_pb.Disk(image=_image_name(disk, what))


def _grace_period_ms(grace):
    if grace is None:
        return 0  # the host's default, 10 s
    if isinstance(grace, bool) or not isinstance(grace, (int, float)):
        raise TypeError("grace must be a number of seconds or None, not %r" % (grace,))
    if not 0 < grace <= MAX_GRACE_SECONDS:
        raise ValueError("grace must be more than 0 and at most %g seconds (force=True stops at once), not %r"
                         % (MAX_GRACE_SECONDS, grace))
    return max(1, int(round(grace * 1000)))


# --- Streams. ---

class _ServerStream:
    """A server stream as an iterator whose errors are ApiErrors; cancel() ends it from any thread."""

    def __init__(self, call, method):
        self._call = call
        self._method = method
        self._cancelled = False
        self._finished = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished or self._cancelled:
            raise StopIteration
        try:
            message = next(self._call)
        except StopIteration:
            self._finished = True
            raise
        except grpc.RpcError as rpc_error:
            self._finished = True
            if self._cancelled:
                raise StopIteration from None
            raise errors.from_rpc_error(rpc_error, self._method) from rpc_error
        return self._convert(message)

    def _convert(self, message):
        raise NotImplementedError

    def cancel(self):
        """Ends the stream: an iteration under way (in another thread too) stops as if the stream had ended."""
        self._cancelled = True
        self._call.cancel()

    close = cancel

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.cancel()


class Watch(_ServerStream):
    """The iterator ``VmCollection.watch()`` returns: ``VmEvent``s, first an ADDED per VM that exists, then every
    change from then on. Cancel it (or use it as a context manager) to end it.

    A watch that falls too far behind is ended by the host with ``ResourceExhausted``: open a new one (its ADDED
    events give the state of every VM again).
    """

    def __init__(self, host, call):
        super().__init__(call, "VmService.WatchVms")
        self._host = host

    def _convert(self, message):
        return VmEvent(type=EventType(message.type), vm=Vm(self._host, message.vm), sequence=message.sequence)


class Console(_ServerStream):
    """The iterator ``Vm.console()`` returns: the console's output as ``bytes``, in the order the VM wrote it.

    Attributes:
        first_offset: the offset of the first byte received in all the VM wrote (more than 0 when the host's kept
            history, 64 KiB per VM, no longer has the start), None before anything arrived.
        offset: the offset just after the last byte received.
    """

    def __init__(self, call):
        super().__init__(call, "VmService.StreamConsole")
        self.first_offset = None
        self.offset = 0

    def _convert(self, message):
        if self.first_offset is None:
            self.first_offset = message.offset
        self.offset = message.offset + len(message.data)
        return message.data


# --- VMs. ---

class Vm:
    """A VM on a host: a snapshot of its state, and the methods that act on it.

    The properties read the snapshot; ``refresh()`` fetches it anew, and ``start()``, ``stop()`` and ``wait()``
    update it with what the host answers. Two Vm objects are equal when their snapshots are.
    """

    __slots__ = ("_host", "_message")

    def __init__(self, host, message):
        self._host = host
        self._message = message

    # Snapshot.

    @property
    def name(self):
        """"vms/{id}"."""
        return self._message.name

    @property
    def id(self):
        """The id part of the name."""
        return self._message.name[len("vms/"):] if self._message.name.startswith("vms/") else self._message.name

    @property
    def host(self):
        """The Host the VM is on."""
        return self._host

    @property
    def tenant(self):
        return self._message.tenant

    @property
    def labels(self):
        """A copy of the VM's labels, as a dict."""
        return dict(self._message.labels)

    @property
    def spec(self):
        """What the VM runs, a ``kapsel.VmSpec``."""
        return VmSpec.from_proto(self._message.spec)

    @property
    def state(self):
        """A ``kapsel.VmState``."""
        return VmState(self._message.state)

    @property
    def state_reason(self):
        """Why the VM is STOPPED or FAILED ("guest powered off", "uvmm stopped: ..."); "" otherwise."""
        return self._message.state_reason

    @property
    def ended(self):
        """True when the VM is STOPPED or FAILED."""
        return self.state.ended

    @property
    def create_time(self):
        return time_from_ms(self._message.create_time_unix_ms)

    @property
    def start_time(self):
        """None until the VM started."""
        return time_from_ms(self._message.start_time_unix_ms)

    @property
    def end_time(self):
        """None until the VM ended."""
        return time_from_ms(self._message.end_time_unix_ms)

    @property
    def disk_sha256(self):
        """Once the VM has ended: the SHA-256 of each disk's final content, in the spec's order."""
        return tuple(self._message.disk_sha256)

    @property
    def proto(self):
        """A copy of the API's ``kapsel.v1.Vm`` message."""
        copy = type(self._message)()
        copy.CopyFrom(self._message)
        return copy

    def __eq__(self, other):
        if not isinstance(other, Vm):
            return NotImplemented
        return self._message == other._message

    __hash__ = None

    def __repr__(self):
        reason = ", state_reason=%r" % self.state_reason if self.state_reason else ""
        return "Vm(name=%r, tenant=%r, state=%s%s)" % (self.name, self.tenant, self.state.name, reason)

    # Methods.

    def refresh(self, *, timeout=DEFAULT):
        """Fetches the VM's state anew (GetVm); returns the Vm. ``NotFound`` once it was deleted."""
        request = _proto.vm_pb.GetVmRequest(name=self.name)
        self._message = self._host._unary("VmService.GetVm", self._host._vm_stub.GetVm, request, timeout, True)
        return self

    def start(self, *, timeout=DEFAULT):
        """Starts the VM (CREATED only): it is RUNNING when this returns, or FAILED when its uvmm could not start it
        (``state_reason`` tells why). ``FailedPrecondition`` when it is not CREATED. Returns the Vm."""
        request = _proto.vm_pb.StartVmRequest(name=self.name)
        self._message = self._host._unary("VmService.StartVm", self._host._vm_stub.StartVm, request, timeout, False)
        return self

    def stop(self, force=False, grace=10.0, *, timeout=DEFAULT):
        """Stops the VM (RUNNING or STOPPING): asks the guest to power off, and stops it by force after ``grace``
        seconds (at most 600; None: the host's default, 10 s); ``force=True`` stops it at once.

        Returns the Vm, then STOPPING (the guest has been asked) or STOPPED; ``wait()`` waits for the end.
        ``FailedPrecondition`` when the VM is CREATED or has ended.
        """
        if not isinstance(force, bool):
            raise TypeError("force must be a bool, not %r" % (force,))
        request = _proto.vm_pb.StopVmRequest(name=self.name, force=force, grace_period_ms=_grace_period_ms(grace))
        self._message = self._host._unary("VmService.StopVm", self._host._vm_stub.StopVm, request, timeout, False)
        return self

    def delete(self, *, timeout=DEFAULT):
        """Deletes the VM and its console history (not while RUNNING or STOPPING: ``FailedPrecondition``)."""
        request = _proto.vm_pb.DeleteVmRequest(name=self.name)
        self._host._unary("VmService.DeleteVm", self._host._vm_stub.DeleteVm, request, timeout, False)

    def console(self, follow=True, history=True, *, timeout=None):
        """The VM's console output: an iterator of ``bytes`` (a ``kapsel.Console``).

        history: begin with what the host kept (the last 64 KiB at most); False: only what comes from now on.
        follow: go on with new output until the VM has ended; False: end after the history.
        timeout: seconds for the whole stream (``DeadlineExceeded`` then), None: none.

        With follow, the iteration ends when the VM has ended and everything was sent. Cancel the Console (or use
        it as a context manager) to stop reading earlier.
        """
        if not isinstance(follow, bool) or not isinstance(history, bool):
            raise TypeError("follow and history must be bools, not %r and %r" % (follow, history))
        request = _proto.vm_pb.StreamConsoleRequest(name=self.name, skip_history=not history, no_follow=not follow)
        return Console(self._host._server_stream(self._host._vm_stub.StreamConsole, request, timeout))

    def wait(self, *states, timeout=None):
        """Waits until the VM is in one of ``states`` (VmStates; none given: until it has ended, STOPPED or
        FAILED), through a watch, without polling. Returns the Vm with the snapshot of that moment.

        Raises ``DeadlineExceeded`` (a ``TimeoutError``) after ``timeout`` seconds (None: waits as long as it
        takes), ``NotFound`` if the VM is or gets deleted, ``FailedPrecondition`` if it ended in another state
        than those asked for (it will not run again).
        """
        targets = set(states) if states else {VmState.STOPPED, VmState.FAILED}
        for state in targets:
            if not isinstance(state, VmState):
                raise TypeError("wait() takes kapsel.VmState values, not %r" % (state,))
        check_timeout(timeout)
        # The watch's first events give each VM's state when it begins; a refresh first reports a VM that is gone.
        if self.refresh().state in targets:
            return self
        with self._host.vms.watch(tenant=self.tenant, timeout=timeout) as watch:
            for event in watch:
                if event.vm.name != self.name:
                    continue
                if event.type == EventType.DELETED:
                    raise errors.NotFound("%s was deleted" % self.name, method="VmService.WatchVms")
                self._message = event.vm._message
                if self.state in targets:
                    return self
                if self.state.ended:
                    raise errors.FailedPrecondition(
                        "%s ended %s (%s), it will not be %s" % (
                            self.name, self.state.name, self.state_reason,
                            " or ".join(sorted(state.name for state in targets))),
                        method="VmService.WatchVms")
        raise errors.Unavailable("the watch ended before %s reached the state" % self.name,
                                 method="VmService.WatchVms")


class VmCollection:
    """``Host.vms``: creating, finding, listing and watching a host's VMs."""

    def __init__(self, host):
        self._host = host

    def create(self, *, tenant, kernel, memory_mib, initrd=None, cmdline="", labels=None, network=0, disks=(),
               vcpus=0, vm_id=None, timeout=DEFAULT):
        """Creates a VM (CREATED: nothing runs until ``start()``); returns its ``Vm``.

        tenant: the tenant it belongs to, [a-z0-9-], starting with a letter.
        kernel, initrd: the guest kernel (bzImage) and initramfs: ``Image``s, their names or SHA-256s.
        memory_mib: guest RAM, 64 to 4096 MiB.
        cmdline: the kernel command line, at most 255 bytes.
        labels: a mapping of str to str, at most 16.
        network: the tenant network (1 to 4095) the VM's virtio-net joins; 0: no network device.
        disks: at most 2: ``kapsel.Disk(image, read_only=...)``, or Images or names (writable).
        vcpus: 0 or 1 today.
        vm_id: the id part of the name; None: the host picks one. A taken id is ``AlreadyExists``.

        The host checks the values and names the field it refuses in ``InvalidArgument``; ``NotFound`` for an image
        it does not have, ``ResourceExhausted`` when its memory for VMs is used up. Not retried (not idempotent).
        """
        pb = _proto.vm_pb
        if disks is None:
            disks = ()
        if isinstance(disks, (str, Disk, Image)):
            raise TypeError("disks must be a list of disks, not %r" % (disks,))
        spec = pb.VmSpec(
            kernel_image=_image_name(kernel, "kernel"),
            initrd_image="" if initrd is None else _image_name(initrd, "initrd"),
            command_line=_check_str(cmdline, "cmdline", allow_none=True),
            memory_mib=_check_uint32(memory_mib, "memory_mib", minimum=1),
            vcpus=_check_uint32(vcpus, "vcpus"),
            disks=[_disk(disk, index) for index, disk in enumerate(disks)],
            network_id=_check_uint32(network, "network"))
        vm = pb.Vm(tenant=_check_str(tenant, "tenant"), labels=_labels(labels), spec=spec)
        request = pb.CreateVmRequest(vm_id=_check_str(vm_id, "vm_id", allow_none=True), vm=vm)
        created = self._host._unary("VmService.CreateVm", self._host._vm_stub.CreateVm, request, timeout, False)
        return Vm(self._host, created)

    def get(self, vm, *, timeout=DEFAULT):
        """The VM with this id (or name, "vms/{id}"); ``NotFound`` if there is none."""
        request = _proto.vm_pb.GetVmRequest(name=_vm_name(vm))
        return Vm(self._host, self._host._unary("VmService.GetVm", self._host._vm_stub.GetVm, request, timeout, True))

    def list(self, *, tenant=None, labels=None, page_size=0, timeout=DEFAULT):
        """Iterates over the VMs, in creation order, fetching page after page as the iteration goes.

        tenant: only this tenant's VMs. labels: only VMs with all of these labels, a mapping or "key=value" strings.
        page_size: VMs per call (0: the host's default, 50; at most 500). timeout: per page.
        """
        pb = _proto.vm_pb
        base = pb.ListVmsRequest(tenant=_check_str(tenant, "tenant", allow_none=True),
                                 label_selector=_label_selector(labels),
                                 page_size=_check_uint32(page_size, "page_size"))
        check_timeout(timeout)

        def request(token):
            page = pb.ListVmsRequest()
            page.CopyFrom(base)
            page.page_token = token
            return page

        pages = self._host._pages("VmService.ListVms", self._host._vm_stub.ListVms, request, timeout)
        return (Vm(self._host, message) for page in pages for message in page.vms)

    def watch(self, *, tenant=None, timeout=None):
        """Watches the VMs (of one tenant, or all): a ``kapsel.Watch``, an iterator of ``VmEvent``s that begins
        with an ADDED event per VM that exists, then has every creation, change of state and deletion.

        timeout: seconds for the whole stream (``DeadlineExceeded`` then); None: none. Cancel the Watch, or use it
        as a context manager, to end it.
        """
        request = _proto.vm_pb.WatchVmsRequest(tenant=_check_str(tenant, "tenant", allow_none=True))
        return Watch(self._host, self._host._server_stream(self._host._vm_stub.WatchVms, request, timeout))

    def attest(self, vm, nonce=None, expected_public_key=None, *, timeout=DEFAULT):
        """Verified evidence about the VM (a ``Vm``, its name or id): a ``kapsel.VmEvidence`` of what it boots and
        how it is isolated, signed by the host (AttestationService.AttestVm).

        nonce: bytes the host signs with the evidence, 16 to 64 (``InvalidArgument`` from the host otherwise), fresh
            for each call; None: 32 random bytes (os.urandom).
        expected_public_key: None, or the host's key as pinned (``HostInfo.attestation_public_key``, 65 bytes).

        Raises ``kapsel.AttestationError`` (``check`` names which) unless the signature verifies with the key the
        host returned, the evidence is version 1, about this VM and carries the nonce, and the key is the expected
        one. Another tenant's VM is ``NotFound``; an agent without attestation answers ``Unimplemented``. Retried on
        UNAVAILABLE (a read).
        """
        name = _vm_name(vm)
        if nonce is None:
            nonce = os.urandom(ATTEST_NONCE_BYTES)
        if not isinstance(nonce, (bytes, bytearray, memoryview)):
            raise TypeError("nonce must be bytes, not %r" % (type(nonce).__name__,))
        if expected_public_key is not None and not isinstance(expected_public_key, (bytes, bytearray, memoryview)):
            raise TypeError("expected_public_key must be bytes (HostInfo.attestation_public_key), not %r"
                            % (type(expected_public_key).__name__,))
        nonce = bytes(nonce)
        request = _proto.attestation_pb.AttestVmRequest(name=name, nonce=nonce)
        response = self._host._unary("AttestationService.AttestVm", self._host._attestation_stub.AttestVm, request,
                                     timeout, True)
        return attestation.verify(response, name, nonce, expected_public_key)


# --- Images. ---

class _Content:
    """What push() uploads: bytes in memory or a file, hashed once before the upload."""

    def __init__(self, source):
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.data = bytes(source)
            self.path = None
            self.size = len(self.data)
            self.sha256 = hashlib.sha256(self.data).hexdigest()
        elif isinstance(source, (str, os.PathLike)):
            self.data = None
            self.path = os.fspath(source)
            digest = hashlib.sha256()
            size = 0
            with open(self.path, "rb") as file:
                for block in iter(lambda: file.read(CHUNK_BYTES), b""):
                    digest.update(block)
                    size += len(block)
            self.size = size
            self.sha256 = digest.hexdigest()
        else:
            raise TypeError("an image is pushed from a path or bytes, not %r" % (type(source).__name__,))
        if self.size == 0:
            raise ValueError("an image has at least 1 byte: %s is empty" % (self.path or "the content"))

    def chunks(self, chunk_size):
        if self.data is not None:
            for offset in range(0, self.size, chunk_size):
                yield self.data[offset:offset + chunk_size]
            return
        with open(self.path, "rb") as file:
            for block in iter(lambda: file.read(chunk_size), b""):
                yield block


class ImageCollection:
    """``Host.images``: uploading, finding, listing and deleting a host's images."""

    def __init__(self, host):
        self._host = host

    def push(self, source, *, name="", progress=None, chunk_size=CHUNK_BYTES, timeout=DEFAULT):
        """Uploads an image from a path or bytes; returns its ``Image``.

        Images are content-addressed: the SHA-256 is computed first, and when the host has that image already, it is
        returned without uploading (with its display name of then). Otherwise the content goes in chunks of
        ``chunk_size`` bytes (at most 1 MiB), and the host checks size and SHA-256.

        name: the image's display name for people, at most 63 printable bytes.
        progress: called as ``progress(bytes_sent, total_bytes)`` while the upload goes (from gRPC's sending
            thread), and once with (total, total) when the host had the image; what it raises aborts the push.
        timeout: for the whole upload; default: the Host's ``upload_timeout``.

        ``ResourceExhausted`` when the image is over the host's limit or its store is full. Retried on UNAVAILABLE
        (an upload is idempotent: the same content is the same image), from the start.
        """
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or not 1 <= chunk_size <= CHUNK_BYTES:
            raise ValueError("chunk_size must be an int from 1 to %d, not %r" % (CHUNK_BYTES, chunk_size))
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable, not %r" % (progress,))
        display_name = _check_str(name, "name", allow_none=True)
        upload_timeout = check_timeout(timeout)
        content = _Content(source)
        image_name = "images/" + content.sha256
        try:
            existing = self.get(image_name, timeout=upload_timeout)
        except errors.NotFound:
            existing = None
        if existing is not None:
            if progress is not None:
                progress(content.size, content.size)
            return existing

        pb = _proto.image_pb
        header = pb.UploadImageHeader(size_bytes=content.size, sha256=content.sha256, display_name=display_name)

        def attempt(left):
            failures = []
            reported = [0]

            def requests():
                try:
                    yield pb.UploadImageRequest(header=header)
                    for chunk in content.chunks(chunk_size):
                        yield pb.UploadImageRequest(chunk=chunk)
                        reported[0] += len(chunk)
                        if progress is not None:
                            progress(reported[0], content.size)
                except GeneratorExit:
                    raise
                except BaseException as error:  # noqa: B902 - re-raised on the caller's thread below
                    failures.append(error)
                    raise

            try:
                uploaded = self._host._image_stub.UploadImage(requests(), timeout=left, metadata=self._host._metadata)
            except grpc.RpcError:
                if failures:
                    raise failures[0]
                raise
            if progress is not None and reported[0] < content.size:
                progress(content.size, content.size)
            return uploaded

        if upload_timeout is DEFAULT:
            upload_timeout = self._host._upload_timeout
        uploaded = self._host._invoker.call("ImageService.UploadImage", attempt, timeout=upload_timeout,
                                            idempotent=True)
        return Image.from_proto(uploaded, self._host)

    def get(self, image, *, timeout=DEFAULT):
        """The image of this name ("images/{sha256}") or SHA-256; ``NotFound`` if the host does not have it."""
        request = _proto.image_pb.GetImageRequest(name=_image_name(image, "image"))
        found = self._host._unary("ImageService.GetImage", self._host._image_stub.GetImage, request, timeout, True)
        return Image.from_proto(found, self._host)

    def list(self, *, page_size=0, timeout=DEFAULT):
        """Iterates over the host's images, fetching page after page (page_size: 0 for the host's default, at most
        500; timeout: per page)."""
        pb = _proto.image_pb
        size = _check_uint32(page_size, "page_size")
        check_timeout(timeout)
        pages = self._host._pages("ImageService.ListImages", self._host._image_stub.ListImages,
                                  lambda token: pb.ListImagesRequest(page_size=size, page_token=token), timeout)
        return (Image.from_proto(message, self._host) for page in pages for message in page.images)

    def delete(self, image, *, timeout=DEFAULT):
        """Deletes an image (an ``Image``, its name or SHA-256): ``FailedPrecondition`` while a VM that is not
        deleted names it, ``NotFound`` if there is none. Not retried."""
        request = _proto.image_pb.DeleteImageRequest(name=_image_name(image, "image"))
        self._host._unary("ImageService.DeleteImage", self._host._image_stub.DeleteImage, request, timeout, False)


# --- The host. ---

class Host:
    """A Kapsel host's management API, reached over gRPC.

    address: "host:port" of the agent's API (e.g. "127.0.0.1:50051").
    timeout: the default deadline of each call in seconds, all its retries included (None: no deadline); every
        method takes ``timeout=`` to override it. Streams (watch, console) have none unless given.
    upload_timeout: the default deadline of ``images.push()``.
    retry: how idempotent calls are retried on UNAVAILABLE (``kapsel.RetryPolicy``; ``kapsel.NO_RETRY``: never).
    channel: a ``grpc.Channel`` to use instead of an insecure channel to ``address`` (for TLS, or a test's fake);
        the Host does not close a channel it was given.
    options: gRPC channel options (a dict) to add to or replace ``DEFAULT_CHANNEL_OPTIONS``.
    token: the API token every call sends as "authorization: Bearer <token>" (1 to 512 characters of visible ASCII);
        None: the environment variable KAPSEL_TOKEN; "" (or an empty KAPSEL_TOKEN): none. A host started with API
        tokens answers ``Unauthenticated`` without a token it knows, ``PermissionDenied`` when the token's tenant may
        not do what is asked. Over an insecure channel (the one the Host makes) the token travels in clear text.

    Use it as a context manager, or ``close()`` it, to close its channel.
    """

    def __init__(self, address=None, *, timeout=10.0, upload_timeout=600.0, retry=RetryPolicy(), channel=None,
                 options=None, token=None):
        self._metadata = _auth_metadata(token)
        self._invoker = Invoker(timeout, retry)
        self._upload_timeout = check_timeout(upload_timeout, "upload_timeout")
        if self._upload_timeout is DEFAULT:
            raise ValueError("upload_timeout must be a number of seconds or None")
        if channel is None:
            if not isinstance(address, str) or not address:
                raise ValueError("a Host needs an address (\"host:port\") or a channel, not %r" % (address,))
            merged = dict(DEFAULT_CHANNEL_OPTIONS)
            merged.update(dict(options or {}))
            channel = grpc.insecure_channel(address, options=list(merged.items()))
            self._owns_channel = True
        else:
            if options:
                raise ValueError("options are for the channel the Host makes: not with channel=")
            self._owns_channel = False
        self.address = address
        self._channel = channel
        self._host_stub = _proto.host_grpc.HostServiceStub(channel)
        self._image_stub = _proto.image_grpc.ImageServiceStub(channel)
        self._vm_stub = _proto.vm_grpc.VmServiceStub(channel)
        self._attestation_stub = _proto.attestation_grpc.AttestationServiceStub(channel)
        self.vms = VmCollection(self)
        self.images = ImageCollection(self)

    def __repr__(self):
        return "Host(%r)" % (self.address,)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Closes the channel (if the Host made it): calls under way end with ``Cancelled``."""
        if self._owns_channel:
            self._channel.close()

    @property
    def timeout(self):
        """The default deadline of a call, in seconds (None: none)."""
        return self._invoker.timeout

    @property
    def retry(self):
        return self._invoker.retry

    def info(self, *, timeout=DEFAULT):
        """The host's ``kapsel.HostInfo``: name, version, CPUs, memory, VM counts, limits."""
        response = self._unary("HostService.GetHostInfo", self._host_stub.GetHostInfo,
                               _proto.host_pb.GetHostInfoRequest(), timeout, True)
        return HostInfo.from_proto(response)

    def health(self, *, timeout=DEFAULT):
        """The host's ``kapsel.HealthStatus`` (SERVING when all is well); ``Unavailable`` if it cannot be reached."""
        response = self._unary("HostService.Health", self._host_stub.Health, _proto.host_pb.HealthRequest(),
                               timeout, True)
        return HealthStatus(response.status)

    # For the collections.

    def _unary(self, method, stub_method, request, timeout, idempotent):
        return self._invoker.call(method, lambda left: stub_method(request, timeout=left, metadata=self._metadata),
                                  timeout=timeout, idempotent=idempotent)

    def _server_stream(self, stub_method, request, timeout):
        timeout = check_timeout(timeout)
        return stub_method(request, timeout=None if timeout is DEFAULT else timeout, metadata=self._metadata)

    def _pages(self, method, stub_method, request_for_token, timeout):
        """The responses of a List method, page after page until next_page_token is empty."""
        token = ""
        seen = set()
        while True:
            response = self._unary(method, stub_method, request_for_token(token), timeout, True)
            yield response
            token = response.next_page_token
            if not token:
                return
            if token in seen:
                raise errors.Internal("%s returned the page token %r a second time" % (method, token), method=method)
            seen.add(token)
