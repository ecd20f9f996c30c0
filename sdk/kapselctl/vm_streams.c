/* kapselctl vm console|watch: server streams printed as they come. */
#include "commands.h"
#include "exit_codes.h"
#include "render_vm.h"
#include "vm_list.h"

#define TITLE_BYTES 64

/* Reads the stream to its end (or `limit` messages, 0: no limit), printing each message; returns the exit code. */
static int print_stream(const struct cli *cli, struct kapsel_stream *stream, const char *what, uint32_t limit,
                        void (*print)(const struct cli *cli, const ProtobufCMessage *message))
{
    ProtobufCMessage *message;
    struct kapsel_status status;
    uint32_t printed = 0;
    while (kapsel_stream_next(stream, &message, &status)) {
        print(cli, message);
        fflush(cli->out);
        protobuf_c_message_free_unpacked(message, NULL);
        if (limit != 0 && ++printed == limit) {
            return EXIT_OK;
        }
    }
    return status.code == KAPSEL_OK ? EXIT_OK : cli_report(cli, what, &status);
}

static void print_console_chunk(const struct cli *cli, const ProtobufCMessage *message)
{
    const Kapsel__V1__ConsoleChunk *chunk = (const Kapsel__V1__ConsoleChunk *)message;
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, false);
        json_begin_object(&writer);
        json_key(&writer, "offset");
        json_uint(&writer, chunk->offset);
        json_key(&writer, "data");
        json_bytes_string(&writer, chunk->data.data, chunk->data.len);
        json_end_object(&writer);
    } else {
        fwrite(chunk->data.data, 1, chunk->data.len, cli->out);
    }
}

static void print_event(const struct cli *cli, const ProtobufCMessage *message)
{
    const Kapsel__V1__VmEvent *event = (const Kapsel__V1__VmEvent *)message;
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, false);
        vm_event_json(&writer, event);
    } else {
        vm_event_line(cli->out, event);
    }
}

enum { CONSOLE_NO_FOLLOW, CONSOLE_SKIP_HISTORY };

static const struct option_spec console_specs[] = {
    [CONSOLE_NO_FOLLOW] = {"no-follow", 0, false},
    [CONSOLE_SKIP_HISTORY] = {"skip-history", 0, false},
};

static int run_console(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, console_specs,
                        sizeof(console_specs) / sizeof(console_specs[0]));
    Kapsel__V1__StreamConsoleRequest request = KAPSEL__V1__STREAM_CONSOLE_REQUEST__INIT;
    int option;
    const char *value;
    while ((option = option_next(&parser, &value)) >= 0) {
        if (option == CONSOLE_NO_FOLLOW) {
            request.no_follow = true;
        } else {
            request.skip_history = true;
        }
    }
    if (option != OPTION_END) {
        return command_parse_exit(command_option_exit(cli, command, option));
    }
    char name[RESOURCE_NAME_BYTES];
    struct kapsel_client *client;
    int exit_code = parse_vm_operand(&parser, name);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return exit_code;
    }
    request.name = name;
    struct kapsel_call_options call_options = cli_long_call_options(cli);
    struct kapsel_stream *stream;
    struct kapsel_status status;
    if (kapsel_stream_console(client, &request, &call_options, &stream, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, name, &status);
    } else {
        exit_code = print_stream(cli, stream, name, 0, print_console_chunk);
        kapsel_stream_close(stream);
    }
    kapsel_client_close(client);
    return exit_code;
}

enum { WATCH_TENANT, WATCH_COUNT };

static const struct option_spec watch_specs[] = {
    [WATCH_TENANT] = {"tenant", 't', true},
    [WATCH_COUNT] = {"count", 'c', true},
};

static int run_watch(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, watch_specs,
                        sizeof(watch_specs) / sizeof(watch_specs[0]));
    Kapsel__V1__WatchVmsRequest request = KAPSEL__V1__WATCH_VMS_REQUEST__INIT;
    uint32_t count = 0;
    int option;
    const char *value;
    while ((option = option_next(&parser, &value)) >= 0) {
        if (option == WATCH_TENANT) {
            request.tenant = (char *)value;
        } else if (!parse_uint32(value, 1, UINT32_MAX, &count)) {
            option_error(&parser, "--count takes a number of events, at least 1, not \"%s\"", value);
            return EXIT_USAGE;
        }
    }
    if (option != OPTION_END) {
        return command_parse_exit(command_option_exit(cli, command, option));
    }
    struct kapsel_client *client;
    int exit_code = command_expect_operands(&parser, 0, "");
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return exit_code;
    }
    struct kapsel_call_options call_options = cli_long_call_options(cli);
    struct kapsel_stream *stream;
    struct kapsel_status status;
    if (kapsel_watch_vms(client, &request, &call_options, &stream, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, "WatchVms", &status);
    } else {
        if (cli->options.output == OUTPUT_TABLE) {
            vm_event_header(cli->out);
        }
        exit_code = print_stream(cli, stream, "WatchVms", count, print_event);
        kapsel_stream_close(stream);
    }
    kapsel_client_close(client);
    return exit_code;
}

const struct command vm_console_command = {
    .group = "vm",
    .name = "console",
    .summary = "stream a VM's console",
    .help = "Usage: kapselctl vm console NAME [--no-follow] [--skip-history]\n"
            "\n"
            "Prints a VM's console (StreamConsole): the kept history, then new output while the VM runs; ends when\n"
            "the VM has ended and everything was printed. With --output json: one JSON object per chunk and line,\n"
            "{\"offset\": N, \"data\": \"...\"}.\n"
            "\n"
            "Options:\n"
            "      --no-follow      stop after the history\n"
            "      --skip-history   only what comes from now on\n",
    .run = run_console,
};

const struct command vm_watch_command = {
    .group = "vm",
    .name = "watch",
    .summary = "stream VM events",
    .help = "Usage: kapselctl vm watch [--tenant TENANT] [--count N]\n"
            "\n"
            "Prints VM events as they happen (WatchVms): one ADDED per existing VM first, then every creation,\n"
            "change of state and deletion. Runs until interrupted, or N events. With --output json: one JSON\n"
            "object per event and line.\n"
            "\n"
            "Options:\n"
            "  -t, --tenant TENANT   only this tenant's VMs\n"
            "  -c, --count N         stop after N events\n",
    .run = run_watch,
};
