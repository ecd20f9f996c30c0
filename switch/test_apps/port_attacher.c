/*
 * The switch's runtime ports, tested in the system (integration_tests/port_attach/manifest.txt): this app does what
 * the agent will do for each tenant VM. It holds "capability launcher", "peer:switch" and the Linux guest's kernel
 * and initramfs as its own files, and for three VMs: supplies a zeroed 256 KiB region of its heap, launches a uvmm
 * (kapsel/launcher.h) with "shared net 256K" and "capability peer:switch", maps the guest's files (read-only) and the
 * region (read-write, at APP_SHARED_ADDRESS) into it, and attaches a switch port over that region woken through a
 * copy of the uvmm's control gate (agent/switch_port.h). vm_a and vm_b are on tenant network 1 and prove it with the
 * guest /init's ping and 256 KiB TCP transfer; vm_c is on network 2 and must reach neither. It relays the VMs' log
 * lines ("[<vm>] ..."), and as each VM ends detaches its port and prints its counts; vm_c's port must have had
 * nothing delivered. First it checks a few refusals of the switch; last it attaches one more port and ends without
 * detaching it, which the switch must survive. Prints "port_attacher: N checks passed, N failed" and ends with
 * status 0 only if none failed.
 */
#include "agent/switch_port.h"

#include <kapsel/environment.h>
#include <kapsel/launcher.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VM_COUNT 3
#define REGION_SIZE (256u * 1024u) /* the spec's "shared net 256K" */
#define REGION_ORDER 6             /* 2^6 pages */
#define FIRST_CHILD_SLOT 100       /* VM i: its task capability at 100 + 2i, its control gate at 101 + 2i */
#define RUN_LIMIT_S 120            /* VMs still running after this long are stopped, and the test fails */
#define WAIT_SLICE_MS 1000         /* how often the limit is looked at while nothing arrives */
#define LINE_SIZE 512
#define MAX_MAP_ORDER 9 /* map files in blocks of up to 2 MiB */
/*
 * The guests' common command line. Without IPv6: its address configuration transmits on its own timers, and this
 * kernel's virtio_dev_shutdown breaks the queues at power-off, after which a transmit with completions not yet
 * reaped spins in virtio_net's start_xmit for good (seen once, an IPv6 DAD packet during power-off). The guest's
 * /init takes its links down before it powers off for the same reason (end_vm in integration_tests/linux/init).
 */
#define GUEST_COMMAND_LINE "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 ipv6.disable=1 kapsel.devices=1 "

struct vm {
    const char *name;
    uint32_t network;
    const char *guest; /* the guest's own words: MAC, token, address, peer, role (integration_tests/linux/init) */
    uint8_t *region;
    uint64_t handle;
    uint32_t port;
    bool created;
    bool ended;
    struct switch_port_counts counts; /* at its detach */
    char line[LINE_SIZE];             /* the uvmm's log line being assembled */
    size_t line_length;
};

static struct vm vms[VM_COUNT] = {
    {.name = "vm_a",
     .network = 1,
     .guest = "--mac 52:54:00:00:01:0a -- " GUEST_COMMAND_LINE
              "kapsel.token=port-a kapsel.net=10.0.0.1/24 kapsel.peer=10.0.0.2 kapsel.net_role=server"},
    {.name = "vm_b",
     .network = 1,
     .guest = "--mac 52:54:00:00:01:0b -- " GUEST_COMMAND_LINE
              "kapsel.token=port-b kapsel.net=10.0.0.2/24 kapsel.peer=10.0.0.1 kapsel.net_role=client"},
    {.name = "vm_c",
     .network = 2,
     .guest = "--mac 52:54:00:00:01:0c -- " GUEST_COMMAND_LINE
              "kapsel.token=port-c kapsel.net=10.0.0.3/24 kapsel.peer=10.0.0.1 kapsel.net_role=outsider"},
};

static uint64_t launcher;
static uint64_t switch_gate;
static const void *kernel, *initramfs;
static uint64_t kernel_size, initramfs_size;
static unsigned passed, failed;

static void check(bool ok, const char *what, const char *detail)
{
    printf("port_attacher: %s %s%s%s\n", ok ? "ok:" : "FAILED:", what, detail && *detail ? ": " : "",
           detail ? detail : "");
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

static uint64_t task_slot(const struct vm *vm)
{
    return FIRST_CHILD_SLOT + 2 * (uint64_t)(vm - vms);
}

static uint64_t control_slot(const struct vm *vm)
{
    return task_slot(vm) + 1;
}

/* The attacher's own pages at from (size bytes, page-aligned) mapped read-only into task at to, in large blocks. */
static enum error map_read_only(uint64_t task, uint64_t from, uint64_t to, uint64_t size)
{
    uint64_t end = from + (size + APP_PAGE_SIZE - 1) / APP_PAGE_SIZE * APP_PAGE_SIZE;
    while (from < end) {
        unsigned order = 0;
        while (order < MAX_MAP_ORDER && (from | to) % (APP_PAGE_SIZE << (order + 1)) == 0 &&
               end - from >= APP_PAGE_SIZE << (order + 1)) {
            order++;
        }
        enum error error = task_map(task, ITEM_MEMORY(from / APP_PAGE_SIZE, order, MEMORY_READ, 0), to);
        if (error != ERROR_NONE) {
            return error;
        }
        from += APP_PAGE_SIZE << order;
        to += APP_PAGE_SIZE << order;
    }
    return ERROR_NONE;
}

/* Launches vm's uvmm (not running yet), gives it its files and its region, and attaches its switch port. */
static bool prepare(struct vm *vm)
{
    char spec[LAUNCH_SPEC_MAX_SIZE];
    int length = snprintf(spec, sizeof(spec),
                          "microapp %s\nimage uvmm.elf\nquota 8M\nmemory 140M\ncapability log\n"
                          "capability factory quota=4M\ncapability scheduler\ncapability peer:switch\n"
                          "file vmlinuz\nfile initramfs.cpio\nshared net 256K\n"
                          "arguments --name %s --guest linux --kernel vmlinuz --initrd initramfs.cpio --ram 128M "
                          "--net-link net:1 --net-peer switch %s\n",
                          vm->name, vm->name, vm->guest);
    struct launch_request request = {
        .spec = spec,
        .spec_length = (size_t)length,
        .task_slot = task_slot(vm),
        .control_slot = control_slot(vm),
        .file_sizes = {kernel_size, initramfs_size},
    };
    struct launch_created created;
    char reason[LAUNCH_REASON_SIZE] = "";
    char what[96];
    enum error error = launcher_create(launcher, &request, &created, reason, sizeof(reason));
    snprintf(what, sizeof(what), "%s is created (error %d)", vm->name, (int)error);
    check(error == ERROR_NONE, what, reason);
    if (error != ERROR_NONE) {
        return false;
    }
    vm->created = true;
    vm->handle = created.handle;
    error = map_read_only(task_slot(vm), (uintptr_t)kernel, created.file_addresses[0], kernel_size);
    if (error == ERROR_NONE) {
        error = map_read_only(task_slot(vm), (uintptr_t)initramfs, created.file_addresses[1], initramfs_size);
    }
    if (error == ERROR_NONE) {
        error =
            task_map(task_slot(vm),
                     ITEM_MEMORY((uintptr_t)vm->region / APP_PAGE_SIZE, REGION_ORDER, MEMORY_READ | MEMORY_WRITE, 0),
                     APP_SHARED_ADDRESS);
    }
    snprintf(what, sizeof(what), "its files and region are mapped into %s (error %d)", vm->name, (int)error);
    check(error == ERROR_NONE, what, NULL);
    if (error != ERROR_NONE) {
        return false;
    }
    char attach_reason[SWITCH_CONTROL_REASON_SIZE] = "";
    error = switch_port_attach(switch_gate, vm->region, REGION_SIZE, vm->network, control_slot(vm), vm->name, &vm->port,
                               attach_reason, sizeof(attach_reason));
    snprintf(what, sizeof(what), "%s's port is attached on network %u as port %u (error %d)", vm->name,
             (unsigned)vm->network, (unsigned)vm->port, (int)error);
    check(error == ERROR_NONE, what, attach_reason);
    return error == ERROR_NONE;
}

/* A request the switch must refuse with expected_error and a reason containing expected_reason. */
static void expect_refusal(const char *what, enum error error, enum error expected_error, const char *reason,
                           const char *expected_reason)
{
    char detail[SWITCH_CONTROL_REASON_SIZE + 32];
    snprintf(detail, sizeof(detail), "error %d, %s", (int)error, reason);
    check(error == expected_error && strstr(reason, expected_reason) != NULL, what, detail);
}

/* Before any port exists: what the switch must refuse, and that a refused ATTACH leaves the region usable. */
static void refusals(void)
{
    char reason[SWITCH_CONTROL_REASON_SIZE] = "";
    uint32_t port = 0;
    enum error error = switch_port_attach(switch_gate, vms[0].region, REGION_SIZE, 4096, control_slot(&vms[0]),
                                          "bad-network", &port, reason, sizeof(reason));
    expect_refusal("a port on network 4096 is refused", error, ERROR_INVALID_ARGUMENT, reason,
                   "network 4096 is not in 1..4095");
    error = switch_port_detach(switch_gate, 3, NULL, reason, sizeof(reason));
    expect_refusal("detaching a port that was never attached is refused", error, ERROR_NOT_FOUND, reason,
                   "port 3 was not attached at runtime");
    uint32_t networks[] = {1, 2};
    error = switch_uplink_policy(switch_gate, networks, 2, NULL, reason, sizeof(reason));
    expect_refusal("an uplink policy without an uplink is refused", error, ERROR_NOT_FOUND, reason,
                   "the switch has no uplink port");
}

/* Prints the VM's log lines as they complete ("[vm_a] ..."); with flush, also what is left. */
static void relay_log(struct vm *vm, const char *bytes, size_t count, bool flush)
{
    for (size_t i = 0; i < count; i++) {
        if (bytes[i] == '\n' || vm->line_length == LINE_SIZE - 1) {
            printf("[%s] %.*s\n", vm->name, (int)vm->line_length, vm->line);
            vm->line_length = 0;
        }
        if (bytes[i] != '\n') {
            vm->line[vm->line_length++] = bytes[i];
        }
    }
    if (flush && vm->line_length > 0) {
        printf("[%s] %.*s\n", vm->name, (int)vm->line_length, vm->line);
        vm->line_length = 0;
    }
}

/* The VM has ended: why, then its port's last counts as the switch detaches it, then its handle is released. */
static void finish(struct vm *vm)
{
    relay_log(vm, NULL, 0, true);
    vm->ended = true;
    char reason[LAUNCH_REASON_SIZE] = "";
    enum launch_state state = 0;
    uint64_t kernel_memory = 0;
    launcher_status(launcher, vm->handle, &state, &kernel_memory, reason, sizeof(reason));
    printf("port_attacher: %s ended: %s\n", vm->name, reason);
    char detach_reason[SWITCH_CONTROL_REASON_SIZE] = "";
    enum error error = switch_port_detach(switch_gate, vm->port, &vm->counts, detach_reason, sizeof(detach_reason));
    char what[160];
    snprintf(what, sizeof(what),
             "%s's port %u (network %u) is detached: %llu frames in, %llu out, %llu dropped at full destinations",
             vm->name, (unsigned)vm->port, (unsigned)vm->network, (unsigned long long)vm->counts.frames_in,
             (unsigned long long)vm->counts.frames_out, (unsigned long long)vm->counts.dropped_destination_full);
    check(error == ERROR_NONE && (vm->counts.flags & SWITCH_PORT_FLAG_RUNTIME), what, detach_reason);
    launcher_release(launcher, vm->handle, reason, sizeof(reason));
}

/* Serves the VMs' log writes and end notices until every VM has ended; false if one still runs at the limit. */
static bool serve_until_all_ended(void)
{
    time_t limit = time(NULL) + RUN_LIMIT_S;
    unsigned running = VM_COUNT;
    while (running > 0) {
        if (time(NULL) > limit) {
            return false;
        }
        struct invoke_result received = ipc_wait(TIMEOUTS(0, WAIT_SLICE_MS));
        if (received.error != ERROR_NONE) {
            continue;
        }
        for (struct vm *vm = vms; vm < vms + VM_COUNT; vm++) {
            if (!vm->created) {
                continue;
            }
            if (received.label == (LAUNCH_LABEL_LOG | vm->handle) &&
                MESSAGE_TAG_LABEL(received.tag) == LABEL_LOG_WRITE) {
                uint64_t bytes = utcb()->message[0];
                char text[LOG_MAX_BYTES];
                bool fits = bytes <= LOG_MAX_BYTES && MESSAGE_TAG_WORDS(received.tag) >= 1 + (bytes + 7) / 8;
                if (fits) {
                    memcpy(text, &utcb()->message[1], bytes);
                }
                ipc_reply(MESSAGE_TAG(fits ? ERROR_NONE : ERROR_INVALID_ARGUMENT, 0, 0));
                relay_log(vm, text, fits ? bytes : 0, false);
            } else if (received.label == (LAUNCH_LABEL_ENDED | vm->handle) && !vm->ended) {
                finish(vm);
                running--;
            }
        }
        /* Anything else is the switch asking whether this app still lives (kapsel/switch_control.h). */
    }
    return true;
}

/*
 * Attaches one more port over vm_a's region, zeroed again, and ends without detaching it: the switch must notice that
 * the region went with this app and free the port. No VM owns it, so this app's own gate to the switch stands in for
 * the owner's (the switch's wakeups through it go nowhere).
 */
static void leave_a_port_behind(void)
{
    memset(vms[0].region, 0, REGION_SIZE);
    char reason[SWITCH_CONTROL_REASON_SIZE] = "";
    uint32_t port = 0;
    enum error error = switch_port_attach(switch_gate, vms[0].region, REGION_SIZE, 3, switch_gate, "left-behind", &port,
                                          reason, sizeof(reason));
    char what[96];
    snprintf(what, sizeof(what), "a port on network 3 is attached as port %u and left behind (error %d)",
             (unsigned)port, (int)error);
    check(error == ERROR_NONE, what, reason);
}

static bool find_files(void)
{
    bool found = environment_file("vmlinuz", &kernel, &kernel_size) &&
                 environment_file("initramfs.cpio", &initramfs, &initramfs_size);
    check(found, "the guest's kernel and initramfs are this app's files", NULL);
    return found;
}

int main(void)
{
    launcher = capability_named("launcher");
    switch_gate = capability_named("peer:switch");
    if (!launcher || !switch_gate) {
        printf("port_attacher: needs capability launcher and capability peer:switch\n");
        return 1;
    }
    for (struct vm *vm = vms; vm < vms + VM_COUNT; vm++) {
        /* Aligned to its size, so that one memory item maps it; zeroed, which is an empty link. */
        vm->region = memalign(REGION_SIZE, REGION_SIZE);
        if (!vm->region) {
            printf("port_attacher: no memory for %s's region\n", vm->name);
            return 1;
        }
        memset(vm->region, 0, REGION_SIZE);
    }
    refusals();
    bool ready = find_files();
    for (struct vm *vm = vms; vm < vms + VM_COUNT && ready; vm++) {
        ready = prepare(vm);
    }
    struct switch_port_counts counts;
    char reason[SWITCH_CONTROL_REASON_SIZE] = "";
    enum error error =
        ready ? switch_port_query(switch_gate, vms[2].port, &counts, reason, sizeof(reason)) : ERROR_INVALID_OPERATION;
    check(error == ERROR_NONE && counts.flags == SWITCH_PORT_FLAG_RUNTIME && counts.network_count == 1 &&
              counts.networks[0] == 2 && counts.frames_in == 0,
          "the switch reports vm_c's port as a runtime port on network 2, not used yet", reason);
    for (struct vm *vm = vms; vm < vms + VM_COUNT && ready; vm++) {
        char launch_reason[LAUNCH_REASON_SIZE] = "";
        ready = launcher_run(launcher, vm->handle, launch_reason, sizeof(launch_reason)) == ERROR_NONE;
        char what[32];
        snprintf(what, sizeof(what), "%s runs", vm->name);
        check(ready, what, launch_reason);
    }
    bool all_ended = ready && serve_until_all_ended();
    check(all_ended, "every VM ended", all_ended ? NULL : ready ? "not within the limit" : "not every VM started");
    for (struct vm *vm = vms; vm < vms + VM_COUNT; vm++) {
        if (vm->created && !vm->ended) {
            launcher_stop(launcher, vm->handle, reason, sizeof(reason));
        }
    }
    if (all_ended) {
        check(vms[0].counts.frames_in > 0 && vms[0].counts.frames_out > 0 && vms[1].counts.frames_in > 0 &&
                  vms[1].counts.frames_out > 0,
              "network 1's ports moved frames both ways", NULL);
        check(vms[2].counts.frames_in > 0 && vms[2].counts.frames_out == 0,
              "network 2's port sent frames and had none delivered", NULL);
        leave_a_port_behind();
    }
    printf("port_attacher: %u checks passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
