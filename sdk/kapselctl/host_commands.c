/* kapselctl host info|health. */
#include "commands.h"
#include "exit_codes.h"
#include "fleet_commands.h"
#include "render_host.h"

#define TITLE_BYTES 64

int no_arguments_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, NULL, 0);
    const char *value;
    int option = option_next(&parser, &value);
    if (option != OPTION_END) {
        return command_option_exit(cli, command, option);
    }
    return command_expect_operands(&parser, 0, "");
}

static int run_info(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    struct kapsel_client *client;
    int exit_code = no_arguments_parse(cli, command, argc, argv, first);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    Kapsel__V1__HostInfo *info = NULL;
    if (kapsel_get_host_info(client, &call_options, &info, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, "GetHostInfo", &status);
    } else {
        if (cli->options.output == OUTPUT_JSON) {
            struct json_writer writer;
            json_init(&writer, cli->out, true);
            host_info_json(&writer, info);
        } else {
            host_info_detail(cli->out, info);
        }
        kapsel__v1__host_info__free_unpacked(info, NULL);
    }
    kapsel_client_close(client);
    return exit_code;
}

int health_exit_code(const Kapsel__V1__HealthResponse *health)
{
    return health->status == KAPSEL__V1__HEALTH_RESPONSE__SERVING_STATUS__SERVING ? EXIT_OK : EXIT_NOT_SERVING;
}

static int run_health(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    struct kapsel_client *client;
    int exit_code = no_arguments_parse(cli, command, argc, argv, first);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    Kapsel__V1__HealthResponse *health = NULL;
    if (kapsel_health(client, &call_options, &health, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, "Health", &status);
    } else {
        if (cli->options.output == OUTPUT_JSON) {
            struct json_writer writer;
            json_init(&writer, cli->out, true);
            json_begin_object(&writer);
            json_key(&writer, "status");
            json_string(&writer, health_status_name(health->status));
            json_end_object(&writer);
        } else {
            fprintf(cli->out, "%s\n", health_status_name(health->status));
        }
        exit_code = health_exit_code(health);
        kapsel__v1__health_response__free_unpacked(health, NULL);
    }
    kapsel_client_close(client);
    return exit_code;
}

const struct command host_info_command = {
    .group = "host",
    .name = "info",
    .summary = "show the host's facts",
    .help = "Usage: kapselctl host info\n"
            "\n"
            "Shows the host's name, version, CPUs, memory, VMs and limits, and its attestation key in hex, as\n"
            "kapselctl attest --expect-key takes it (GetHostInfo). With --fleet: one row per host.\n",
    .run = run_info,
    .run_fleet = fleet_host_info,
};

const struct command host_health_command = {
    .group = "host",
    .name = "health",
    .summary = "check that the host serves",
    .help = "Usage: kapselctl host health\n"
            "\n"
            "Asks the host whether it serves (Health) and prints SERVING or NOT_SERVING; exits 0 only for\n"
            "SERVING (8 for an answer that is not). With --fleet: one row per host.\n",
    .run = run_health,
    .run_fleet = fleet_host_health,
};
