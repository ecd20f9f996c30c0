/*
 * The switch's control requests (kapsel/switch_control.h) read and checked, pure and host-tested: who sent it, the
 * word and item counts, each item's type, flags, rights, order and offset as the sender wrote them, the sizes, the
 * network ids and the port name. What only the running switch can tell (whether the region's pages really arrived,
 * whether a port number is in use) control.c checks afterwards.
 */
#ifndef SWITCH_CONTROL_REQUEST_H
#define SWITCH_CONTROL_REQUEST_H

#include "forwarding.h"

#include <kapsel/error.h>
#include <kapsel/switch_control.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct control_request {
    uint64_t operation; /* SWITCH_CONTROL_* */
    /* ATTACH */
    uint32_t network;
    uint64_t region_size; /* a power of two: 4 KiB << region_order */
    unsigned region_order;
    char name[SWITCH_PORT_NAME_SIZE];
    bool uplink; /* SWITCH_ATTACH_FLAG_UPLINK */
    /* DETACH, QUERY */
    unsigned port; /* below SWITCH_MAX_PORTS */
    /* SET_UPLINK_POLICY */
    unsigned network_count;
    uint32_t networks[SWITCH_UPLINK_MAX_NETWORKS];
};

/* Whether a message with this tag is a control request (the others are wakeups). */
bool control_request_is_control(uint64_t tag);

/*
 * Reads the control request with tag and message (its words, then its items' two words each, as the kernel
 * delivered them) that came through the gate labelled sender_label. ERROR_NONE with *request filled, or the refusal
 * (ERROR_MISSING_RIGHTS for a sender that may not send control requests, ERROR_INVALID_OPERATION for an unknown
 * operation, ERROR_INVALID_ARGUMENT for a malformed request) with the reason in reason (reason_size bytes,
 * NUL-terminated).
 */
enum error control_request_parse(uint64_t sender_label, uint64_t tag, const uint64_t *message,
                                 struct control_request *request, char *reason, size_t reason_size);

#endif
