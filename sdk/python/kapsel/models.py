"""The SDK's value types: enums for states and event types, and immutable snapshots of the API's resources.

``Image``, ``HostInfo``, ``VmSpec``, ``Disk`` and ``VmEvent`` are frozen dataclasses made from the API's messages;
``Vm`` (in ``kapsel.client``) is a live handle with methods. Times are timezone-aware ``datetime`` objects in UTC,
or None where the API says 0 (not started yet, not ended yet).
"""

import datetime
import enum
from dataclasses import dataclass, field
from typing import Optional, Tuple

from ._calls import DEFAULT

__all__ = [
    "VmState",
    "EventType",
    "HealthStatus",
    "Disk",
    "VmSpec",
    "Image",
    "HostInfo",
    "VmEvent",
    "MIB",
]

MIB = 1024 * 1024


class _Enum(enum.IntEnum):
    """An IntEnum (it compares equal to the API's numbers) whose str() is its name ("RUNNING")."""

    def __str__(self):
        return self.name

    @classmethod
    def _missing_(cls, value):
        return cls(0)


class VmState(_Enum):
    """A VM's state (the API's ``VmState``): CREATED -> RUNNING -> (STOPPING ->) STOPPED or FAILED.

    A value a newer host sends that this SDK does not know reads as UNSPECIFIED.
    """

    UNSPECIFIED = 0
    CREATED = 1
    RUNNING = 2
    STOPPING = 3
    STOPPED = 4
    FAILED = 5

    @property
    def ended(self):
        """True for STOPPED and FAILED: the VM will not run again (a Kapsel VM is never restarted in place)."""
        return self in (VmState.STOPPED, VmState.FAILED)


class EventType(_Enum):
    """The type of a ``VmEvent`` (the API's ``VmEvent.Type``)."""

    UNSPECIFIED = 0
    ADDED = 1
    MODIFIED = 2
    DELETED = 3


class HealthStatus(_Enum):
    """What ``Host.health()`` returns (the API's ``HealthResponse.ServingStatus``)."""

    UNSPECIFIED = 0
    SERVING = 1
    NOT_SERVING = 2


def time_from_ms(milliseconds):
    """A UTC datetime from milliseconds since the Unix epoch; None for 0."""
    if not milliseconds:
        return None
    return datetime.datetime.fromtimestamp(milliseconds / 1000.0, tz=datetime.timezone.utc)


@dataclass(frozen=True)
class Disk:
    """A virtio-blk disk of a VM: an uploaded image, which the guest may be barred from writing.

    ``image`` is the image's name, "images/{sha256}"; ``VmCollection.create`` also takes an ``Image`` or a bare
    SHA-256 where a Disk is expected.
    """

    image: str
    read_only: bool = False


@dataclass(frozen=True)
class VmSpec:
    """What a VM runs (the API's ``VmSpec``). Images are names, "images/{sha256}"; ``initrd`` is "" for none."""

    kernel: str
    initrd: str
    cmdline: str
    memory_mib: int
    vcpus: int
    disks: Tuple[Disk, ...]
    network: int

    @classmethod
    def from_proto(cls, spec):
        return cls(kernel=spec.kernel_image, initrd=spec.initrd_image, cmdline=spec.command_line,
                   memory_mib=spec.memory_mib, vcpus=spec.vcpus,
                   disks=tuple(Disk(image=disk.image, read_only=disk.read_only) for disk in spec.disks),
                   network=spec.network_id)


@dataclass(frozen=True)
class Image:
    """An uploaded image (kernel, initramfs or disk), content-addressed: ``name`` is "images/{sha256}".

    ``delete()`` deletes it from the host it came from.
    """

    name: str
    sha256: str
    size_bytes: int
    display_name: str
    create_time: Optional[datetime.datetime]
    # The VMs that name it, "vms/{id}" each: while there are any, the host refuses to delete it.
    used_by: Tuple[str, ...]
    _host: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_proto(cls, image, host=None):
        return cls(name=image.name, sha256=image.sha256, size_bytes=image.size_bytes,
                   display_name=image.display_name, create_time=time_from_ms(image.create_time_unix_ms),
                   used_by=tuple(image.used_by), _host=host)

    def delete(self, *, timeout=DEFAULT):
        """Deletes the image from its host: ``FailedPrecondition`` while a VM names it (see ``used_by``)."""
        if self._host is None:
            raise ValueError("this Image does not belong to a Host: use Host.images.delete()")
        self._host.images.delete(self, timeout=timeout)


@dataclass(frozen=True)
class HostInfo:
    """What ``Host.info()`` tells about a host (the API's ``HostInfo``). Sizes are in bytes."""

    name: str
    version: str
    architecture: str
    cpus: int
    memory_total_bytes: int
    memory_free_bytes: int
    vms_running: int
    vms_total: int
    uptime_seconds: int
    max_image_bytes: int
    vm_memory_limit_bytes: int
    vm_memory_used_bytes: int
    # The key the host signs attestation evidence with (a 65-byte uncompressed P-256 point, new at each start of the
    # host; b"" from an agent without attestation): pass it to ``vms.attest(expected_public_key=)`` to pin it.
    attestation_public_key: bytes

    @classmethod
    def from_proto(cls, info):
        return cls(name=info.name, version=info.version, architecture=info.architecture, cpus=info.cpus,
                   memory_total_bytes=info.memory_total_bytes, memory_free_bytes=info.memory_free_bytes,
                   vms_running=info.vms_running, vms_total=info.vms_total, uptime_seconds=info.uptime_seconds,
                   max_image_bytes=info.max_image_bytes, vm_memory_limit_bytes=info.vm_memory_limit_bytes,
                   vm_memory_used_bytes=info.vm_memory_used_bytes,
                   attestation_public_key=bytes(info.attestation_public_key))

    @property
    def vm_memory_free_bytes(self):
        """Guest RAM that new VMs may still have: the limit less what VMs that have not ended hold."""
        return max(0, self.vm_memory_limit_bytes - self.vm_memory_used_bytes)

    @property
    def vm_memory_free_mib(self):
        return self.vm_memory_free_bytes // MIB


@dataclass(frozen=True)
class VmEvent:
    """One event of ``VmCollection.watch()``: the VM (a ``Vm`` snapshot) as it is after the change.

    ``sequence`` increases by one with every event the host emits, across all VMs and watchers: a gap means that
    events were missed (other tenants' events are gaps too when the watch filters by tenant).
    """

    type: EventType
    vm: object  # kapsel.Vm
    sequence: int
