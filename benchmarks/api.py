#!/usr/bin/python3
"""Issue 7's API benchmark: GetVm from 8 concurrent clients (request rate, p50/p99 latency), and the time from
CreateVm + StartVm to the guest's /init line.

- Kapsel: q35 with the API system (integration_tests/api_system/manifest.txt): the agent behind the NIC driver and the
  switch, reached through QEMU's user-mode network (hostfwd). The guest is the test initramfs on Debian's kernel,
  uploaded through the API first.
- Reference, same invocation: the same services natively on this machine (agent/api_host_server, its fake backend:
  no emulation, no lwIP, no NIC), which prices the in-system path; and QEMU's own microvm booting the same kernel,
  initramfs and command line from its start to the /init line, which prices the VM's start.

Both hosts take the test tokens (integration_tests/api_system/test_tokens.txt); every call carries the operator's.
Runs with /usr/bin/python3 (Debian's grpcio). Nothing here is a test: it prints a table.
"""

import argparse
import hashlib
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration_tests"))
import qemu_runner  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration_tests", "api"))
from bearer_token import BearerToken  # noqa: E402
from test_tokens import read_tokens  # noqa: E402
from network import free_host_port, host_tsc_khz  # noqa: E402  (sibling benchmark)

import grpc  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CLIENTS = 8
SECONDS = 5.0
BOOT_ROUNDS = 3
MIB = 1024 * 1024
INIT_LINE = "KAPSEL-GUEST-INIT"
COMMAND_LINE = "console=ttyS0 panic=-1"
OPTIONS = [("grpc.use_local_subchannel_pool", 1), ("grpc.enable_http_proxy", 0)]
TOKENS = os.path.join(ROOT, "integration_tests", "api_system", "test_tokens.txt")
OPERATOR_TOKEN, _ = read_tokens(TOKENS)


def open_channel(address):
    """A channel whose calls carry the operator's token."""
    return grpc.intercept_channel(grpc.insecure_channel(address, options=OPTIONS), BearerToken(OPERATOR_TOKEN))


def stubs(directory):
    subprocess.run([os.path.join(ROOT, "api", "generate_python_stubs.sh"), directory], check=True)
    sys.path.insert(0, directory)
    from kapsel.v1 import host_service_pb2, host_service_pb2_grpc, image_service_pb2, image_service_pb2_grpc  # noqa
    from kapsel.v1 import vm_service_pb2, vm_service_pb2_grpc  # noqa
    return {"host": (host_service_pb2, host_service_pb2_grpc), "image": (image_service_pb2, image_service_pb2_grpc),
            "vm": (vm_service_pb2, vm_service_pb2_grpc)}


def wait_healthy(address, api, seconds):
    pb, grpc_pb = api["host"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open_channel(address) as channel:
            try:
                grpc_pb.HostServiceStub(channel).Health(pb.HealthRequest(), timeout=5)
                return True
            except grpc.RpcError:
                pass
        time.sleep(0.5)  # the forwarded port refuses until the agent listens: poll, nothing to wait on
    return False


def upload(channel, api, path):
    pb, grpc_pb = api["image"]
    with open(path, "rb") as handle:
        data = handle.read()

    def requests():
        yield pb.UploadImageRequest(header=pb.UploadImageHeader(size_bytes=len(data),
                                                                sha256=hashlib.sha256(data).hexdigest(),
                                                                display_name=os.path.basename(path)[:63]))
        for offset in range(0, len(data), MIB):
            yield pb.UploadImageRequest(chunk=data[offset:offset + MIB])
    return grpc_pb.ImageServiceStub(channel).UploadImage(requests(), timeout=300).name


def vm_spec(api, kernel, initrd, memory_mib):
    pb = api["vm"][0]
    return pb.Vm(tenant="bench", spec=pb.VmSpec(kernel_image=kernel, initrd_image=initrd, command_line=COMMAND_LINE,
                                                memory_mib=memory_mib))


def get_vm_load(address, api, name):
    """CLIENTS threads, each on its own channel (own TCP connection), GetVm in a loop for SECONDS."""
    pb, grpc_pb = api["vm"]
    latencies = queue.Queue()
    start = threading.Barrier(CLIENTS + 1)
    errors = []

    def client():
        with open_channel(address) as channel:
            stub = grpc_pb.VmServiceStub(channel)
            stub.GetVm(pb.GetVmRequest(name=name), timeout=30)  # connect before the clock starts
            start.wait()
            end = time.monotonic() + SECONDS
            mine = []
            while time.monotonic() < end:
                began = time.perf_counter()
                try:
                    stub.GetVm(pb.GetVmRequest(name=name), timeout=30)
                except grpc.RpcError as error:
                    errors.append(error.code())
                    continue
                mine.append(time.perf_counter() - began)
            latencies.put(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    samples = sorted(x for _ in range(CLIENTS) for x in latencies.get())
    if errors or not samples:
        raise RuntimeError("GetVm failed: %s" % errors[:3])
    return {"rate": len(samples) / elapsed, "p50": samples[len(samples) // 2],
            "p99": samples[min(len(samples) - 1, (len(samples) * 99) // 100)], "count": len(samples)}


def create_to_init(channel, api, kernel, initrd, memory_mib, round_number):
    """Seconds from CreateVm to the console line KAPSEL-GUEST-INIT (the stream follows the VM live)."""
    pb, grpc_pb = api["vm"]
    stub = grpc_pb.VmServiceStub(channel)
    began = time.monotonic()
    vm = stub.CreateVm(pb.CreateVmRequest(vm_id="bench-boot-%d" % round_number,
                                          vm=vm_spec(api, kernel, initrd, memory_mib)), timeout=30)
    stub.StartVm(pb.StartVmRequest(name=vm.name), timeout=30)
    seen = ""
    for chunk in stub.StreamConsole(pb.StreamConsoleRequest(name=vm.name), timeout=300):
        seen = (seen + chunk.data.decode("utf-8", "replace"))[-4096:]
        if INIT_LINE in seen:
            seconds = time.monotonic() - began
            break
    else:
        raise RuntimeError("%s ended without its /init line" % vm.name)
    for _ in stub.StreamConsole(pb.StreamConsoleRequest(name=vm.name, skip_history=True), timeout=300):
        pass  # to its end: it powers off after its checks
    stub.DeleteVm(pb.DeleteVmRequest(name=vm.name), timeout=30)
    return seconds


def kapsel_run(args, api, log_dir):
    port = free_host_port()
    address = "127.0.0.1:%d" % port
    results = {}

    def during():
        if not wait_healthy(address, api, 180):
            results["error"] = "the agent did not answer Health"
            return
        with open_channel(address) as channel:
            kernel = upload(channel, api, args.guest_kernel)
            initrd = upload(channel, api, args.initramfs)
            pb, grpc_pb = api["vm"]
            stub = grpc_pb.VmServiceStub(channel)
            target = stub.CreateVm(pb.CreateVmRequest(vm_id="bench-get", vm=vm_spec(api, kernel, initrd, 128)),
                                   timeout=30)
            results["get"] = get_vm_load(address, api, target.name)
            results["boot"] = [create_to_init(channel, api, kernel, initrd, 128, n) for n in range(BOOT_ROUNDS)]

    extra = ("-m", "2G", "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:50051" % port,
             "-device", "virtio-net-pci,netdev=n0,disable-legacy=on")
    verdict = qemu_runner.run_qemu("q35", args.kernel, args.archive, "", os.path.join(log_dir, "bench-api.log"), 900,
                                   extra=extra, during=during, until_during=True)
    if "error" in results or "boot" not in results:
        raise RuntimeError("Kapsel run: %s (%s, log %s)" % (results.get("error", "incomplete"), verdict.outcome,
                                                          verdict.log_path))
    return results


def native_run(args, api):
    server = subprocess.Popen([args.host_server, "--port", "0", "--host-name", "bench", "--max-image-mib", "64",
                               "--image-store-mib", "256", "--vm-memory-mib", "8192",
                               "--api-tokens", args.token_hashes], stdout=subprocess.PIPE,
                              text=True)
    try:
        word, port = server.stdout.readline().split()
        address = "127.0.0.1:%s" % port
        pb, grpc_pb = api["vm"]
        image_pb, image_grpc = api["image"]
        with open_channel(address) as channel:
            data = b"a kernel the fake backend never runs"
            kernel = image_grpc.ImageServiceStub(channel).UploadImage(iter([
                image_pb.UploadImageRequest(header=image_pb.UploadImageHeader(
                    size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())),
                image_pb.UploadImageRequest(chunk=data)]), timeout=30).name
            target = grpc_pb.VmServiceStub(channel).CreateVm(
                pb.CreateVmRequest(vm_id="bench-get", vm=vm_spec(api, kernel, "", 128)), timeout=30)
        return get_vm_load(address, api, target.name)
    finally:
        server.terminate()
        server.wait(timeout=30)


def microvm_init_seconds(args, log_dir, round_number):
    """QEMU microvm, same kernel, initramfs and command line: seconds from QEMU's start to the /init line."""
    log = os.path.join(log_dir, "bench-api-microvm-%d.log" % round_number)
    khz = host_tsc_khz()
    verdict = qemu_runner.run_qemu("microvm", args.guest_kernel, args.initramfs,
                                   COMMAND_LINE + (" tsc_early_khz=%d" % khz if khz else ""), log, 300,
                                   until=INIT_LINE)
    if not verdict.ok:
        raise RuntimeError("microvm: no /init line (%s, log %s)" % (verdict.outcome, log))
    return verdict.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--archive", required=True, help="the API system's boot archive")
    parser.add_argument("--guest-kernel", required=True)
    parser.add_argument("--initramfs", required=True)
    parser.add_argument("--host-server", required=True, help="agent/api_host_server")
    parser.add_argument("--token-hashes", required=True,
                        help="the test tokens' hashes for api_host_server (//integration_tests:api_system_token_hashes)")
    parser.add_argument("--log-dir", default="out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        api = stubs(directory)
        native = native_run(args, api)
        kapsel = kapsel_run(args, api, args.log_dir)
    microvm = sorted(microvm_init_seconds(args, args.log_dir, n) for n in range(BOOT_ROUNDS))
    get = kapsel["get"]
    boot = sorted(kapsel["boot"])
    print("%-58s %10s %10s %10s %9s" % ("GetVm, %d clients for %.0f s" % (CLIENTS, SECONDS), "requests/s", "p50 ms",
                                         "p99 ms", "x native"))
    print("%-58s %10.0f %10.2f %10.2f %9.2f" % ("Kapsel: agent in q35 (TCG), via hostfwd, NIC, switch, lwIP",
                                                get["rate"], get["p50"] * 1e3, get["p99"] * 1e3,
                                                get["rate"] / native["rate"]))
    print("%-58s %10.0f %10.2f %10.2f %9.2f" % ("reference: the same services natively (api_host_server)",
                                                native["rate"], native["p50"] * 1e3, native["p99"] * 1e3, 1.0))
    print("%-58s %10s %10s %10s %9s" % ("to the guest's /init line (%d rounds)" % BOOT_ROUNDS, "median s", "min s",
                                         "max s", "x microvm"))
    print("%-58s %10.2f %10.2f %10.2f %9.2f" % ("Kapsel: CreateVm + StartVm through the API", boot[len(boot) // 2],
                                                boot[0], boot[-1], boot[len(boot) // 2] / microvm[len(microvm) // 2]))
    print("%-58s %10.2f %10.2f %10.2f %9.2f" % ("reference: QEMU microvm from its process start", microvm[1],
                                                microvm[0], microvm[-1], 1.0))
    print("GetVm: %d requests in Kapsel, %d natively. Kapsel runs under QEMU TCG, the reference natively (built with "
          "ASan/UBSan, as the tests use it); both against the same Python grpcio clients on this machine, whose own "
          "cost bounds the rate: compare the ratios." % (get["count"], native["count"]))


if __name__ == "__main__":
    main()
