/*
 * A Linux guest's virtio devices, each in a virtio-mmio slot: a console
 * (hvc0, printed as "console: <line>"), an entropy device when the host has a
 * hardware random source, a socket device when the VM has a CID (its host
 * port VIRTIO_DEVICES_ECHO_PORT is an echo service until the management
 * agent takes the host end), a network port when the VM is linked to
 * another (net_link.h), and the disks. A writable disk is the VMM's own
 * copy of the file it was handed; at the end the VM reports each disk's
 * traffic and the SHA-256 of its final content, so a test can check what the
 * guest wrote.
 */
#ifndef VMM_VIRTIO_DEVICES_H
#define VMM_VIRTIO_DEVICES_H

#include "devices/console_lines.h"
#include "net_link.h"
#include "virtio/virtio_blk.h"
#include "virtio/virtio_console.h"
#include "virtio/virtio_rng.h"
#include "virtio/virtio_vsock.h"
#include "virtio/vsock_echo.h"
#include "vm.h"

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_DEVICES_MAX_DISKS 4
#define VIRTIO_DEVICES_ECHO_PORT 5000u

struct virtio_disk_option {
    const char *file; /* a file the root task handed this app */
    bool read_only;
};

struct virtio_devices_config {
    struct virtio_disk_option disks[VIRTIO_DEVICES_MAX_DISKS];
    unsigned disk_count;
    uint64_t vsock_cid;     /* 0: no socket device */
    const char *net_region; /* the shared region of the VM's network link; NULL: no network port */
    unsigned net_end;       /* which end of the link this VM is (0 or 1) */
    const char *net_peer;   /* the linked VM's app, woken through the capability "peer:<app>"; NULL: none */
    uint8_t mac[6];
};

struct virtio_devices {
    struct console_lines console_lines;
    struct virtio_console console;
    struct virtio_rng rng;
    bool has_rng;
    struct virtio_vsock vsock;
    struct vsock_echo echo;
    bool has_vsock;
    struct virtio_net net;
    struct net_link link;
    bool has_net;
    struct virtio_blk disks[VIRTIO_DEVICES_MAX_DISKS];
    const char *disk_files[VIRTIO_DEVICES_MAX_DISKS];
    unsigned disk_count;
};

/* Creates the devices config asks for and attaches them to vm's slots: NULL, or why not (the VM is not started). */
const char *virtio_devices_add(struct virtio_devices *devices, struct vm *vm,
                               const struct virtio_devices_config *config);

/* The VM ended: tells the devices' peers (a linked network's other end). */
void virtio_devices_stop(struct virtio_devices *devices);

/* At the VM's end: the console's last partial line, each disk's traffic and digest, the socket's and network's counts.
 */
void virtio_devices_report(struct virtio_devices *devices);

#endif
