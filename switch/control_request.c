#include "control_request.h"

#include <kapsel/abi.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 4096ull
#define REGION_RIGHTS (MEMORY_READ | MEMORY_WRITE)

_Static_assert(SWITCH_UPLINK_MAX_NETWORKS <= SWITCH_PORT_MAX_NETWORKS, "an uplink can be on every network allowed");
_Static_assert(SWITCH_ATTACH_WORDS + 2 * SWITCH_ATTACH_ITEMS <= MESSAGE_REGISTERS, "an ATTACH fits one message");
_Static_assert(1 + SWITCH_UPLINK_MAX_NETWORKS <= MESSAGE_REGISTERS, "a policy fits one message");
_Static_assert(SWITCH_CONTROL_FIRST_LABEL > SWITCH_WAKE_LABEL, "a wakeup is no control request");

static enum error refuse(enum error error, char *reason, size_t reason_size, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static enum error refuse(enum error error, char *reason, size_t reason_size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reason, reason_size, format, arguments);
    va_end(arguments);
    return error;
}

bool control_request_is_control(uint64_t tag)
{
    uint64_t label = MESSAGE_TAG_LABEL(tag);
    return label >= SWITCH_CONTROL_FIRST_LABEL && label <= SWITCH_CONTROL_LAST_LABEL;
}

static const char *operation_name(uint64_t operation)
{
    switch (operation) {
    case SWITCH_CONTROL_ATTACH:
        return "attach";
    case SWITCH_CONTROL_DETACH:
        return "detach";
    case SWITCH_CONTROL_QUERY:
        return "query";
    default:
        return "uplink policy";
    }
}

/* The request's word and item counts must be exactly these. */
static enum error check_shape(uint64_t tag, unsigned words, unsigned items, char *reason, size_t reason_size)
{
    if (MESSAGE_TAG_WORDS(tag) != words || MESSAGE_TAG_ITEMS(tag) != items) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "%s takes %u words and %u items, not %u and %u",
                      operation_name(MESSAGE_TAG_LABEL(tag)), words, items, MESSAGE_TAG_WORDS(tag),
                      MESSAGE_TAG_ITEMS(tag));
    }
    return ERROR_NONE;
}

static bool network_in_range(uint64_t network)
{
    return network >= SWITCH_NETWORK_MIN && network <= SWITCH_NETWORK_MAX;
}

static enum error read_name(const uint64_t *words, char *name, char *reason, size_t reason_size)
{
    memcpy(name, words, SWITCH_PORT_NAME_SIZE);
    size_t length = strnlen(name, SWITCH_PORT_NAME_SIZE);
    if (length == 0 || length == SWITCH_PORT_NAME_SIZE) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "the port name is %s",
                      length == 0 ? "empty" : "not NUL-terminated within 32 bytes");
    }
    for (size_t i = 0; i < length; i++) {
        if (name[i] <= ' ' || name[i] > '~') {
            return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size,
                          "the port name has byte 0x%02x at %zu: only printable characters, no blanks",
                          (unsigned)(unsigned char)name[i], i);
        }
    }
    return ERROR_NONE;
}

static enum error parse_region_item(uint64_t item, uint64_t offset, uint64_t size, struct control_request *request,
                                    char *reason, size_t reason_size)
{
    if (ITEM_TYPE(item) != ITEM_TYPE_MEMORY || ITEM_FLAGS(item) != 0 || ITEM_RIGHTS(item) != REGION_RIGHTS ||
        offset != 0) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size,
                      "item 0 is not the region mapped read-write (a memory item, not granted, offset 0)");
    }
    unsigned order = ITEM_ORDER(item);
    uint64_t item_size = order < 32 ? PAGE_SIZE << order : 0;
    if (item_size < SWITCH_PORT_REGION_MIN_SIZE || item_size > SWITCH_PORT_REGION_MAX_SIZE || item_size != size) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size,
                      "region of %llu bytes, mapped as 2^%u pages: both must be one power of two, 16 KiB..1 MiB",
                      (unsigned long long)size, order);
    }
    request->region_size = size;
    request->region_order = order;
    return ERROR_NONE;
}

static enum error parse_attach(uint64_t tag, const uint64_t *message, struct control_request *request, char *reason,
                               size_t reason_size)
{
    enum error error = check_shape(tag, SWITCH_ATTACH_WORDS, SWITCH_ATTACH_ITEMS, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    uint64_t network = message[SWITCH_ATTACH_NETWORK];
    if (!network_in_range(network)) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "network %llu is not in %u..%u",
                      (unsigned long long)network, SWITCH_NETWORK_MIN, SWITCH_NETWORK_MAX);
    }
    request->network = (uint32_t)network;
    error = read_name(&message[SWITCH_ATTACH_NAME], request->name, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    uint64_t flags = message[SWITCH_ATTACH_FLAGS];
    if (flags & ~SWITCH_ATTACH_FLAGS_KNOWN) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "unknown attach flags 0x%llx",
                      (unsigned long long)(flags & ~SWITCH_ATTACH_FLAGS_KNOWN));
    }
    request->uplink = (flags & SWITCH_ATTACH_FLAG_UPLINK) != 0;
    const uint64_t *items = &message[SWITCH_ATTACH_WORDS];
    error = parse_region_item(items[0], items[1], message[SWITCH_ATTACH_REGION_SIZE], request, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    uint64_t gate = items[2];
    if (ITEM_TYPE(gate) != ITEM_TYPE_CAPABILITY || ITEM_FLAGS(gate) != 0 || ITEM_ORDER(gate) != 0 ||
        !(ITEM_RIGHTS(gate) & RIGHT_WRITE) || items[3] != 0) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size,
                      "item 1 is not one gate to wake the port's owner (a capability item with RIGHT_WRITE, not "
                      "granted, order 0, offset 0)");
    }
    return ERROR_NONE;
}

static enum error parse_port(uint64_t tag, const uint64_t *message, struct control_request *request, char *reason,
                             size_t reason_size)
{
    enum error error = check_shape(tag, 1, 0, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    if (message[0] >= SWITCH_MAX_PORTS) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "port %llu: the switch has ports 0..%d",
                      (unsigned long long)message[0], SWITCH_MAX_PORTS - 1);
    }
    request->port = (unsigned)message[0];
    return ERROR_NONE;
}

static enum error parse_uplink_policy(uint64_t tag, const uint64_t *message, struct control_request *request,
                                      char *reason, size_t reason_size)
{
    uint64_t count = MESSAGE_TAG_WORDS(tag) > 0 ? message[0] : 0;
    if (MESSAGE_TAG_WORDS(tag) == 0 || count > SWITCH_UPLINK_MAX_NETWORKS) {
        return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size,
                      "uplink policy: [0] must count the networks that follow, at most %u", SWITCH_UPLINK_MAX_NETWORKS);
    }
    enum error error = check_shape(tag, 1 + (unsigned)count, 0, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    for (unsigned i = 0; i < count; i++) {
        uint64_t network = message[1 + i];
        if (!network_in_range(network)) {
            return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "network %llu is not in %u..%u",
                          (unsigned long long)network, SWITCH_NETWORK_MIN, SWITCH_NETWORK_MAX);
        }
        for (unsigned j = 0; j < i; j++) {
            if (request->networks[j] == network) {
                return refuse(ERROR_INVALID_ARGUMENT, reason, reason_size, "network %llu is listed twice",
                              (unsigned long long)network);
            }
        }
        request->networks[i] = (uint32_t)network;
    }
    request->network_count = (unsigned)count;
    return ERROR_NONE;
}

enum error control_request_parse(uint64_t sender_label, uint64_t tag, const uint64_t *message,
                                 struct control_request *request, char *reason, size_t reason_size)
{
    memset(request, 0, sizeof(*request));
    reason[0] = '\0';
    if (sender_label >= SWITCH_CONTROL_SENDER_LIMIT) {
        return refuse(ERROR_MISSING_RIGHTS, reason, reason_size,
                      "control requests come only from apps of the boot manifest, not from gate label 0x%llx (a "
                      "launched app's)",
                      (unsigned long long)sender_label);
    }
    request->operation = MESSAGE_TAG_LABEL(tag);
    switch (request->operation) {
    case SWITCH_CONTROL_ATTACH:
        return parse_attach(tag, message, request, reason, reason_size);
    case SWITCH_CONTROL_DETACH:
    case SWITCH_CONTROL_QUERY:
        return parse_port(tag, message, request, reason, reason_size);
    case SWITCH_CONTROL_SET_UPLINK_POLICY:
        return parse_uplink_policy(tag, message, request, reason, reason_size);
    default:
        return refuse(ERROR_INVALID_OPERATION, reason, reason_size, "unknown switch control operation 0x%llx",
                      (unsigned long long)request->operation);
    }
}
