/*
 * The socket device (VIRTIO 1.2 section 5.10): stream connections between the
 * guest (its CID from the configuration space) and the host (CID 2). Queues
 * rx (host to guest), tx (guest to host) and event; stream sockets only, so no
 * device feature bits.
 *
 * The host end is a table of listeners, each a port with a vsock_service the
 * VMM connects to it (the echo service now, the management agent later). The
 * device speaks the protocol for them: it answers connection requests, keeps
 * the credit accounting both ways, and holds what cannot move yet in fixed,
 * bounded per-connection buffers, so a guest can neither make the VMM allocate
 * nor make it drop stream bytes. Nothing here allocates or makes system calls.
 */
#ifndef VMM_VIRTIO_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VIRTIO_VSOCK_H

#include "virtio_mmio.h"
#include "virtqueue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

#define VIRTIO_VSOCK_RX_QUEUE 0u
#define VIRTIO_VSOCK_TX_QUEUE 1u
#define VIRTIO_VSOCK_EVENT_QUEUE 2u
#define VIRTIO_VSOCK_QUEUE_COUNT 3u

/* The configuration space: le64 guest_cid. */
#define VIRTIO_VSOCK_CONFIG_SIZE 8u

/* The well-known CID of the host, the only destination this device serves. */
#define VIRTIO_VSOCK_HOST_CID 2u

/* struct virtio_vsock_hdr: 44 bytes, little-endian, before every packet's payload. */
#define VIRTIO_VSOCK_HEADER_SIZE 44u

#define VIRTIO_VSOCK_TYPE_STREAM 1u

#define VIRTIO_VSOCK_OP_REQUEST 1u
#define VIRTIO_VSOCK_OP_RESPONSE 2u
#define VIRTIO_VSOCK_OP_RST 3u
#define VIRTIO_VSOCK_OP_SHUTDOWN 4u
#define VIRTIO_VSOCK_OP_RW 5u
#define VIRTIO_VSOCK_OP_CREDIT_UPDATE 6u
#define VIRTIO_VSOCK_OP_CREDIT_REQUEST 7u

/* SHUTDOWN flags: the sender will receive no more data / will send no more data. */
#define VIRTIO_VSOCK_SHUTDOWN_RECEIVE 1u
#define VIRTIO_VSOCK_SHUTDOWN_SEND 2u
#define VIRTIO_VSOCK_SHUTDOWN_BOTH (VIRTIO_VSOCK_SHUTDOWN_RECEIVE | VIRTIO_VSOCK_SHUTDOWN_SEND)

/* Not a port: Linux's VMADDR_PORT_ANY. */
#define VIRTIO_VSOCK_PORT_ANY 0xffffffffu

#define VIRTIO_VSOCK_MAX_CONNECTIONS 16u
#define VIRTIO_VSOCK_MAX_LISTENERS 4u
/*
 * Bytes each connection holds in each direction: what the host advertises to
 * the guest as buf_alloc, and what a service may have queued for the guest.
 */
#define VIRTIO_VSOCK_BUFFER_SIZE 4096u
/* The longest payload a guest packet may claim, whatever its credit (Linux sends at most 64 KiB). */
#define VIRTIO_VSOCK_MAX_PAYLOAD 65536u
/* RST replies to packets that name no connection, waiting for rx buffers; when full, tx waits too. */
#define VIRTIO_VSOCK_PENDING_RESETS 16u

struct vsock_connection;

/*
 * What the host end of a listening port does. Callbacks run inside the
 * device's own processing; they may call virtio_vsock_send and
 * virtio_vsock_close (whose effect then follows once they return).
 */
struct vsock_service {
    /* A guest connects: true takes the connection (RESPONSE), false refuses it (RST). */
    bool (*accept)(void *context, struct vsock_connection *connection);
    /*
     * Stream bytes from the guest, in order. Returns how many it took (up to
     * length); the rest stays in the connection's receive buffer, withholding
     * the guest's credit, and is offered again once the connection's send
     * buffer has moved on to the guest. That is how a service that answers
     * (the echo) pushes back instead of losing bytes.
     */
    size_t (*receive)(void *context, struct vsock_connection *connection, const uint8_t *bytes, size_t length);
    /*
     * The guest ended the connection (SHUTDOWN, RST, a protocol violation, a
     * device reset); not called after the service's own virtio_vsock_close.
     * The connection must not be used afterwards.
     */
    void (*closed)(void *context, struct vsock_connection *connection);
};

/* A byte queue of fixed capacity, first in first out. */
struct vsock_byte_ring {
    uint32_t start;
    uint32_t count;
    uint8_t bytes[VIRTIO_VSOCK_BUFFER_SIZE];
};

enum vsock_connection_state {
    VSOCK_CONNECTION_FREE = 0,
    VSOCK_CONNECTION_OPEN,
    VSOCK_CONNECTION_HOST_CLOSING, /* the service closed: data, then SHUTDOWN, then the guest's RST */
    VSOCK_CONNECTION_RESETTING,    /* over: an RST for the guest is pending, then the slot is free */
};

/* One stream, identified by (guest_port, host_port). Services read the ports; the rest is the device's. */
struct vsock_connection {
    uint32_t guest_port;
    uint32_t host_port;
    enum vsock_connection_state state;
    const struct vsock_service *service;
    void *service_context;
    bool response_pending;      /* the guest's REQUEST is not answered yet */
    bool credit_update_pending; /* the guest should learn fwd_cnt */
    bool shutdown_sent;
    uint32_t guest_shutdown; /* VIRTIO_VSOCK_SHUTDOWN_* the guest announced, for good */
    /* Credit the guest gave (its last header) and the payload bytes sent to it, free-running. */
    uint32_t guest_buf_alloc;
    uint32_t guest_fwd_cnt;
    uint32_t sent_count;
    /* Payload bytes the service took, free-running, and the value the guest last saw. */
    uint32_t forwarded_count;
    uint32_t advertised_forwarded_count;
    struct vsock_byte_ring received; /* from the guest, not yet taken by the service */
    struct vsock_byte_ring to_send;  /* from the service, not yet in the guest's rx buffers */
};

struct vsock_listener {
    uint32_t port;
    const struct vsock_service *service; /* NULL: the entry is unused */
    void *context;
};

/* An RST owed to the guest for a packet that named no connection. */
struct vsock_pending_reset {
    uint32_t guest_port;
    uint32_t host_port;
};

struct virtio_vsock {
    struct virtio_mmio_device transport; /* what the VMM forwards the MMIO window to */
    uint64_t guest_cid;
    bool busy;                /* inside the device's processing: API calls from callbacks only change state */
    uint16_t next_connection; /* where the search for the next rx packet starts, so connections take turns */
    struct vsock_listener listeners[VIRTIO_VSOCK_MAX_LISTENERS];
    struct vsock_connection connections[VIRTIO_VSOCK_MAX_CONNECTIONS];
    struct vsock_pending_reset pending_resets[VIRTIO_VSOCK_PENDING_RESETS];
    uint16_t pending_reset_start;
    uint16_t pending_reset_count;
    struct virtq_chain chain; /* the chain being handled: too large for a small stack */
};

/*
 * Sets up the device for a guest whose context ID is guest_cid (not 0, 1, 2 or
 * 0xffffffff and above: reserved), with no listeners. The VMM then forwards
 * the guest's accesses to its window to virtio_mmio_read/write(&vsock->transport,
 * ...). NULL, or why it cannot be set up.
 */
const char *virtio_vsock_init(struct virtio_vsock *vsock, const struct guest_memory *memory, uint64_t guest_cid,
                              void (*raise_interrupt)(void *context), void *interrupt_context);

/*
 * Connects service (with context) to host port: guest connections to it go to
 * the service from now on. NULL, or why not (port taken, table full, service
 * incomplete).
 */
const char *virtio_vsock_listen(struct virtio_vsock *vsock, uint32_t port, const struct vsock_service *service,
                                void *context);

/*
 * Queues bytes for the guest on an open connection; returns how many fit in
 * its send buffer (0 once the connection is closing or the guest will receive
 * no more). They reach the guest as its rx buffers and credit allow.
 */
size_t virtio_vsock_send(struct virtio_vsock *vsock, struct vsock_connection *connection, const uint8_t *bytes,
                         size_t length);

/*
 * The service is done with connection: queued bytes still go to the guest,
 * then a SHUTDOWN; whatever the guest still sends is dropped. The service must
 * not use the connection afterwards; closed is not called for it.
 */
void virtio_vsock_close(struct virtio_vsock *vsock, struct vsock_connection *connection);

#endif
