#include "virtio_devices.h"

#include "arch.h"

#include <kapsel/runtime.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISK_ID_PREFIX "kapsel-"

static void console_output(void *context, const uint8_t *bytes, size_t length)
{
    struct console_lines *lines = context;
    for (size_t i = 0; i < length; i++) {
        console_lines_put(lines, bytes[i]);
    }
}

/* Gives transport a slot, or says why not; init_problem is what the device's init returned. */
static const char *attach(struct vm *vm, struct virtio_slot *slot, const char *name,
                          struct virtio_mmio_device *transport, const char *init_problem)
{
    if (init_problem) {
        return init_problem;
    }
    return virtio_slot_attach(vm, slot, name, transport) == ERROR_NONE ? NULL : "no room for the device's window";
}

static const char *add_disk(struct virtio_devices *devices, struct vm *vm, const struct virtio_disk_option *option)
{
    static char problem[128];
    const void *file = NULL;
    uint64_t size = 0;
    if (!environment_file(option->file, &file, &size)) {
        snprintf(problem, sizeof(problem), "disk %s: no such file (the manifest's file lines)", option->file);
        return problem;
    }
    uint8_t *image;
    if (option->read_only) {
        image = (uint8_t *)(uintptr_t)file; /* the device never writes a read-only disk: no copy needed */
    } else if ((image = malloc(size)) != NULL) {
        memcpy(image, file, size);
    } else {
        snprintf(problem, sizeof(problem), "disk %s: no heap for a %llu KiB copy", option->file,
                 (unsigned long long)(size >> 10));
        return problem;
    }
    struct virtio_slot *slot = virtio_slot_next(vm);
    if (!slot) {
        return "too many virtio devices";
    }
    unsigned index = devices->disk_count;
    static char ids[VIRTIO_DEVICES_MAX_DISKS][VIRTIO_BLK_ID_BYTES + 1];
    snprintf(ids[index], sizeof(ids[index]), DISK_ID_PREFIX "vd%c", 'a' + index);
    const struct virtio_blk_backing backing = {
        .image = image,
        .size = size,
        .read_only = option->read_only,
        .id = ids[index],
    };
    struct virtio_blk *disk = &devices->disks[index];
    const char *refused = attach(vm, slot, "virtio-blk", &disk->transport,
                                 virtio_blk_init(disk, &vm->ram, &backing, virtio_slot_raise_interrupt, slot));
    if (refused) {
        snprintf(problem, sizeof(problem), "disk %s: %s", option->file, refused);
        return problem;
    }
    devices->disk_files[index] = option->file;
    devices->disk_count++;
    return NULL;
}

static void deliver_frames(void *context)
{
    net_link_deliver(context);
}

static const char *add_network(struct virtio_devices *devices, struct vm *vm,
                               const struct virtio_devices_config *config)
{
    const char *problem = net_link_open(&devices->link, config->net_region, config->net_end, config->net_peer);
    if (problem) {
        return problem;
    }
    struct virtio_slot *slot = virtio_slot_next(vm);
    const struct virtio_net_backend backend = net_link_backend(&devices->link);
    problem =
        attach(vm, slot, "virtio-net", &devices->net.transport,
               virtio_net_init(&devices->net, &vm->ram, config->mac, &backend, virtio_slot_raise_interrupt, slot));
    if (problem) {
        return problem;
    }
    devices->link.net = &devices->net;
    devices->has_net = true;
    vm->before_run = deliver_frames;
    vm->before_run_context = &devices->link;
    return NULL;
}

/* virtio-rng's source: the processor's hardware random source (kapsel/runtime.h). */
static void fill_entropy(void *context, uint8_t *buffer, size_t length)
{
    (void)context;
    runtime_entropy_fill(buffer, length);
}

const char *virtio_devices_add(struct virtio_devices *devices, struct vm *vm,
                               const struct virtio_devices_config *config)
{
    memset(devices, 0, sizeof(*devices));
    console_lines_init(&devices->console_lines, "console");
    struct virtio_slot *slot = virtio_slot_next(vm);
    const char *problem = attach(vm, slot, "virtio-console", &devices->console.transport,
                                 virtio_console_init(&devices->console, &vm->ram, console_output,
                                                     &devices->console_lines, virtio_slot_raise_interrupt, slot));
    if (problem) {
        return problem;
    }
    if (runtime_entropy_available()) {
        slot = virtio_slot_next(vm);
        problem =
            attach(vm, slot, "virtio-rng", &devices->rng.transport,
                   virtio_rng_init(&devices->rng, &vm->ram, fill_entropy, NULL, virtio_slot_raise_interrupt, slot));
        if (problem) {
            return problem;
        }
        devices->has_rng = true;
    } else {
        printf("no virtio-rng: the host's processor has no hardware random source (RDRAND)\n");
    }
    if (config->vsock_cid) {
        slot = virtio_slot_next(vm);
        problem =
            attach(vm, slot, "virtio-vsock", &devices->vsock.transport,
                   virtio_vsock_init(&devices->vsock, &vm->ram, config->vsock_cid, virtio_slot_raise_interrupt, slot));
        if (!problem) {
            problem = vsock_echo_listen(&devices->echo, &devices->vsock, VIRTIO_DEVICES_ECHO_PORT);
        }
        if (problem) {
            return problem;
        }
        devices->has_vsock = true;
    }
    if (config->net_region) {
        problem = add_network(devices, vm, config);
        if (problem) {
            return problem;
        }
    }
    for (unsigned i = 0; i < config->disk_count; i++) {
        problem = add_disk(devices, vm, &config->disks[i]);
        if (problem) {
            return problem;
        }
    }
    return NULL;
}

void virtio_devices_stop(struct virtio_devices *devices)
{
    if (devices->has_net) {
        net_link_close(&devices->link);
    }
}

void virtio_devices_report(struct virtio_devices *devices)
{
    console_lines_flush(&devices->console_lines);
    for (unsigned i = 0; i < devices->disk_count; i++) {
        const struct virtio_blk *disk = &devices->disks[i];
        const struct virtio_blk_statistics *statistics = &disk->statistics;
        uint8_t digest[32];
        mbedtls_sha256_ret(disk->image, disk->capacity * VIRTIO_BLK_SECTOR_SIZE, digest, 0);
        char hex[2 * sizeof(digest) + 1];
        for (size_t b = 0; b < sizeof(digest); b++) {
            snprintf(hex + 2 * b, 3, "%02x", digest[b]);
        }
        printf("disk %s: %llu sectors read, %llu written, %llu failed requests; sha256 %s\n", devices->disk_files[i],
               (unsigned long long)statistics->read_sectors, (unsigned long long)statistics->written_sectors,
               (unsigned long long)statistics->failed_requests, hex);
    }
    if (devices->has_net) {
        const struct virtio_net_statistics *net = &devices->net.statistics;
        const struct net_link_statistics *link = &devices->link.statistics;
        printf("net: %llu frames sent, %llu received; dropped: %llu link full, %llu malformed, %llu too large%s%s\n",
               (unsigned long long)net->tx_frames, (unsigned long long)net->rx_frames,
               (unsigned long long)link->dropped_full, (unsigned long long)(net->tx_malformed + net->rx_malformed),
               (unsigned long long)net->rx_dropped, devices->link.broken ? "; link stopped: " : "",
               devices->link.broken ? devices->link.broken : "");
    }
    if (devices->has_vsock) {
        printf("vsock: echo service on port %u: %llu connections, %llu bytes echoed\n", VIRTIO_DEVICES_ECHO_PORT,
               (unsigned long long)devices->echo.connections, (unsigned long long)devices->echo.bytes_echoed);
    }
}
