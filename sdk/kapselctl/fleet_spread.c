/* kapselctl --fleet FILE vm create --spread N: GetHostInfo from every host, the placement (placement.h), then on each
 * host that got VMs, at once: its local images pushed, its VMs created (and started with --start) in order. */
#include "commands.h"
#include "exit_codes.h"
#include "fleet_commands.h"
#include "fleet_runner.h"
#include "human_format.h"
#include "placement.h"
#include "render_host.h"
#include "render_vm.h"
#include "vm_create.h"

#include <stdlib.h>
#include <string.h>

#define MIB (1024ull * 1024ull)

struct spread {
    const struct cli *cli;
    const struct fleet *fleet;
    const struct vm_create_args *args;
    size_t vm_count;
    size_t *assignment;          /* VM i (numbered i + 1) goes to host assignment[i] */
    struct host_result *results; /* per host */
    Kapsel__V1__Vm **vms;        /* per VM: what the host answered; NULL if not created */
};

static void create_on_host(void *shared, size_t host)
{
    struct spread *spread = shared;
    struct host_result *result = &spread->results[host];
    size_t wanted = 0;
    size_t created = 0;
    for (size_t vm = 0; vm < spread->vm_count; vm++) {
        wanted += spread->assignment[vm] == host;
    }
    if (result->status.code != KAPSEL_OK || wanted == 0) {
        return; /* unreachable (reported already), or nothing placed here */
    }
    struct kapsel_client *client;
    struct kapsel_client_options options = cli_client_options(spread->cli);
    if (kapsel_client_connect(spread->fleet->hosts[host].address, &options, &client, &result->status) != KAPSEL_OK) {
        return;
    }
    struct vm_create_args args = *spread->args; /* this host's copy: its pushes make names of the files */
    for (size_t vm = 0; vm < spread->vm_count; vm++) {
        if (spread->assignment[vm] != host) {
            continue;
        }
        struct push_outcome outcome;
        int code = vm_create_on_host(spread->cli, client, &args, (uint32_t)(vm + 1), false, &spread->vms[vm], &outcome);
        if (code != KAPSEL_OK) {
            result->status = outcome.status;
            break;
        }
        created++;
    }
    snprintf(result->summary, sizeof(result->summary), "%zu of %zu VMs created", created, wanted);
    kapsel_client_close(client);
}

static void print_spread(const struct spread *spread)
{
    const struct cli *cli = spread->cli;
    const struct fleet *fleet = spread->fleet;
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_object(&writer);
        json_key(&writer, "hosts");
        json_begin_array(&writer);
        for (size_t host = 0; host < fleet->count; host++) {
            json_begin_object(&writer);
            fleet_json_host_members(&writer, &fleet->hosts[host], &spread->results[host]);
            json_key(&writer, "vms");
            json_begin_array(&writer);
            for (size_t vm = 0; vm < spread->vm_count; vm++) {
                if (spread->assignment[vm] == host && spread->vms[vm]) {
                    vm_json(&writer, spread->vms[vm]);
                }
            }
            json_end_array(&writer);
            json_end_object(&writer);
        }
        json_end_array(&writer);
        fleet_json_summary(&writer, fleet, spread->results);
        json_end_object(&writer);
        return;
    }
    struct table table;
    uint64_t now = now_unix_ms();
    bool built = vm_table_init(&table, true);
    for (size_t vm = 0; built && vm < spread->vm_count; vm++) {
        if (spread->vms[vm]) {
            built = vm_table_add(&table, fleet->hosts[spread->assignment[vm]].name, spread->vms[vm], now);
        }
    }
    if (built) {
        table_print(&table, cli->out);
    }
    table_free(&table);
    fputc('\n', cli->out);
    fleet_print_results(cli->out, fleet, spread->results);
}

/* Places the VMs on the hosts that answered GetHostInfo; false (printed) if they do not fit. */
static bool place(const struct spread *spread, const struct fleet_fetch *infos)
{
    const struct fleet *fleet = spread->fleet;
    uint64_t free_bytes[FLEET_MAX_HOSTS];
    bool reachable[FLEET_MAX_HOSTS];
    for (size_t host = 0; host < fleet->count; host++) {
        reachable[host] = infos->results[host].status.code == KAPSEL_OK;
        free_bytes[host] = reachable[host] ? host_free_vm_memory(infos->data[host]) : 0;
    }
    uint64_t vm_bytes = spread->args->memory_mib * MIB;
    if (place_vms(free_bytes, reachable, fleet->count, vm_bytes, spread->vm_count, spread->assignment)) {
        return true;
    }
    char memory[HUMAN_TEXT_BYTES];
    format_bytes(vm_bytes, memory);
    fprintf(spread->cli->err,
            "kapselctl: RESOURCE_EXHAUSTED: the free VM memory of the fleet's reachable hosts does not hold %zu VMs "
            "of %s; none created\n",
            spread->vm_count, memory);
    fleet_print_results(spread->cli->err, fleet, infos->results);
    return false;
}

int fleet_vm_create(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                    char **argv, int first)
{
    struct vm_create_args *args = malloc(sizeof(*args));
    if (args == NULL) {
        return cli_local_error(cli, "out of memory");
    }
    int exit_code = vm_create_parse(cli, command, argc, argv, first, args);
    if (exit_code == EXIT_OK && args->spread == 0) {
        exit_code = cli_usage_error(cli, "vm create with --fleet needs --spread N (how many VMs to place)");
    }
    struct fleet_fetch infos;
    if (exit_code != EXIT_OK || !fleet_fetch_all(cli, fleet, fleet_fetch_host_info, NULL, &infos)) {
        free(args);
        return exit_code != EXIT_OK ? command_parse_exit(exit_code) : cli_local_error(cli, "out of memory");
    }
    struct spread spread = {
        .cli = cli,
        .fleet = fleet,
        .args = args,
        .vm_count = args->spread,
        .assignment = calloc(args->spread, sizeof(size_t)),
        .results = infos.results,
        .vms = calloc(args->spread, sizeof(Kapsel__V1__Vm *)),
    };
    if (spread.assignment == NULL || spread.vms == NULL) {
        exit_code = cli_local_error(cli, "out of memory");
    } else if (!place(&spread, &infos)) {
        exit_code = EXIT_API_ERROR;
    } else {
        for (size_t host = 0; host < fleet->count; host++) {
            snprintf(spread.results[host].summary, HOST_SUMMARY_BYTES, "no VM placed here");
        }
        fleet_run(fleet->count, create_on_host, &spread);
        print_spread(&spread);
        exit_code = fleet_exit_code(spread.results, fleet->count);
    }
    for (size_t vm = 0; spread.vms && vm < spread.vm_count; vm++) {
        if (spread.vms[vm]) {
            kapsel__v1__vm__free_unpacked(spread.vms[vm], NULL);
        }
    }
    free(spread.vms);
    free(spread.assignment);
    fleet_fetch_free(&infos, fleet->count, fleet_free_host_info);
    free(args);
    return exit_code;
}
