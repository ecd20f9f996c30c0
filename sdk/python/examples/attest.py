#!/usr/bin/python3
"""Attest a VM: ask its host for signed evidence bound to a fresh nonce, verify it against the host's pinned key,
and check that the VM boots this kernel with this command line.

Usage: attest.py ADDRESS VM KERNEL COMMAND_LINE [KEY]
KEY: the host's attestation key in hex, as obtained over a channel you trust; without it, the key of host info.
Exits 0 when the VM is attested, 1 when it is not.
"""
import hashlib
import sys

import kapsel


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(address, vm, kernel_path, cmdline, key_hex=None):
    with kapsel.Host(address) as host:
        # Without a pinned key, trust the host's word on first use, and say which key that was.
        key = bytes.fromhex(key_hex) if key_hex else host.info().attestation_public_key
        try:
            # A fresh random nonce each call; the signature, the nonce, the VM and the key are checked.
            evidence = host.vms.attest(vm, expected_public_key=key)
        except kapsel.AttestationError as error:
            print(f"{vm}: not attested: {error}")
            return 1
        print(f"{evidence.vm_name} on {evidence.host_name} ({evidence.state}), tenant {evidence.tenant}, "
              f"{evidence.memory_mib} MiB, key {key.hex()[:16]}...")
        print(f"  root of trust: {evidence.root_of_trust}")
        expected = {"kernel_sha256": sha256_of_file(kernel_path),
                    "command_line_sha256": hashlib.sha256(cmdline.encode()).hexdigest()}
        attested = True
        for field, value in expected.items():
            matches = getattr(evidence, field) == value
            attested = attested and matches
            print(f"  {field}: {'as expected' if matches else 'NOT as expected'}")
        print(f"{evidence.vm_name}: {'attested' if attested else 'not attested'}")
        return 0 if attested else 1


if __name__ == "__main__":
    if not 5 <= len(sys.argv) <= 6:
        sys.exit(next(line for line in __doc__.splitlines() if line.startswith("Usage:")))
    sys.exit(main(*sys.argv[1:]))
