#include "vsock_echo.h"

static bool accept_connection(void *context, struct vsock_connection *connection)
{
    (void)connection;
    struct vsock_echo *echo = context;
    echo->connections++;
    return true;
}

/* Takes exactly what fits in the send buffer, so what is not echoed now stays with the device. */
static size_t echo_bytes(void *context, struct vsock_connection *connection, const uint8_t *bytes, size_t length)
{
    struct vsock_echo *echo = context;
    size_t sent = virtio_vsock_send(echo->vsock, connection, bytes, length);
    echo->bytes_echoed += sent;
    return sent;
}

static void connection_closed(void *context, struct vsock_connection *connection)
{
    /* The echo keeps nothing per connection. */
    (void)context;
    (void)connection;
}

static const struct vsock_service echo_service = {
    .accept = accept_connection,
    .receive = echo_bytes,
    .closed = connection_closed,
};

const char *vsock_echo_listen(struct vsock_echo *echo, struct virtio_vsock *vsock, uint32_t port)
{
    *echo = (struct vsock_echo){.vsock = vsock};
    return virtio_vsock_listen(vsock, port, &echo_service, echo);
}
