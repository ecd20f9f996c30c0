/* Argument parsing: the option parser, value parsers, global options, and kapselctl's usage errors, help and exit
 * codes through kapselctl_main (nothing here reaches a host). */
#define _GNU_SOURCE /* open_memstream, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "capture.h"
#include "cli.h"
#include "dispatch.h"
#include "exit_codes.h"
#include "global_options.h"
#include "option_parser.h"
#include "value_parsers.h"

#include <stdlib.h>
#include <string.h>

enum { SPEC_KERNEL, SPEC_FORCE, SPEC_LABEL };

static const struct option_spec specs[] = {
    [SPEC_KERNEL] = {"kernel", 'k', true},
    [SPEC_FORCE] = {"force", 'f', false},
    [SPEC_LABEL] = {"label", 0, true},
};

static void test_option_forms_and_operands(void **state)
{
    (void)state;
    char *argv[] = {"x", "one", "--kernel", "a", "-k", "b", "--kernel=c", "two", "-f", "--", "--label", "-"};
    struct capture err;
    capture_open(&err);
    struct option_parser parser;
    option_parser_init(&parser, 12, argv, 1, specs, 3, "kapselctl test", err.file);
    const char *value;
    const char *expected_values[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(option_next(&parser, &value), SPEC_KERNEL);
        assert_string_equal(value, expected_values[i]);
    }
    assert_int_equal(option_next(&parser, &value), SPEC_FORCE);
    assert_null(value);
    assert_int_equal(option_next(&parser, &value), OPTION_END);
    assert_int_equal(parser.operand_count, 4);
    assert_string_equal(parser.operands[0], "one");
    assert_string_equal(parser.operands[1], "two");
    assert_string_equal(parser.operands[2], "--label"); /* after "--" */
    assert_string_equal(parser.operands[3], "-");
    assert_string_equal(capture_close(&err), "");
    capture_free(&err);
}

/* The result and the error text of parsing argv[1..argc). */
static int parse_one(int argc, char **argv, struct capture *err)
{
    capture_open(err);
    struct option_parser parser;
    option_parser_init(&parser, argc, argv, 1, specs, 3, "kapselctl test", err->file);
    const char *value;
    int result = option_next(&parser, &value);
    capture_close(err);
    return result;
}

static void test_option_errors(void **state)
{
    (void)state;
    struct capture err;
    assert_int_equal(parse_one(2, (char *[]){"x", "--nope"}, &err), OPTION_ERROR);
    assert_string_equal(err.text, "kapselctl test: unknown option --nope (see kapselctl test --help)\n");
    capture_free(&err);
    assert_int_equal(parse_one(2, (char *[]){"x", "--kernel"}, &err), OPTION_ERROR);
    assert_non_null(strstr(err.text, "option --kernel needs a value"));
    capture_free(&err);
    assert_int_equal(parse_one(2, (char *[]){"x", "--force=yes"}, &err), OPTION_ERROR);
    assert_non_null(strstr(err.text, "option --force takes no value"));
    capture_free(&err);
    assert_int_equal(parse_one(2, (char *[]){"x", "-kf"}, &err), OPTION_ERROR);
    capture_free(&err);
    assert_int_equal(parse_one(2, (char *[]){"x", "--help"}, &err), OPTION_HELP);
    capture_free(&err);
    assert_int_equal(parse_one(2, (char *[]){"x", "-h"}, &err), OPTION_HELP);
    capture_free(&err);
    char *many[OPTION_MAX_OPERANDS + 2] = {"x"};
    for (int i = 1; i < OPTION_MAX_OPERANDS + 2; i++) {
        many[i] = "operand";
    }
    assert_int_equal(parse_one(OPTION_MAX_OPERANDS + 2, many, &err), OPTION_ERROR);
    assert_non_null(strstr(err.text, "too many arguments"));
    capture_free(&err);
}

static void test_numbers_sizes_and_durations(void **state)
{
    (void)state;
    uint32_t value;
    assert_true(parse_uint32("42", 1, 100, &value));
    assert_int_equal(value, 42);
    assert_false(parse_uint32("0", 1, 100, &value));
    assert_false(parse_uint32("101", 1, 100, &value));
    assert_false(parse_uint32("-1", 0, 100, &value));
    assert_false(parse_uint32("4x", 0, 100, &value));
    assert_false(parse_uint32("", 0, 100, &value));
    assert_false(parse_uint32("99999999999999999999999", 0, UINT32_MAX, &value));
    const char *sizes[] = {"512", "512M", "512Mi", "512MiB", "2G", "2Gi", "2GiB"};
    const uint32_t mib[] = {512, 512, 512, 512, 2048, 2048, 2048};
    for (size_t i = 0; i < 7; i++) {
        assert_true(parse_memory_mib(sizes[i], &value));
        assert_int_equal(value, mib[i]);
    }
    const char *bad_sizes[] = {"0", "1.5G", "512k", "M", "-1", "4194304G", "512 M"};
    for (size_t i = 0; i < 7; i++) {
        assert_false(parse_memory_mib(bad_sizes[i], &value));
    }
    assert_true(parse_seconds_ms("30", &value));
    assert_int_equal(value, 30000);
    assert_true(parse_seconds_ms("0.5", &value));
    assert_int_equal(value, 500);
    assert_true(parse_seconds_ms("1.25", &value));
    assert_int_equal(value, 1250);
    assert_true(parse_seconds_ms("0", &value));
    assert_int_equal(value, 0);
    assert_true(parse_seconds_ms("86400", &value));
    const char *bad_durations[] = {"86400.001", "1.", ".5", "0.0001", "1s", "-1", "100000"};
    for (size_t i = 0; i < 7; i++) {
        assert_false(parse_seconds_ms(bad_durations[i], &value));
    }
}

static void test_labels_disks_and_names(void **state)
{
    (void)state;
    size_t length;
    const char *value;
    assert_true(parse_label("env=prod", &length, &value));
    assert_int_equal(length, 3);
    assert_string_equal(value, "prod");
    assert_true(parse_label("k=", &length, &value));
    assert_string_equal(value, "");
    assert_true(parse_label("k=a=b", &length, &value));
    assert_string_equal(value, "a=b");
    assert_false(parse_label("=v", &length, &value));
    assert_false(parse_label("novalue", &length, &value));
    bool read_only;
    assert_true(parse_disk("data.img:ro", &length, &read_only));
    assert_int_equal(length, 8);
    assert_true(read_only);
    assert_true(parse_disk("data.img:rw", &length, &read_only));
    assert_false(read_only);
    assert_true(parse_disk("dir:x/data.img", &length, &read_only));
    assert_int_equal(length, 14);
    assert_false(read_only);
    assert_false(parse_disk(":ro", &length, &read_only));
    assert_false(parse_disk("", &length, &read_only));
    char name[RESOURCE_NAME_BYTES];
    assert_true(vm_name_from_operand("web-1", name));
    assert_string_equal(name, "vms/web-1");
    assert_true(vm_name_from_operand("vms/web-1", name));
    assert_string_equal(name, "vms/web-1");
    assert_false(vm_name_from_operand("vms/", name));
    assert_false(vm_name_from_operand("a/b", name));
    const char *digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_true(image_name_from_operand(digest, name));
    assert_string_equal(name + 7, digest);
    assert_true(image_name_from_operand(name, name));
    assert_false(image_name_from_operand("ba7816bf", name));
    assert_false(image_name_from_operand("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", name));
}

static void test_global_options(void **state)
{
    (void)state;
    struct global_options options;
    int index;
    struct capture err;
    capture_open(&err);
    unsetenv("KAPSEL_HOST");
    char *plain[] = {"kapselctl", "vm", "list"};
    assert_int_equal(global_options_parse(3, plain, &options, &index, err.file), EXIT_OK);
    assert_int_equal(index, 1);
    assert_string_equal(options.host, DEFAULT_HOST);
    assert_int_equal(options.output, OUTPUT_TABLE);
    assert_int_equal(options.timeout_ms, DEFAULT_TIMEOUT_MS);
    assert_false(options.timeout_given);
    setenv("KAPSEL_HOST", "10.1.1.1:9", 1);
    char *set[] = {"kapselctl", "-o", "json", "--timeout", "2.5", "vm", "list", "--output", "table"};
    assert_int_equal(global_options_parse(9, set, &options, &index, err.file), EXIT_OK);
    assert_int_equal(index, 5);
    assert_string_equal(options.host, "10.1.1.1:9");
    assert_int_equal(options.output, OUTPUT_JSON);
    assert_int_equal(options.timeout_ms, 2500);
    assert_true(options.timeout_given);
    char *both[] = {"kapselctl", "--host", "a:1", "--fleet", "f", "vm", "list"};
    assert_int_equal(global_options_parse(7, both, &options, &index, err.file), EXIT_USAGE);
    char *bad_output[] = {"kapselctl", "--output=yaml", "vm"};
    assert_int_equal(global_options_parse(3, bad_output, &options, &index, err.file), EXIT_USAGE);
    unsetenv("KAPSEL_HOST");
    const char *text = capture_close(&err);
    assert_non_null(strstr(text, "--host and --fleet exclude each other"));
    assert_non_null(strstr(text, "--output is json or table, not \"yaml\""));
    capture_free(&err);
}

/* global_options_parse's token for the arguments after "kapselctl" (ended by NULL) with $KAPSEL_TOKEN set to
 * environment (NULL: unset); expected_exit is the parse's result. */
static const char *token_of(const char *environment, int expected_exit, struct capture *err, char **arguments)
{
    char *argv[8] = {"kapselctl"};
    int argc = 1;
    while (arguments[argc - 1]) {
        argv[argc] = arguments[argc - 1];
        argc++;
    }
    if (environment) {
        setenv("KAPSEL_TOKEN", environment, 1);
    } else {
        unsetenv("KAPSEL_TOKEN");
    }
    struct global_options options;
    int index;
    capture_open(err);
    assert_int_equal(global_options_parse(argc, argv, &options, &index, err->file), expected_exit);
    capture_close(err);
    unsetenv("KAPSEL_TOKEN");
    return expected_exit == EXIT_OK ? options.token : NULL;
}

static void test_token_from_the_option_or_the_environment(void **state)
{
    (void)state;
    struct capture err;
    assert_null(token_of(NULL, EXIT_OK, &err, (char *[]){"vm", "list", NULL}));
    capture_free(&err);
    assert_string_equal(token_of("env-token", EXIT_OK, &err, (char *[]){"vm", "list", NULL}), "env-token");
    capture_free(&err);
    assert_null(token_of("", EXIT_OK, &err, (char *[]){"vm", "list", NULL}));
    capture_free(&err);
    /* --token wins over the environment, and --token "" means none even when the environment has one. */
    assert_string_equal(token_of("env-token", EXIT_OK, &err, (char *[]){"--token", "cli-token", "vm", NULL}),
                        "cli-token");
    capture_free(&err);
    assert_string_equal(token_of(NULL, EXIT_OK, &err, (char *[]){"--token=cli-token", "vm", NULL}), "cli-token");
    capture_free(&err);
    assert_null(token_of("env-token", EXIT_OK, &err, (char *[]){"--token", "", "vm", NULL}));
    capture_free(&err);
    /* A malformed environment token does not matter when --token is given. */
    assert_string_equal(token_of("bad env token", EXIT_OK, &err, (char *[]){"--token", "t", "vm", NULL}), "t");
    assert_string_equal(err.text, "");
    capture_free(&err);
}

static void test_malformed_tokens_are_usage_errors_that_do_not_show_them(void **state)
{
    (void)state;
    struct capture err;
    token_of(NULL, EXIT_USAGE, &err, (char *[]){"--token", "secret with spaces", "vm", NULL});
    assert_non_null(strstr(err.text, "--token must be 1 to 512 characters of visible ASCII"));
    assert_null(strstr(err.text, "secret"));
    capture_free(&err);
    token_of("secret\twith-a-tab", EXIT_USAGE, &err, (char *[]){"vm", "list", NULL});
    assert_non_null(strstr(err.text, "KAPSEL_TOKEN must be 1 to 512 characters"));
    assert_null(strstr(err.text, "secret"));
    capture_free(&err);
    char too_long[KAPSEL_TOKEN_MAX_BYTES + 2] = {0};
    memset(too_long, 's', KAPSEL_TOKEN_MAX_BYTES + 1);
    token_of(NULL, EXIT_USAGE, &err, (char *[]){"--token", too_long, "vm", NULL});
    capture_free(&err);
    too_long[KAPSEL_TOKEN_MAX_BYTES] = '\0';
    assert_ptr_equal(token_of(NULL, EXIT_OK, &err, (char *[]){"--token", too_long, "vm", NULL}), too_long);
    capture_free(&err);
    token_of(NULL, EXIT_USAGE, &err, (char *[]){"--token", NULL});
    assert_non_null(strstr(err.text, "option --token needs a value"));
    capture_free(&err);
}

/* cli_report's exit code and text for a status, with or without a token. */
static int report(int code, const char *token, struct capture *err)
{
    struct cli cli = {.options = {.host = "10.0.0.5:50051", .token = token}};
    struct kapsel_status status = {.code = code};
    snprintf(status.message, sizeof(status.message), "the host's words");
    capture_open(err);
    cli.err = err->file;
    int exit_code = cli_report(&cli, "GetVm", &status);
    capture_close(err);
    return exit_code;
}

static void test_statuses_and_their_exit_codes(void **state)
{
    (void)state;
    struct capture err;
    assert_int_equal(report(KAPSEL_NOT_FOUND, NULL, &err), EXIT_API_ERROR);
    assert_string_equal(err.text, "kapselctl: GetVm: NOT_FOUND: the host's words\n");
    capture_free(&err);
    assert_int_equal(report(KAPSEL_UNAVAILABLE, NULL, &err), EXIT_UNREACHABLE);
    capture_free(&err);
    assert_int_equal(report(KAPSEL_PERMISSION_DENIED, "acme-token", &err), EXIT_NOT_AUTHORIZED);
    assert_string_equal(err.text, "kapselctl: GetVm: PERMISSION_DENIED: the host's words\n");
    capture_free(&err);
    assert_int_equal(report(KAPSEL_UNAUTHENTICATED, "acme-token", &err), EXIT_NOT_AUTHORIZED);
    assert_string_equal(err.text, "kapselctl: GetVm: UNAUTHENTICATED: the host's words\n");
    capture_free(&err);
    assert_int_equal(report(KAPSEL_ATTESTATION_INVALID, NULL, &err), EXIT_NOT_ATTESTED);
    assert_string_equal(err.text, "kapselctl: GetVm: ATTESTATION_INVALID: the host's words\n");
    capture_free(&err);
    /* Without a token, UNAUTHENTICATED says how to give one. */
    assert_int_equal(report(KAPSEL_UNAUTHENTICATED, NULL, &err), EXIT_NOT_AUTHORIZED);
    assert_string_equal(err.text, "kapselctl: GetVm: UNAUTHENTICATED: the host's words\n"
                                  "kapselctl: the host wants an API token: give --token TOKEN or set KAPSEL_TOKEN\n");
    capture_free(&err);
}

struct run {
    int exit_code;
    struct capture out;
    struct capture err;
};

/* The end of run_kapselctl's arguments: a null pointer of the arguments' type. */
#define END_OF_ARGUMENTS ((char *)NULL)

/* Runs kapselctl with the arguments (after "kapselctl"), ended by END_OF_ARGUMENTS. */
static void run_kapselctl(struct run *run, ...)
{
    char *argv[32] = {"kapselctl"};
    int argc = 1;
    va_list arguments;
    va_start(arguments, run);
    for (char *argument; (argument = va_arg(arguments, char *)) != NULL;) {
        argv[argc++] = argument;
    }
    va_end(arguments);
    capture_open(&run->out);
    capture_open(&run->err);
    run->exit_code = kapselctl_main(argc, argv, run->out.file, run->err.file, false);
    capture_close(&run->out);
    capture_close(&run->err);
}

static void run_free(struct run *run)
{
    capture_free(&run->out);
    capture_free(&run->err);
}

static void test_help_at_every_level(void **state)
{
    (void)state;
    struct run run;
    run_kapselctl(&run, "--help", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_OK);
    assert_non_null(strstr(run.out.text, "Usage: kapselctl [GLOBAL OPTIONS] COMMAND"));
    assert_non_null(strstr(run.out.text, "Exit codes:"));
    run_free(&run);
    run_kapselctl(&run, "vm", "--help", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_OK);
    assert_non_null(strstr(run.out.text, "  console   stream a VM's console\n"));
    run_free(&run);
    const char *commands[][2] = {{"vm", "create"},  {"vm", "start"},   {"vm", "stop"},    {"vm", "delete"},
                                 {"vm", "get"},     {"vm", "list"},    {"vm", "console"}, {"vm", "watch"},
                                 {"image", "push"}, {"image", "list"}, {"image", "get"},  {"image", "rm"},
                                 {"host", "info"},  {"host", "health"}};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        run_kapselctl(&run, commands[i][0], commands[i][1], "--help", END_OF_ARGUMENTS);
        assert_int_equal(run.exit_code, EXIT_OK);
        char usage[64];
        snprintf(usage, sizeof(usage), "Usage: kapselctl %s %s", commands[i][0], commands[i][1]);
        assert_non_null(strstr(run.out.text, usage));
        assert_string_equal(run.err.text, "");
        run_free(&run);
    }
    run_kapselctl(&run, "attest", "-h", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_OK);
    assert_non_null(strstr(run.out.text, "Usage: kapselctl attest NAME [--nonce HEX]"));
    run_free(&run);
}

/* Runs the arguments and expects a usage error whose message contains `message`. */
static void expect_usage_error(const char *message, char *first, char *second, char *third, char *fourth)
{
    struct run run;
    run_kapselctl(&run, first, second, third, fourth, END_OF_ARGUMENTS);
    if (run.exit_code != EXIT_USAGE || strstr(run.err.text, message) == NULL) {
        fail_msg("%s %s %s %s: exit %d, error \"%s\", expected 2 and \"%s\"", first, second ? second : "",
                 third ? third : "", fourth ? fourth : "", run.exit_code, run.err.text, message);
    }
    assert_string_equal(run.out.text, "");
    run_free(&run);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    expect_usage_error("Usage: kapselctl [GLOBAL OPTIONS] COMMAND", NULL, NULL, NULL, NULL);
    expect_usage_error("unknown command \"frobnicate\"", "frobnicate", NULL, NULL, NULL);
    expect_usage_error("unknown command \"vm frobnicate\"", "vm", "frobnicate", NULL, NULL);
    expect_usage_error("Usage: kapselctl [GLOBAL OPTIONS] vm COMMAND", "vm", NULL, NULL, NULL);
    expect_usage_error("kapselctl vm get: missing the VM's name", "vm", "get", NULL, NULL);
    expect_usage_error("kapselctl vm get: unexpected argument \"b\"", "vm", "get", "a", "b");
    expect_usage_error("\"a/b\" is not a VM name", "vm", "delete", "a/b", NULL);
    expect_usage_error("kapselctl vm create: --kernel is required", "vm", "create", "--tenant", "t");
    expect_usage_error("--kernel /nonexistent: neither an image name", "vm", "create", "--kernel", "/nonexistent");
    expect_usage_error("--memory is MiB", "vm", "create", "--memory", "lots");
    expect_usage_error("--label is KEY=VALUE", "vm", "create", "--label", "novalue");
    expect_usage_error("--disk nope.img:ro: IMAGE[:ro|:rw]", "vm", "create", "--disk", "nope.img:ro");
    expect_usage_error("--spread takes a VM count", "vm", "create", "--spread", "0");
    expect_usage_error("--grace takes seconds, 0 to 600", "vm", "stop", "--grace", "601");
    expect_usage_error("unknown option --force", "vm", "start", "--force", "a");
    expect_usage_error("--count takes a number of events", "vm", "watch", "--count", "0");
    expect_usage_error("\"abc\" is not an image name", "image", "rm", "abc", NULL);
    expect_usage_error("missing the file to push", "image", "push", NULL, NULL);
    expect_usage_error("--timeout takes seconds", "--timeout", "soon", "vm", "list");
    expect_usage_error("--token must be 1 to 512 characters", "--token", "a b", "vm", "list");
    expect_usage_error("unknown option --output (see kapselctl vm list --help)", "vm", "list", "--output", "json");
}

static void test_fleet_usage_errors(void **state)
{
    (void)state;
    expect_usage_error("vm get does not work with --fleet", "--fleet", "/nonexistent", "vm", "get");
    expect_usage_error("--fleet /nonexistent: No such file", "--fleet", "/nonexistent", "vm", "list");
    char path[4096];
    snprintf(path, sizeof(path), "%s/hosts.txt", getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp");
    FILE *file = fopen(path, "w");
    fputs("alpha 127.0.0.1:1\nbeta\n", file);
    fclose(file);
    expect_usage_error("hosts.txt:2: a host is \"name address\"", "--fleet", path, "vm", "list");
    /* vm create --spread needs --fleet, and vm create with --fleet needs --spread (checked before any call). */
    char kernel[4096];
    snprintf(kernel, sizeof(kernel), "%s/kernel", getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp");
    file = fopen(kernel, "w");
    fputs("bzImage", file);
    fclose(file);
    struct run run;
    run_kapselctl(&run, "vm", "create", "--kernel", kernel, "--tenant", "t", "--spread", "2", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_USAGE);
    assert_non_null(strstr(run.err.text, "--spread places VMs across a fleet"));
    run_free(&run);
    file = fopen(path, "w");
    fputs("alpha 127.0.0.1:1\n", file);
    fclose(file);
    run_kapselctl(&run, "--fleet", path, "vm", "create", "--kernel", kernel, "--tenant", "t", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_USAGE);
    assert_non_null(strstr(run.err.text, "needs --spread N"));
    run_free(&run);
}

/* A file of the test's temporary directory holding content; its path in path. */
static void write_test_file(char path[4096], const char *name, const char *content)
{
    snprintf(path, 4096, "%s/%s", getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", name);
    FILE *file = fopen(path, "w");
    fputs(content, file);
    fclose(file);
}

#define NONCE_8_BYTES "0001020304050607"
#define NONCE_16_BYTES NONCE_8_BYTES NONCE_8_BYTES
#define KEY_X "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
#define KEY_Y "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
#define KEY_HEX "04" KEY_X KEY_Y

static void test_attest_arguments(void **state)
{
    (void)state;
    expect_usage_error("kapselctl attest: missing the VM's name", "attest", NULL, NULL, NULL);
    expect_usage_error("\"a/b\" is not a VM name", "attest", "a/b", NULL, NULL);
    expect_usage_error("unexpected argument \"b\"", "attest", "a", "b", NULL);
    /* A nonce the host would refuse is refused here: 16 to 64 bytes of hex. */
    expect_usage_error("--nonce takes 16 to 64 bytes in hex", "attest", "a", "--nonce", NONCE_8_BYTES);
    expect_usage_error("--nonce takes 16 to 64 bytes", "attest", "a", "--nonce", NONCE_16_BYTES "0");
    expect_usage_error("--nonce takes 16 to 64 bytes", "attest", "a", "--nonce",
                       NONCE_16_BYTES NONCE_16_BYTES NONCE_16_BYTES NONCE_16_BYTES "00");
    expect_usage_error("--nonce takes 16 to 64 bytes", "attest", "a", "--nonce", NONCE_8_BYTES "zz01020304050607");
    expect_usage_error("--expect-key takes the host's attestation key", "attest", "a", "--expect-key", KEY_X);
    expect_usage_error("--expect-key takes the host's attestation key", "attest", "a", "--expect-key",
                       "02" KEY_X KEY_Y);
    expect_usage_error("--output is json or table, not \"yaml\"", "attest", "a", "-o", "yaml");
    expect_usage_error("attest does not work with --fleet", "--fleet", "/nonexistent", "attest", "a");
    char path[4096];
    write_test_file(path, "not-a-key", "hello\n");
    char at_path[4097];
    snprintf(at_path, sizeof(at_path), "@%s", path);
    expect_usage_error("--expect-key takes the host's attestation key", "attest", "a", "--expect-key", at_path);

    /* Files that cannot be read are local errors, found before the host is asked. */
    struct run run;
    run_kapselctl(&run, "attest", "a", "--expect-key", "@/nonexistent/key", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_LOCAL_ERROR);
    assert_non_null(strstr(run.err.text, "--expect-key /nonexistent/key: No such file"));
    run_free(&run);
    run_kapselctl(&run, "attest", "a", "--expect-kernel", "/nonexistent/vmlinuz", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_LOCAL_ERROR);
    assert_non_null(strstr(run.err.text, "--expect-kernel: /nonexistent/vmlinuz: No such file"));
    run_free(&run);

    /* Arguments that are all right get as far as the call: port 1, where nobody listens (exit 3). The key from a file,
     * blanks around it, and -o after the command. */
    write_test_file(path, "key", "  " KEY_HEX "\n\n");
    snprintf(at_path, sizeof(at_path), "@%s", path);
    run_kapselctl(&run, "--host", "127.0.0.1:1", "--timeout", "5", "attest", "vms/a", "--nonce", NONCE_16_BYTES,
                  "--expect-key", at_path, "--expect-cmdline", "console=ttyS0", "-o", "json", END_OF_ARGUMENTS);
    assert_int_equal(run.exit_code, EXIT_UNREACHABLE);
    assert_non_null(strstr(run.err.text, "kapselctl: vms/a: host 127.0.0.1:1 unreachable: UNAVAILABLE"));
    assert_string_equal(run.out.text, "");
    run_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_forms_and_operands),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_numbers_sizes_and_durations),
        cmocka_unit_test(test_labels_disks_and_names),
        cmocka_unit_test(test_global_options),
        cmocka_unit_test(test_token_from_the_option_or_the_environment),
        cmocka_unit_test(test_malformed_tokens_are_usage_errors_that_do_not_show_them),
        cmocka_unit_test(test_statuses_and_their_exit_codes),
        cmocka_unit_test(test_help_at_every_level),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_fleet_usage_errors),
        cmocka_unit_test(test_attest_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
