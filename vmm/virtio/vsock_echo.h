/*
 * A vsock service that sends back every byte it receives on a connection, for
 * the in-system test of the guest <-> host stream channel. It counts what it
 * did for the VMM's end-of-VM report. When the connection's send buffer is
 * full it takes only what it could send back, so the device withholds the
 * guest's credit instead of the echo dropping bytes.
 */
#ifndef VMM_VIRTIO_VSOCK_ECHO_H
#define VMM_VIRTIO_VSOCK_ECHO_H

#include "virtio_vsock.h"

#include <stdint.h>

struct vsock_echo {
    struct virtio_vsock *vsock;
    uint64_t connections;  /* accepted so far */
    uint64_t bytes_echoed; /* taken from the guest and queued back to it */
};

/* Starts the echo on vsock's host port (counts at zero). NULL, or why the device refused the listener. */
const char *vsock_echo_listen(struct vsock_echo *echo, struct virtio_vsock *vsock, uint32_t port);

#endif
