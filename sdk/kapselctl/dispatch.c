/* The command table, the help of kapselctl and of each group, and running a command on a host or a fleet. */
#include "dispatch.h"

#include "commands.h"
#include "exit_codes.h"

#include <stdlib.h>
#include <string.h>

static const struct command *const all_commands[] = {
    &vm_create_command, &vm_start_command,   &vm_stop_command,   &vm_delete_command,   &vm_get_command,
    &vm_list_command,   &vm_console_command, &vm_watch_command,  &image_push_command,  &image_list_command,
    &image_get_command, &image_rm_command,   &host_info_command, &host_health_command, &attest_command,
};

#define COMMAND_COUNT (sizeof(all_commands) / sizeof(all_commands[0]))

static const char *const groups[][2] = {
    {"vm", "tenant microVMs"},
    {"image", "the images VMs boot from"},
    {"host", "the host itself"},
};

static const char global_help[] =
    "kapselctl: the command line of Kapsel's management API (api/kapsel/v1).\n"
    "\n"
    "Usage: kapselctl [GLOBAL OPTIONS] COMMAND [ARGUMENTS]\n"
    "\n"
    "Commands:\n"
    "  vm create|start|stop|delete|get|list|console|watch\n"
    "  image push|list|get|rm\n"
    "  host info|health\n"
    "  attest NAME            verified evidence about a VM: what it boots, signed by the host\n"
    "\n"
    "Global options (before the command):\n"
    "  -H, --host HOST:PORT   the host's API (default: $KAPSEL_HOST, else 127.0.0.1:50051)\n"
    "      --fleet FILE       every host of FILE at once (lines \"name address\", # comments); for vm list,\n"
    "                         vm create --spread, image list, host info, host health\n"
    "  -o, --output FORMAT    table (default) or json\n"
    "      --timeout SECONDS  each call's deadline (default 30; 0: none); streams and uploads have none\n"
    "                         unless given\n"
    "      --token TOKEN      the API token every call sends, to every host (default: $KAPSEL_TOKEN; \"\": none).\n"
    "                         It travels in clear text: the API has no TLS yet\n"
    "  -h, --help             this help; kapselctl GROUP --help, kapselctl GROUP COMMAND --help\n"
    "\n"
    "Exit codes: 0 ok; 1 the host answered with an error (its gRPC code is printed); 2 usage; 3 host\n"
    "unreachable; 4 local file or memory error; 5 fleet: some hosts failed; 6 fleet: every host failed;\n"
    "7 not available (attest: the host has no attestation); 8 host not serving; 9 not authorized: no token,\n"
    "an unknown one, or one that may not do this (UNAUTHENTICATED, PERMISSION_DENIED); 10 not attested:\n"
    "the evidence does not verify or an expectation is not met. See docs/cli.md.\n";

static void print_group_help(FILE *out, const char *group, const char *summary)
{
    fprintf(out, "Usage: kapselctl [GLOBAL OPTIONS] %s COMMAND [ARGUMENTS]\n\n%s.\n\nCommands:\n", group, summary);
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (all_commands[i]->group && strcmp(all_commands[i]->group, group) == 0) {
            fprintf(out, "  %-10s%s%s\n", all_commands[i]->name, all_commands[i]->summary,
                    all_commands[i]->run_fleet ? " (also with --fleet)" : "");
        }
    }
    fprintf(out, "\nkapselctl %s COMMAND --help shows a command's options.\n", group);
}

static const struct command *find_command(const char *group, const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        const struct command *command = all_commands[i];
        bool same_group = group ? command->group && strcmp(command->group, group) == 0 : command->group == NULL;
        if (same_group && strcmp(command->name, name) == 0) {
            return command;
        }
    }
    return NULL;
}

static const char *group_summary(const char *group)
{
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (strcmp(groups[i][0], group) == 0) {
            return groups[i][1];
        }
    }
    return NULL;
}

static bool is_help(const char *argument)
{
    return strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0 || strcmp(argument, "help") == 0;
}

static int run_command(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    if (cli->options.fleet_file == NULL) {
        return command->run(cli, command, argc, argv, first);
    }
    if (command->run_fleet == NULL) {
        char title[64];
        command_title(command, title, sizeof(title));
        return cli_usage_error(cli, "%s does not work with --fleet (see kapselctl --help)", title);
    }
    struct fleet *fleet = malloc(sizeof(*fleet));
    if (fleet == NULL) {
        return cli_local_error(cli, "out of memory");
    }
    int exit_code = hosts_load(cli->options.fleet_file, fleet, cli->err)
                        ? command->run_fleet(cli, command, fleet, argc, argv, first)
                        : EXIT_USAGE;
    free(fleet);
    return exit_code;
}

int kapselctl_main(int argc, char **argv, FILE *out, FILE *err, bool err_is_tty)
{
    struct cli cli = {.out = out, .err = err, .err_is_tty = err_is_tty};
    int index;
    int exit_code = global_options_parse(argc, argv, &cli.options, &index, err);
    if (exit_code != EXIT_OK) {
        return exit_code;
    }
    if (cli.options.help || (index < argc && is_help(argv[index]))) {
        fputs(global_help, out);
        return EXIT_OK;
    }
    if (index == argc) {
        fputs(global_help, err);
        return EXIT_USAGE;
    }
    const char *group = argv[index];
    const struct command *command = find_command(NULL, group);
    if (command) {
        return run_command(&cli, command, argc, argv, index + 1);
    }
    const char *summary = group_summary(group);
    if (summary == NULL) {
        return cli_usage_error(&cli, "unknown command \"%s\" (see kapselctl --help)", group);
    }
    if (index + 1 == argc || is_help(argv[index + 1])) {
        print_group_help(index + 1 == argc ? err : out, group, summary);
        return index + 1 == argc ? EXIT_USAGE : EXIT_OK;
    }
    command = find_command(group, argv[index + 1]);
    if (command == NULL) {
        return cli_usage_error(&cli, "unknown command \"%s %s\" (see kapselctl %s --help)", group, argv[index + 1],
                               group);
    }
    return run_command(&cli, command, argc, argv, index + 2);
}
