/* A TCP transfer between the two interfaces of a net_pair (pair.h), through lwIP's raw API: a server on b
 * accepts one connection from a client on a, which sends a byte stream and closes; then the server closes. */
#ifndef KAPSEL_NET_TESTING_PAIR_TCP_TRANSFER_H
#define KAPSEL_NET_TESTING_PAIR_TCP_TRANSFER_H

#include "pair.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_transfer_result {
    bool connected;             /* the client connected and the server accepted */
    size_t bytes_sent;          /* written by the client */
    size_t bytes_acknowledged;  /* of those, acknowledged by the server */
    size_t bytes_received;      /* by the server */
    uint32_t checksum_sent;     /* FNV-1a of the bytes written */
    uint32_t checksum_received; /* FNV-1a of the bytes received, in order */
    bool server_saw_end;        /* the server received the client's FIN after the data */
    bool client_saw_end;        /* the client received the server's FIN */
    bool closed;                /* then the server's connection ended and the client's waits in TIME-WAIT */
    int error;                  /* the first lwIP error (err_t) a call returned or a callback reported; ERR_OK */
    uint32_t elapsed_ms;        /* lwIP's clock from the connect to the end */
};

/*
 * Sends length bytes of a fixed pattern from a to b's port and closes the connection both ways, all within
 * timeout_ms of lwIP's clock. True if it all worked: *result says what happened either way.
 */
bool net_pair_tcp_transfer(struct net_pair *pair, uint16_t port, size_t length, uint32_t timeout_ms,
                           struct tcp_transfer_result *result);

#endif
