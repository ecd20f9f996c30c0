/* kapselctl vm start|stop|delete|get|list. */
#include "commands.h"
#include "exit_codes.h"
#include "fleet_commands.h"
#include "human_format.h"
#include "render_vm.h"
#include "value_parsers.h"
#include "vm_list.h"

#include <string.h>

#define TITLE_BYTES 64

int parse_vm_operand(const struct option_parser *parser, char name[RESOURCE_NAME_BYTES])
{
    int exit_code = command_expect_operands(parser, 1, "the VM's name");
    if (exit_code == EXIT_OK && !vm_name_from_operand(parser->operands[0], name)) {
        option_error(parser, "\"%s\" is not a VM name (ID or vms/ID)", parser->operands[0]);
        exit_code = EXIT_USAGE;
    }
    return exit_code;
}

/* Parses "kapselctl vm <verb> NAME" (no options) into name: EXIT_OK, EXIT_USAGE or COMMAND_DONE. */
static int parse_vm_name_only(const struct cli *cli, const struct command *command, int argc, char **argv, int first,
                              char name[RESOURCE_NAME_BYTES])
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, NULL, 0);
    const char *value;
    int option = option_next(&parser, &value);
    if (option != OPTION_END) {
        return command_option_exit(cli, command, option);
    }
    return parse_vm_operand(&parser, name);
}

/* Prints a VM as the command's result: JSON or the detail view. */
static void print_vm(const struct cli *cli, const Kapsel__V1__Vm *vm)
{
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        vm_json(&writer, vm);
    } else {
        vm_detail(cli->out, vm);
    }
}

/* Finishes a call that answers a VM: prints it, or reports the error. */
static int finish_vm_call(const struct cli *cli, const char *name, int code, const struct kapsel_status *status,
                          Kapsel__V1__Vm *vm)
{
    if (code != KAPSEL_OK) {
        return cli_report(cli, name, status);
    }
    print_vm(cli, vm);
    kapsel__v1__vm__free_unpacked(vm, NULL);
    return EXIT_OK;
}

static int run_start(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char name[RESOURCE_NAME_BYTES];
    struct kapsel_client *client;
    int exit_code = parse_vm_name_only(cli, command, argc, argv, first, name);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    Kapsel__V1__StartVmRequest request = KAPSEL__V1__START_VM_REQUEST__INIT;
    request.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    Kapsel__V1__Vm *vm = NULL;
    int code = kapsel_start_vm(client, &request, &call_options, &vm, &status);
    exit_code = finish_vm_call(cli, name, code, &status, vm);
    kapsel_client_close(client);
    return exit_code;
}

static int run_get(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char name[RESOURCE_NAME_BYTES];
    struct kapsel_client *client;
    int exit_code = parse_vm_name_only(cli, command, argc, argv, first, name);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    Kapsel__V1__GetVmRequest request = KAPSEL__V1__GET_VM_REQUEST__INIT;
    request.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    Kapsel__V1__Vm *vm = NULL;
    int code = kapsel_get_vm(client, &request, &call_options, &vm, &status);
    exit_code = finish_vm_call(cli, name, code, &status, vm);
    kapsel_client_close(client);
    return exit_code;
}

static int run_delete(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char name[RESOURCE_NAME_BYTES];
    struct kapsel_client *client;
    int exit_code = parse_vm_name_only(cli, command, argc, argv, first, name);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    Kapsel__V1__DeleteVmRequest request = KAPSEL__V1__DELETE_VM_REQUEST__INIT;
    request.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    if (kapsel_delete_vm(client, &request, &call_options, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, name, &status);
    } else {
        cli_print_deleted(cli, name);
    }
    kapsel_client_close(client);
    return exit_code;
}

enum { STOP_FORCE, STOP_GRACE };

static const struct option_spec stop_specs[] = {
    [STOP_FORCE] = {"force", 'f', false},
    [STOP_GRACE] = {"grace", 0, true},
};

static int run_stop(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, stop_specs,
                        sizeof(stop_specs) / sizeof(stop_specs[0]));
    Kapsel__V1__StopVmRequest request = KAPSEL__V1__STOP_VM_REQUEST__INIT;
    for (;;) {
        const char *value;
        int option = option_next(&parser, &value);
        if (option == OPTION_END) {
            break;
        } else if (option < 0) {
            return command_parse_exit(command_option_exit(cli, command, option));
        } else if (option == STOP_FORCE) {
            request.force = true;
        } else if (!parse_seconds_ms(value, &request.grace_period_ms) || request.grace_period_ms > 600000) {
            option_error(&parser, "--grace takes seconds, 0 to 600 (0: the host's 10 s), not \"%s\"", value);
            return EXIT_USAGE;
        }
    }
    char name[RESOURCE_NAME_BYTES];
    int exit_code = parse_vm_operand(&parser, name);
    if (exit_code != EXIT_OK) {
        return exit_code;
    }
    struct kapsel_client *client;
    if ((exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return exit_code;
    }
    request.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    Kapsel__V1__Vm *vm = NULL;
    int code = kapsel_stop_vm(client, &request, &call_options, &vm, &status);
    exit_code = finish_vm_call(cli, name, code, &status, vm);
    kapsel_client_close(client);
    return exit_code;
}

enum { LIST_TENANT, LIST_LABEL };

static const struct option_spec list_specs[] = {
    [LIST_TENANT] = {"tenant", 't', true},
    [LIST_LABEL] = {"label", 'l', true},
};

int vm_list_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first,
                  struct vm_list_filter *filter)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, list_specs,
                        sizeof(list_specs) / sizeof(list_specs[0]));
    Kapsel__V1__ListVmsRequest request = KAPSEL__V1__LIST_VMS_REQUEST__INIT;
    filter->request = request;
    filter->request.label_selector = filter->selectors;
    for (;;) {
        const char *value;
        size_t key_length;
        const char *label_value;
        int option = option_next(&parser, &value);
        if (option == OPTION_END) {
            break;
        } else if (option < 0) {
            return command_option_exit(cli, command, option);
        } else if (option == LIST_TENANT) {
            filter->request.tenant = (char *)value;
        } else if (!parse_label(value, &key_length, &label_value)) {
            option_error(&parser, "--label is KEY=VALUE, not \"%s\"", value);
            return EXIT_USAGE;
        } else if (filter->request.n_label_selector == VM_LIST_FILTER_MAX_LABELS) {
            option_error(&parser, "at most %d --label", VM_LIST_FILTER_MAX_LABELS);
            return EXIT_USAGE;
        } else {
            filter->selectors[filter->request.n_label_selector++] = (char *)value;
        }
    }
    return command_expect_operands(&parser, 0, "");
}

static int run_list(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    struct vm_list_filter filter;
    int exit_code = vm_list_parse(cli, command, argc, argv, first, &filter);
    struct kapsel_client *client;
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    struct kapsel_vm_list list;
    if (kapsel_list_all_vms(client, &filter.request, &call_options, &list, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, "ListVms", &status);
    } else {
        exit_code = print_vm_list(cli, NULL, &list);
        kapsel_vm_list_free(&list);
    }
    kapsel_client_close(client);
    return exit_code;
}

int print_vm_list(const struct cli *cli, const char *host, const struct kapsel_vm_list *list)
{
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_array(&writer);
        for (size_t i = 0; i < list->count; i++) {
            vm_json(&writer, list->vms[i]);
        }
        json_end_array(&writer);
        return EXIT_OK;
    }
    struct table table;
    uint64_t now = now_unix_ms();
    bool built = vm_table_init(&table, host != NULL);
    for (size_t i = 0; built && i < list->count; i++) {
        built = vm_table_add(&table, host, list->vms[i], now);
    }
    if (built) {
        table_print(&table, cli->out);
    }
    table_free(&table);
    return built ? EXIT_OK : cli_local_error(cli, "out of memory for the table");
}

const struct command vm_start_command = {
    .group = "vm",
    .name = "start",
    .summary = "start a CREATED VM",
    .help = "Usage: kapselctl vm start NAME\n"
            "\n"
            "Starts a VM in state CREATED (StartVm); it is RUNNING when the command returns. NAME is the VM's id or\n"
            "vms/ID. Prints the VM.\n",
    .run = run_start,
};

const struct command vm_stop_command = {
    .group = "vm",
    .name = "stop",
    .summary = "stop a RUNNING VM",
    .help = "Usage: kapselctl vm stop NAME [--force] [--grace SECONDS]\n"
            "\n"
            "Stops a RUNNING VM (StopVm): the guest is asked to power off and has the grace period to do so.\n"
            "A stopped VM cannot be started again.\n"
            "\n"
            "Options:\n"
            "  -f, --force          stop at once, without asking the guest\n"
            "      --grace SECONDS  the guest's time to power off, 0 to 600 (default: the host's, 10 s)\n",
    .run = run_stop,
};

const struct command vm_delete_command = {
    .group = "vm",
    .name = "delete",
    .summary = "delete a VM that is not RUNNING",
    .help = "Usage: kapselctl vm delete NAME\n"
            "\n"
            "Deletes a VM that is not RUNNING, with its console history (DeleteVm).\n",
    .run = run_delete,
};

const struct command vm_get_command = {
    .group = "vm",
    .name = "get",
    .summary = "show a VM",
    .help = "Usage: kapselctl vm get NAME\n"
            "\n"
            "Shows every field of a VM (GetVm).\n",
    .run = run_get,
};

const struct command vm_list_command = {
    .group = "vm",
    .name = "list",
    .summary = "list VMs",
    .help = "Usage: kapselctl vm list [--tenant TENANT] [--label KEY=VALUE]...\n"
            "\n"
            "Lists VMs in creation order (ListVms, every page). With --fleet: the VMs of every host, with a HOST\n"
            "column, then each host's result and a summary.\n"
            "\n"
            "Options:\n"
            "  -t, --tenant TENANT      only this tenant's VMs\n"
            "  -l, --label KEY=VALUE    only VMs with this label (repeatable: all of them)\n",
    .run = run_list,
    .run_fleet = fleet_vm_list,
};
