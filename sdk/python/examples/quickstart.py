#!/usr/bin/python3
"""Quickstart: push a kernel (and initramfs), run a VM, follow its console until the guest powers off, clean up.

Usage: quickstart.py ADDRESS KERNEL [INITRD [COMMAND_LINE]]
"""
import sys

import kapsel


def main(address, kernel_path, initrd_path=None, cmdline="console=ttyS0"):
    with kapsel.Host(address, timeout=10.0) as host:
        info = host.info()
        print(f"{info.name}: Kapsel {info.version} ({info.architecture}), "
              f"{info.vms_running} of {info.vms_total} VMs running, {info.vm_memory_free_mib} MiB free for VMs")

        # Images are content-addressed: pushing one the host has already returns it without uploading.
        kernel = host.images.push(kernel_path, name="quickstart-kernel",
                                  progress=lambda sent, total: print(f"  kernel: {sent} of {total} bytes"))
        initrd = host.images.push(initrd_path, name="quickstart-initrd") if initrd_path else None

        vm = host.vms.create(tenant="quickstart", kernel=kernel, initrd=initrd, cmdline=cmdline, memory_mib=128,
                             labels={"example": "quickstart"})
        try:
            vm.start()
            print(f"{vm.name} is {vm.state}")
            # The history first, then new output until the VM has ended (at most 5 minutes here).
            with vm.console(timeout=300) as console:
                for data in console:
                    sys.stdout.write(data.decode(errors="replace"))
            vm.wait(timeout=30)
            print(f"{vm.name} is {vm.state}: {vm.state_reason}")
            for listed in host.vms.list(tenant="quickstart", labels={"example": "quickstart"}):
                print(f"  listed: {listed.name} {listed.state}")
        finally:
            if vm.refresh().state in (kapsel.VmState.RUNNING, kapsel.VmState.STOPPING):
                vm.stop(force=True)
                vm.wait(timeout=30)
            vm.delete()

        try:
            vm.refresh()
        except kapsel.NotFound as error:
            print(f"deleted: {error}")


if __name__ == "__main__":
    if not 3 <= len(sys.argv) <= 5:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(*sys.argv[1:])
