/* Fleet mode's pure parts: the hosts file, the placement of --spread, per-host results and the exit code. */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "capture.h"
#include "exit_codes.h"
#include "fleet_report.h"
#include "hosts_file.h"
#include "placement.h"

#include <string.h>

#define GIB (1024ull * 1024ull * 1024ull)

static struct fleet fleet;

static void test_hosts_file_format(void **state)
{
    (void)state;
    struct capture err;
    capture_open(&err);
    const char *text = "# the lab\n"
                       "\n"
                       "alpha 10.0.0.5:50051\n"
                       "  beta\t[::1]:50051   # a comment after\n"
                       "gamma dns:///kapsel-gamma.lab:50051\r\n"
                       "#delta 10.0.0.8:50051";
    assert_true(hosts_parse(text, "hosts.txt", &fleet, err.file));
    assert_string_equal(capture_close(&err), "");
    capture_free(&err);
    assert_int_equal(fleet.count, 3);
    assert_string_equal(fleet.hosts[0].name, "alpha");
    assert_string_equal(fleet.hosts[0].address, "10.0.0.5:50051");
    assert_string_equal(fleet.hosts[1].name, "beta");
    assert_string_equal(fleet.hosts[1].address, "[::1]:50051");
    assert_string_equal(fleet.hosts[2].address, "dns:///kapsel-gamma.lab:50051");
}

static void expect_refused(const char *text, const char *message)
{
    struct capture err;
    capture_open(&err);
    bool parsed = hosts_parse(text, "f", &fleet, err.file);
    capture_close(&err);
    if (parsed || strstr(err.text, message) == NULL) {
        fail_msg("\"%s\": parsed %d, error \"%s\", expected \"%s\"", text, parsed, err.text, message);
    }
    capture_free(&err);
}

static void test_hosts_file_errors(void **state)
{
    (void)state;
    expect_refused("alpha\n", "f:1: a host is \"name address\", two fields");
    expect_refused("alpha a:1\nbeta b:1 extra\n", "f:2: a host is");
    expect_refused("alpha a:1\nalpha b:1\n", "f:2: host alpha is listed twice");
    expect_refused("# nothing\n\n", "f: no hosts");
    expect_refused("", "f: no hosts");
    char long_name[200];
    memset(long_name, 'n', 100);
    strcpy(long_name + 100, " a:1\n");
    expect_refused(long_name, "f:1: the name is at most 63 bytes");
}

static void test_placement_takes_turns_between_equal_hosts(void **state)
{
    (void)state;
    uint64_t free_bytes[] = {4 * GIB, 4 * GIB, 4 * GIB};
    bool reachable[] = {true, true, true};
    size_t assignment[5];
    assert_true(place_vms(free_bytes, reachable, 3, GIB, 5, assignment));
    size_t expected[] = {0, 1, 2, 0, 1};
    assert_memory_equal(assignment, expected, sizeof(expected));
}

static void test_placement_follows_free_memory(void **state)
{
    (void)state;
    uint64_t free_bytes[] = {1 * GIB, 3 * GIB, 0, 8 * GIB};
    bool reachable[] = {true, true, true, false}; /* the largest one is down */
    size_t assignment[4];
    assert_true(place_vms(free_bytes, reachable, 4, GIB, 4, assignment));
    /* 1,3 -> host 1 (3 to 2), then 1 vs 2: host 1 (2 to 1), then tie 1/1: host 0, then host 1. */
    size_t expected[] = {1, 1, 0, 1};
    assert_memory_equal(assignment, expected, sizeof(expected));
    assert_false(place_vms(free_bytes, reachable, 4, GIB, 5, assignment));
    assert_false(place_vms(free_bytes, reachable, 4, 4 * GIB, 1, assignment));
}

static void test_exit_codes(void **state)
{
    (void)state;
    struct host_result results[3] = {0};
    assert_int_equal(fleet_exit_code(results, 3), EXIT_OK);
    results[1].status.code = KAPSEL_UNAVAILABLE;
    assert_int_equal(fleet_exit_code(results, 3), EXIT_FLEET_PARTIAL);
    results[0].status.code = KAPSEL_INTERNAL;
    results[2].status.code = KAPSEL_UNAVAILABLE;
    assert_int_equal(fleet_exit_code(results, 3), EXIT_FLEET_FAILED);
}

static void test_results_table_and_json(void **state)
{
    (void)state;
    assert_true(hosts_parse("alpha 127.0.0.1:1\nbeta 127.0.0.1:2\n", "f", &fleet, stderr));
    struct host_result results[2] = {{.summary = "2 VMs"}, {.status = {.code = KAPSEL_UNAVAILABLE}}};
    snprintf(results[1].status.message, sizeof(results[1].status.message), "connection \"refused\"");
    struct capture out;
    capture_open(&out);
    fleet_print_results(out.file, &fleet, results);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    json_begin_object(&writer);
    json_key(&writer, "hosts");
    json_begin_array(&writer);
    for (size_t i = 0; i < 2; i++) {
        json_begin_object(&writer);
        fleet_json_host_members(&writer, &fleet.hosts[i], &results[i]);
        json_end_object(&writer);
    }
    json_end_array(&writer);
    fleet_json_summary(&writer, &fleet, results);
    json_end_object(&writer);
    assert_string_equal(capture_close(&out),
                        "HOST    ADDRESS       RESULT\n"
                        "alpha   127.0.0.1:1   ok: 2 VMs\n"
                        "beta    127.0.0.1:2   UNAVAILABLE: connection \"refused\"\n"
                        "2 hosts: 1 ok, 1 failed\n"
                        "{\"hosts\":[{\"host\":\"alpha\",\"address\":\"127.0.0.1:1\",\"ok\":true},"
                        "{\"host\":\"beta\",\"address\":\"127.0.0.1:2\",\"ok\":false,"
                        "\"error\":{\"code\":\"UNAVAILABLE\",\"message\":\"connection \\\"refused\\\"\"}}],"
                        "\"summary\":{\"hosts\":2,\"ok\":1,\"failed\":1}}\n");
    capture_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_file_format),
        cmocka_unit_test(test_hosts_file_errors),
        cmocka_unit_test(test_placement_takes_turns_between_equal_hosts),
        cmocka_unit_test(test_placement_follows_free_memory),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_results_table_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
