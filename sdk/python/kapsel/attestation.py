"""Attestation: verified evidence about a VM, and the error for evidence that does not verify.

``host.vms.attest(vm)`` asks the host for evidence about a VM bound to a fresh nonce (AttestationService.AttestVm)
and returns it as a ``VmEvidence`` only once it verified: the ECDSA P-256 signature over the evidence bytes with the
key the host returned, the evidence's version, that it is about that VM and carries the nonce sent, and the key
itself when the caller pinned one. Any failed check raises ``AttestationError``, whose ``check`` names it.

Trust: the key is the host's agent's, made at each start of the host, and nothing in hardware stands behind it (no
TPM, no confidential-computing report): the evidence is as trustworthy as the agent. Pin the key: take
``host.info().attestation_public_key`` over a channel you trust, and pass it as ``expected_public_key``.

Verification uses the ``cryptography`` package (Debian's python3-cryptography), imported when first needed.
"""

import datetime
from dataclasses import dataclass
from typing import Optional, Tuple

from google.protobuf.message import DecodeError

from . import _proto
from .models import time_from_ms

__all__ = ["AttestationError", "VmEvidence", "DiskEvidence", "verify", "KEY_BYTES", "VERSION"]

# An attestation key: an uncompressed SEC1 point of NIST P-256, 0x04 then X and Y.
KEY_BYTES = 65
# The evidence format this SDK verifies (VmEvidence.version).
VERSION = 1


class AttestationError(Exception):
    """The host answered AttestVm, and its answer does not verify.

    Attributes:
        check: the check that failed: "public_key" (not a P-256 point, or not the expected key), "signature",
            "evidence" (the signed bytes are no VmEvidence), "version", "vm_name" or "nonce".
        message: what was found, for people.
        vm_name: the VM that was asked about.
    """

    def __init__(self, check, message, vm_name=None):
        super().__init__("%s: %s" % (check, message))
        self.check = check
        self.message = message
        self.vm_name = vm_name

    def __repr__(self):
        return "AttestationError(%r, %r, vm_name=%r)" % (self.check, self.message, self.vm_name)


@dataclass(frozen=True)
class HostComponent:
    """A file of the host's boot archive the agent measured (the root task, a Micro-App, the boot manifest)."""

    name: str
    sha256: str


@dataclass(frozen=True)
class DiskEvidence:
    """A disk of the VM: its image's SHA-256 (lowercase hex), and whether the guest may write it (its own copy)."""

    image_sha256: str
    read_only: bool


@dataclass(frozen=True)
class VmEvidence:
    """What a host states, signed, about one of its VMs (the API's ``VmEvidence``), after it verified.

    SHA-256s are lowercase hex ("" for an initrd the VM does not have, or a uvmm the host cannot tell); ``time`` is
    when the host made the evidence (its clock, UTC; None for 0). ``public_key``, ``signature`` and
    ``signed_evidence`` are what the host sent: the key (65 bytes), the DER ECDSA signature, and exactly the bytes it
    covers, to keep or pass on.
    """

    version: int
    host_name: str
    vm_name: str
    tenant: str
    state: str
    nonce: bytes
    time: Optional[datetime.datetime]
    kernel_sha256: str
    initrd_sha256: str
    command_line_sha256: str
    disks: Tuple[DiskEvidence, ...]
    vmm_sha256: str
    vmm_launch_spec: str
    memory_mib: int
    vcpus: int
    network_id: int
    root_of_trust: str
    host_components: Tuple[HostComponent, ...]
    public_key: bytes
    signature: bytes
    signed_evidence: bytes

    @classmethod
    def from_proto(cls, evidence, response):
        return cls(version=evidence.version, host_name=evidence.host_name, vm_name=evidence.vm_name,
                   tenant=evidence.tenant, state=evidence.state, nonce=bytes(evidence.nonce),
                   time=time_from_ms(evidence.time_unix_ms),
                   kernel_sha256=evidence.kernel_sha256, initrd_sha256=evidence.initrd_sha256,
                   command_line_sha256=evidence.command_line_sha256,
                   disks=tuple(DiskEvidence(disk.image_sha256, disk.read_only) for disk in evidence.disks),
                   vmm_sha256=evidence.vmm_sha256, vmm_launch_spec=evidence.vmm_launch_spec,
                   memory_mib=evidence.memory_mib, vcpus=evidence.vcpus, network_id=evidence.network_id,
                   root_of_trust=evidence.root_of_trust,
                   host_components=tuple(HostComponent(c.name, c.sha256) for c in evidence.host_components),
                   public_key=bytes(response.public_key),
                   signature=bytes(response.signature), signed_evidence=bytes(response.evidence))


def _crypto():
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError as error:  # pragma: no cover - depends on the interpreter
        raise ImportError("kapsel: attestation needs the cryptography package (Debian's python3-cryptography): run "
                          "with /usr/bin/python3") from error
    return InvalidSignature, hashes, ec


def _check_signature(response, vm_name):
    invalid_signature, hashes, ec = _crypto()
    point = bytes(response.public_key)
    if len(point) != KEY_BYTES or point[0] != 0x04:
        raise AttestationError("public_key", "%d bytes, not an uncompressed P-256 point (65 bytes, 0x04 first)"
                               % len(point), vm_name)
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise AttestationError("public_key", "not a point of P-256", vm_name) from None
    try:
        key.verify(bytes(response.signature), bytes(response.evidence), ec.ECDSA(hashes.SHA256()))
    except invalid_signature:
        raise AttestationError("signature", "does not verify over the evidence with the host's public key",
                               vm_name) from None


def verify(response, vm_name, nonce, expected_public_key=None):
    """The checks of ``host.vms.attest()`` on an ``AttestVmResponse`` (from ``kapsel.v1.attestation_service_pb2``)
    to a request about vm_name ("vms/{id}") with nonce: returns the ``VmEvidence``, or raises ``AttestationError``.

    expected_public_key: None, or the 65 bytes the host's key must be.
    """
    _check_signature(response, vm_name)
    try:
        evidence = _proto.attestation_pb.VmEvidence.FromString(bytes(response.evidence))
    except DecodeError:
        raise AttestationError("evidence", "signed, but does not parse as a VmEvidence", vm_name) from None
    if evidence.version != VERSION:
        raise AttestationError("version", "%d, not %d (a format this SDK does not know)" % (evidence.version, VERSION),
                               vm_name)
    if evidence.vm_name != vm_name:
        raise AttestationError("vm_name", "the evidence is about %r, not %s" % (evidence.vm_name, vm_name), vm_name)
    if bytes(evidence.nonce) != bytes(nonce):
        raise AttestationError("nonce", "the evidence's is not the one sent (a replay, or an answer to another "
                               "request)", vm_name)
    if expected_public_key is not None and bytes(response.public_key) != bytes(expected_public_key):
        raise AttestationError("public_key", "the host signed with another key than the expected (pinned) one",
                               vm_name)
    return VmEvidence.from_proto(evidence, response)
