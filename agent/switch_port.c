#include "switch_port.h"

#include <kapsel/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 4096u
#define TIMEOUTS_CALL TIMEOUTS(SWITCH_PORT_TIMEOUT_MS, SWITCH_PORT_TIMEOUT_MS)

static enum error refuse(char *reason, size_t reason_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* A request the agent does not send: ERROR_INVALID_ARGUMENT with the reason. */
static enum error refuse(char *reason, size_t reason_size, const char *format, ...)
{
    if (reason && reason_size) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(reason, reason_size, format, arguments);
        va_end(arguments);
    }
    return ERROR_INVALID_ARGUMENT;
}

/* Copies a refusal's reason ([0] length, then bytes) out of the reply. */
static void copy_reason(uint64_t tag, char *reason, size_t reason_size)
{
    unsigned words = MESSAGE_TAG_WORDS(tag);
    uint64_t length = words > 0 ? utcb()->message[0] : 0;
    uint64_t available = words > 0 ? (words - 1) * 8ull : 0;
    length = length < available ? length : available;
    length = length < reason_size - 1 ? length : reason_size - 1;
    memcpy(reason, &utcb()->message[1], length);
    reason[length] = '\0';
}

/* One call with words words (and items) already in the message registers; the switch's answer. */
static enum error request(uint64_t switch_gate, uint64_t operation, unsigned words, unsigned items, uint64_t *reply_tag,
                          char *reason, size_t reason_size)
{
    if (reason && reason_size) {
        reason[0] = '\0';
    }
    struct invoke_result reply = ipc_call(switch_gate, MESSAGE_TAG(operation, words, items), TIMEOUTS_CALL);
    if (reply.error != ERROR_NONE) {
        return reply.error;
    }
    *reply_tag = reply.tag;
    enum error answer = (enum error)MESSAGE_TAG_LABEL(reply.tag);
    if (answer != ERROR_NONE && reason && reason_size) {
        copy_reason(reply.tag, reason, reason_size);
    }
    return answer;
}

static unsigned order_of(size_t size)
{
    unsigned order = 0;
    while (((size_t)PAGE_SIZE << order) < size) {
        order++;
    }
    return order;
}

/* ATTACH with flags (SWITCH_ATTACH_FLAG_*). */
static enum error attach(uint64_t switch_gate, void *region, size_t size, uint32_t network_id, uint64_t flags,
                         uint64_t wake_gate_slot, const char *name, uint32_t *port, char *reason, size_t reason_size)
{
    if (size < SWITCH_PORT_REGION_MIN_SIZE || size > SWITCH_PORT_REGION_MAX_SIZE || (size & (size - 1)) != 0 ||
        (uintptr_t)region % size != 0) {
        return refuse(reason, reason_size,
                      "a port's region is a power of two of 16 KiB..1 MiB aligned to its size, "
                      "not %zu bytes at %p",
                      size, region);
    }
    size_t name_length = strlen(name);
    if (name_length == 0 || name_length >= SWITCH_PORT_NAME_SIZE) {
        return refuse(reason, reason_size, "a port's name has 1..%u characters", SWITCH_PORT_NAME_SIZE - 1);
    }
    /* A page never touched is not mapped yet, and the kernel would skip it: the switch would refuse the hole. */
    for (size_t offset = 0; offset < size; offset += PAGE_SIZE) {
        (void)*(volatile const uint8_t *)((const uint8_t *)region + offset);
    }
    uint64_t *message = utcb()->message;
    memset(message, 0, SWITCH_ATTACH_WORDS * sizeof(uint64_t));
    message[SWITCH_ATTACH_NETWORK] = network_id;
    message[SWITCH_ATTACH_REGION_SIZE] = size;
    memcpy(&message[SWITCH_ATTACH_NAME], name, name_length);
    message[SWITCH_ATTACH_FLAGS] = flags;
    message[SWITCH_ATTACH_WORDS] =
        ITEM_MEMORY((uintptr_t)region / PAGE_SIZE, order_of(size), MEMORY_READ | MEMORY_WRITE, 0);
    message[SWITCH_ATTACH_WORDS + 1] = 0;
    message[SWITCH_ATTACH_WORDS + 2] = ITEM_CAPABILITY(wake_gate_slot, 0, RIGHT_WRITE, 0);
    message[SWITCH_ATTACH_WORDS + 3] = 0;
    uint64_t tag = 0;
    enum error error = request(switch_gate, SWITCH_CONTROL_ATTACH, SWITCH_ATTACH_WORDS, SWITCH_ATTACH_ITEMS, &tag,
                               reason, reason_size);
    if (error == ERROR_NONE) {
        if (MESSAGE_TAG_WORDS(tag) < 1) {
            return ERROR_MALFORMED;
        }
        *port = (uint32_t)utcb()->message[0];
    }
    return error;
}

enum error switch_port_attach(uint64_t switch_gate, void *region, size_t size, uint32_t network_id,
                              uint64_t wake_gate_slot, const char *name, uint32_t *port, char *reason,
                              size_t reason_size)
{
    return attach(switch_gate, region, size, network_id, 0, wake_gate_slot, name, port, reason, reason_size);
}

enum error switch_port_attach_uplink(uint64_t switch_gate, void *region, size_t size, uint32_t network_id,
                                     uint64_t wake_gate_slot, const char *name, uint32_t *port, char *reason,
                                     size_t reason_size)
{
    return attach(switch_gate, region, size, network_id, SWITCH_ATTACH_FLAG_UPLINK, wake_gate_slot, name, port, reason,
                  reason_size);
}

/* DETACH or QUERY of port, whose reply carries its counts. */
static enum error port_request(uint64_t switch_gate, uint64_t operation, uint32_t port,
                               struct switch_port_counts *counts, char *reason, size_t reason_size)
{
    utcb()->message[0] = port;
    uint64_t tag = 0;
    enum error error = request(switch_gate, operation, 1, 0, &tag, reason, reason_size);
    if (error != ERROR_NONE || !counts) {
        return error;
    }
    const uint64_t *message = utcb()->message;
    unsigned words = MESSAGE_TAG_WORDS(tag);
    if (words < SWITCH_PORT_INFO_NETWORKS || message[SWITCH_PORT_INFO_NETWORK_COUNT] > SWITCH_UPLINK_MAX_NETWORKS ||
        words != SWITCH_PORT_INFO_NETWORKS + message[SWITCH_PORT_INFO_NETWORK_COUNT]) {
        return ERROR_MALFORMED;
    }
    *counts = (struct switch_port_counts){
        .frames_in = message[SWITCH_PORT_INFO_FRAMES_IN],
        .frames_out = message[SWITCH_PORT_INFO_FRAMES_OUT],
        .dropped_destination_full = message[SWITCH_PORT_INFO_DROPPED],
        .flags = message[SWITCH_PORT_INFO_FLAGS],
        .network_count = (unsigned)message[SWITCH_PORT_INFO_NETWORK_COUNT],
    };
    for (unsigned i = 0; i < counts->network_count; i++) {
        counts->networks[i] = (uint32_t)message[SWITCH_PORT_INFO_NETWORKS + i];
    }
    return ERROR_NONE;
}

enum error switch_port_detach(uint64_t switch_gate, uint32_t port, struct switch_port_counts *counts, char *reason,
                              size_t reason_size)
{
    return port_request(switch_gate, SWITCH_CONTROL_DETACH, port, counts, reason, reason_size);
}

enum error switch_port_query(uint64_t switch_gate, uint32_t port, struct switch_port_counts *counts, char *reason,
                             size_t reason_size)
{
    return port_request(switch_gate, SWITCH_CONTROL_QUERY, port, counts, reason, reason_size);
}

enum error switch_uplink_policy(uint64_t switch_gate, const uint32_t *networks, size_t count, unsigned *uplinks,
                                char *reason, size_t reason_size)
{
    if (count > SWITCH_UPLINK_MAX_NETWORKS) {
        return refuse(reason, reason_size, "at most %u networks share the uplink, not %zu", SWITCH_UPLINK_MAX_NETWORKS,
                      count);
    }
    uint64_t *message = utcb()->message;
    message[0] = count;
    for (size_t i = 0; i < count; i++) {
        message[1 + i] = networks[i];
    }
    uint64_t tag = 0;
    enum error error =
        request(switch_gate, SWITCH_CONTROL_SET_UPLINK_POLICY, 1 + (unsigned)count, 0, &tag, reason, reason_size);
    if (error == ERROR_NONE && uplinks) {
        if (MESSAGE_TAG_WORDS(tag) < 1) {
            return ERROR_MALFORMED;
        }
        *uplinks = (unsigned)utcb()->message[0];
    }
    return error;
}
