/* The switch's control requests: who may send them, and every way a request can be malformed. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "switch/control_request.h"

#include <kapsel/abi.h>
#include <string.h>

#define BOOT_APP 3 /* the gate label of a boot manifest app */
#define REGION_PAGE 0x12340ull
#define GATE_SLOT 101
#define RW (MEMORY_READ | MEMORY_WRITE)

static uint64_t message[MESSAGE_REGISTERS];
static struct control_request request;
static char reason[SWITCH_CONTROL_REASON_SIZE];

/* A well-formed ATTACH of a 256 KiB region (2^6 pages) on network 7, named "vm-a". */
static uint64_t attach_message(void)
{
    memset(message, 0, sizeof(message));
    message[SWITCH_ATTACH_NETWORK] = 7;
    message[SWITCH_ATTACH_REGION_SIZE] = 256 * 1024;
    memcpy(&message[SWITCH_ATTACH_NAME], "vm-a", 4);
    message[SWITCH_ATTACH_WORDS] = ITEM_MEMORY(REGION_PAGE, 6, RW, 0);
    message[SWITCH_ATTACH_WORDS + 2] = ITEM_CAPABILITY(GATE_SLOT, 0, RIGHT_WRITE, 0);
    return MESSAGE_TAG(SWITCH_CONTROL_ATTACH, SWITCH_ATTACH_WORDS, SWITCH_ATTACH_ITEMS);
}

static enum error parse(uint64_t tag)
{
    return control_request_parse(BOOT_APP, tag, message, &request, reason, sizeof(reason));
}

/* The request is refused with error and a reason that says expected. */
static void refused(uint64_t tag, enum error error, const char *expected)
{
    assert_int_equal(parse(tag), error);
    if (!strstr(reason, expected)) {
        fail_msg("reason '%s' lacks '%s'", reason, expected);
    }
}

static void test_control_labels(void **state)
{
    (void)state;
    assert_true(control_request_is_control(MESSAGE_TAG(SWITCH_CONTROL_ATTACH, 0, 0)));
    assert_true(control_request_is_control(MESSAGE_TAG(SWITCH_CONTROL_LAST_LABEL, 0, 0)));
    assert_false(control_request_is_control(MESSAGE_TAG(SWITCH_WAKE_LABEL, 0, 0)));
    assert_false(control_request_is_control(MESSAGE_TAG(SWITCH_CONTROL_FIRST_LABEL - 1, 0, 0)));
    assert_false(control_request_is_control(MESSAGE_TAG(SWITCH_CONTROL_LAST_LABEL + 1, 0, 0)));
}

static void test_only_boot_apps_may_send(void **state)
{
    (void)state;
    uint64_t tag = attach_message();
    assert_int_equal(
        control_request_parse(LAUNCH_LABEL_LAUNCHED_PEER | 5, tag, message, &request, reason, sizeof(reason)),
        ERROR_MISSING_RIGHTS);
    assert_non_null(strstr(reason, "only from apps of the boot manifest, not from gate label 0x50005"));
    assert_int_equal(
        control_request_parse(SWITCH_CONTROL_SENDER_LIMIT - 1, tag, message, &request, reason, sizeof(reason)),
        ERROR_NONE);
}

static void test_attach(void **state)
{
    (void)state;
    assert_int_equal(parse(attach_message()), ERROR_NONE);
    assert_int_equal(request.operation, SWITCH_CONTROL_ATTACH);
    assert_int_equal(request.network, 7);
    assert_int_equal(request.region_size, 256 * 1024);
    assert_int_equal(request.region_order, 6);
    assert_string_equal(request.name, "vm-a");
    /* The smallest and the largest region, the lowest and the highest network. */
    uint64_t tag = attach_message();
    message[SWITCH_ATTACH_REGION_SIZE] = SWITCH_PORT_REGION_MIN_SIZE;
    message[SWITCH_ATTACH_WORDS] = ITEM_MEMORY(REGION_PAGE, 2, RW, 0);
    message[SWITCH_ATTACH_NETWORK] = SWITCH_NETWORK_MIN;
    assert_int_equal(parse(tag), ERROR_NONE);
    message[SWITCH_ATTACH_REGION_SIZE] = SWITCH_PORT_REGION_MAX_SIZE;
    message[SWITCH_ATTACH_WORDS] = ITEM_MEMORY(REGION_PAGE, 8, RW, 0);
    message[SWITCH_ATTACH_NETWORK] = SWITCH_NETWORK_MAX;
    assert_int_equal(parse(tag), ERROR_NONE);
    assert_int_equal(request.region_order, 8);
}

static void test_attach_shape(void **state)
{
    (void)state;
    attach_message();
    refused(MESSAGE_TAG(SWITCH_CONTROL_ATTACH, SWITCH_ATTACH_WORDS - 1, 2), ERROR_INVALID_ARGUMENT,
            "attach takes 7 words and 2 items, not 6 and 2");
    refused(MESSAGE_TAG(SWITCH_CONTROL_ATTACH, SWITCH_ATTACH_WORDS + 1, 2), ERROR_INVALID_ARGUMENT, "not 8 and 2");
    refused(MESSAGE_TAG(SWITCH_CONTROL_ATTACH, SWITCH_ATTACH_WORDS, 1), ERROR_INVALID_ARGUMENT, "not 7 and 1");
    refused(MESSAGE_TAG(SWITCH_CONTROL_ATTACH, SWITCH_ATTACH_WORDS, 3), ERROR_INVALID_ARGUMENT, "not 7 and 3");
}

/* A port is an uplink only when its ATTACH says so; flags the protocol does not define are refused. */
static void test_attach_uplink_flag(void **state)
{
    (void)state;
    uint64_t tag = attach_message();
    assert_int_equal(parse(tag), ERROR_NONE);
    assert_false(request.uplink);
    message[SWITCH_ATTACH_FLAGS] = SWITCH_ATTACH_FLAG_UPLINK;
    assert_int_equal(parse(tag), ERROR_NONE);
    assert_true(request.uplink);
    message[SWITCH_ATTACH_FLAGS] = SWITCH_ATTACH_FLAG_UPLINK | 0x4;
    refused(tag, ERROR_INVALID_ARGUMENT, "unknown attach flags 0x4");
}

static void test_attach_networks(void **state)
{
    (void)state;
    uint64_t tag = attach_message();
    message[SWITCH_ATTACH_NETWORK] = 0;
    refused(tag, ERROR_INVALID_ARGUMENT, "network 0 is not in 1..4095");
    message[SWITCH_ATTACH_NETWORK] = SWITCH_NETWORK_MAX + 1;
    refused(tag, ERROR_INVALID_ARGUMENT, "network 4096 is not in 1..4095");
    message[SWITCH_ATTACH_NETWORK] = 1ull << 32 | 1; /* no truncation to 1 */
    refused(tag, ERROR_INVALID_ARGUMENT, "is not in 1..4095");
}

static void test_attach_names(void **state)
{
    (void)state;
    uint64_t tag = attach_message();
    char *name = (char *)&message[SWITCH_ATTACH_NAME];
    memset(name, 0, SWITCH_PORT_NAME_SIZE);
    refused(tag, ERROR_INVALID_ARGUMENT, "the port name is empty");
    memset(name, 'x', SWITCH_PORT_NAME_SIZE);
    refused(tag, ERROR_INVALID_ARGUMENT, "the port name is not NUL-terminated within 32 bytes");
    name[SWITCH_PORT_NAME_SIZE - 1] = '\0'; /* 31 characters */
    assert_int_equal(parse(tag), ERROR_NONE);
    assert_int_equal(strlen(request.name), SWITCH_PORT_NAME_SIZE - 1);
    memcpy(name, "vm a", 5);
    refused(tag, ERROR_INVALID_ARGUMENT, "byte 0x20 at 2: only printable characters, no blanks");
    memcpy(name, "vm\na", 5);
    refused(tag, ERROR_INVALID_ARGUMENT, "byte 0x0a at 2");
    memcpy(name, "vm\x80", 4);
    refused(tag, ERROR_INVALID_ARGUMENT, "byte 0x80 at 2");
}

static void test_attach_region_item(void **state)
{
    (void)state;
    uint64_t tag = attach_message();
    uint64_t *item = &message[SWITCH_ATTACH_WORDS];
    const char *not_the_region = "item 0 is not the region mapped read-write";
    item[0] = ITEM_CAPABILITY(REGION_PAGE, 6, RW, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, not_the_region);
    item[0] = ITEM_MEMORY(REGION_PAGE, 6, RW, ITEM_GRANT);
    refused(tag, ERROR_INVALID_ARGUMENT, not_the_region);
    item[0] = ITEM_MEMORY(REGION_PAGE, 6, MEMORY_READ, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, not_the_region);
    item[0] = ITEM_MEMORY(REGION_PAGE, 6, MEMORY_ALL, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, not_the_region);
    item[0] = ITEM_MEMORY(REGION_PAGE, 6, RW, 0);
    item[1] = 4096;
    refused(tag, ERROR_INVALID_ARGUMENT, not_the_region);
    item[1] = 0;
    message[SWITCH_ATTACH_REGION_SIZE] = 128 * 1024; /* the item maps 256 KiB */
    refused(tag, ERROR_INVALID_ARGUMENT, "region of 131072 bytes, mapped as 2^6 pages: both must be one power of two");
    message[SWITCH_ATTACH_REGION_SIZE] = 8192;
    item[0] = ITEM_MEMORY(REGION_PAGE, 1, RW, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, "16 KiB..1 MiB");
    message[SWITCH_ATTACH_REGION_SIZE] = 2 * SWITCH_PORT_REGION_MAX_SIZE;
    item[0] = ITEM_MEMORY(REGION_PAGE, 9, RW, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, "16 KiB..1 MiB");
    item[0] = ITEM_MEMORY(REGION_PAGE, 200, RW, 0); /* a shift beyond 64 bits must not wrap to a valid size */
    message[SWITCH_ATTACH_REGION_SIZE] = 0;
    refused(tag, ERROR_INVALID_ARGUMENT, "16 KiB..1 MiB");
}

static void test_attach_gate_item(void **state)
{
    (void)state;
    uint64_t tag = attach_message();
    uint64_t *item = &message[SWITCH_ATTACH_WORDS + 2];
    const char *not_a_gate = "item 1 is not one gate to wake the port's owner";
    item[0] = ITEM_MEMORY(GATE_SLOT, 0, RW, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, not_a_gate);
    item[0] = ITEM_CAPABILITY(GATE_SLOT, 1, RIGHT_WRITE, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, not_a_gate);
    item[0] = ITEM_CAPABILITY(GATE_SLOT, 0, RIGHT_READ, 0);
    refused(tag, ERROR_INVALID_ARGUMENT, not_a_gate);
    item[0] = ITEM_CAPABILITY(GATE_SLOT, 0, RIGHT_WRITE, ITEM_GRANT);
    refused(tag, ERROR_INVALID_ARGUMENT, not_a_gate);
    item[0] = ITEM_CAPABILITY(GATE_SLOT, 0, RIGHT_WRITE | RIGHT_GRANT, 0);
    item[1] = 1;
    refused(tag, ERROR_INVALID_ARGUMENT, not_a_gate);
    item[1] = 0;
    assert_int_equal(parse(tag), ERROR_NONE); /* more rights than needed are fine */
}

static void test_detach_and_query(void **state)
{
    (void)state;
    memset(message, 0, sizeof(message));
    message[0] = SWITCH_MAX_PORTS - 1;
    assert_int_equal(parse(MESSAGE_TAG(SWITCH_CONTROL_DETACH, 1, 0)), ERROR_NONE);
    assert_int_equal(request.operation, SWITCH_CONTROL_DETACH);
    assert_int_equal(request.port, SWITCH_MAX_PORTS - 1);
    assert_int_equal(parse(MESSAGE_TAG(SWITCH_CONTROL_QUERY, 1, 0)), ERROR_NONE);
    assert_int_equal(request.operation, SWITCH_CONTROL_QUERY);
    refused(MESSAGE_TAG(SWITCH_CONTROL_DETACH, 2, 0), ERROR_INVALID_ARGUMENT, "detach takes 1 words and 0 items");
    refused(MESSAGE_TAG(SWITCH_CONTROL_QUERY, 1, 1), ERROR_INVALID_ARGUMENT, "query takes 1 words and 0 items");
    refused(MESSAGE_TAG(SWITCH_CONTROL_QUERY, 0, 0), ERROR_INVALID_ARGUMENT, "not 0 and 0");
    message[0] = SWITCH_MAX_PORTS;
    refused(MESSAGE_TAG(SWITCH_CONTROL_DETACH, 1, 0), ERROR_INVALID_ARGUMENT, "port 16: the switch has ports 0..15");
    message[0] = 1ull << 32; /* no truncation to port 0 */
    refused(MESSAGE_TAG(SWITCH_CONTROL_QUERY, 1, 0), ERROR_INVALID_ARGUMENT, "the switch has ports 0..15");
}

static void test_uplink_policy(void **state)
{
    (void)state;
    memset(message, 0, sizeof(message));
    message[0] = 2;
    message[1] = 1;
    message[2] = 4095;
    assert_int_equal(parse(MESSAGE_TAG(SWITCH_CONTROL_SET_UPLINK_POLICY, 3, 0)), ERROR_NONE);
    assert_int_equal(request.network_count, 2);
    assert_int_equal(request.networks[0], 1);
    assert_int_equal(request.networks[1], 4095);
    message[0] = 0; /* the uplink cut off */
    assert_int_equal(parse(MESSAGE_TAG(SWITCH_CONTROL_SET_UPLINK_POLICY, 1, 0)), ERROR_NONE);
    assert_int_equal(request.network_count, 0);
    message[0] = SWITCH_UPLINK_MAX_NETWORKS;
    for (unsigned i = 0; i < SWITCH_UPLINK_MAX_NETWORKS; i++) {
        message[1 + i] = 100 + i;
    }
    assert_int_equal(parse(MESSAGE_TAG(SWITCH_CONTROL_SET_UPLINK_POLICY, 1 + SWITCH_UPLINK_MAX_NETWORKS, 0)),
                     ERROR_NONE);
}

static void test_uplink_policy_malformed(void **state)
{
    (void)state;
    memset(message, 0, sizeof(message));
    uint64_t policy = SWITCH_CONTROL_SET_UPLINK_POLICY;
    refused(MESSAGE_TAG(policy, 0, 0), ERROR_INVALID_ARGUMENT, "[0] must count the networks that follow, at most 16");
    message[0] = SWITCH_UPLINK_MAX_NETWORKS + 1;
    refused(MESSAGE_TAG(policy, 2 + SWITCH_UPLINK_MAX_NETWORKS, 0), ERROR_INVALID_ARGUMENT, "at most 16");
    message[0] = 2;
    message[1] = 1;
    message[2] = 2;
    refused(MESSAGE_TAG(policy, 2, 0), ERROR_INVALID_ARGUMENT, "uplink policy takes 3 words and 0 items, not 2 and 0");
    refused(MESSAGE_TAG(policy, 3, 1), ERROR_INVALID_ARGUMENT, "not 3 and 1");
    message[2] = 0;
    refused(MESSAGE_TAG(policy, 3, 0), ERROR_INVALID_ARGUMENT, "network 0 is not in 1..4095");
    message[2] = 4096;
    refused(MESSAGE_TAG(policy, 3, 0), ERROR_INVALID_ARGUMENT, "network 4096 is not in 1..4095");
    message[2] = 1;
    refused(MESSAGE_TAG(policy, 3, 0), ERROR_INVALID_ARGUMENT, "network 1 is listed twice");
}

static void test_unknown_operation(void **state)
{
    (void)state;
    memset(message, 0, sizeof(message));
    refused(MESSAGE_TAG(SWITCH_CONTROL_LAST_LABEL, 0, 0), ERROR_INVALID_OPERATION,
            "unknown switch control operation 0x6f");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_labels),
        cmocka_unit_test(test_only_boot_apps_may_send),
        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_attach_shape),
        cmocka_unit_test(test_attach_uplink_flag),
        cmocka_unit_test(test_attach_networks),
        cmocka_unit_test(test_attach_names),
        cmocka_unit_test(test_attach_region_item),
        cmocka_unit_test(test_attach_gate_item),
        cmocka_unit_test(test_detach_and_query),
        cmocka_unit_test(test_uplink_policy),
        cmocka_unit_test(test_uplink_policy_malformed),
        cmocka_unit_test(test_unknown_operation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
