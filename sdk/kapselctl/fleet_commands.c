/* vm list, image list, host info and host health on every host of a fleet. (vm create --spread: fleet_spread.c.) */
#include "fleet_commands.h"

#include "commands.h"
#include "exit_codes.h"
#include "fleet_fetch.h"
#include "human_format.h"
#include "render_host.h"
#include "render_image.h"
#include "render_vm.h"
#include "vm_list.h"

#include <stdlib.h>

/* --- vm list --- */

static int fetch_vms(const struct cli *cli, const void *input, struct kapsel_client *client, void **data,
                     char summary[HOST_SUMMARY_BYTES], struct kapsel_status *status)
{
    struct kapsel_vm_list *list = calloc(1, sizeof(*list));
    if (list == NULL) {
        return fleet_status(status, KAPSEL_RESOURCE_EXHAUSTED, "out of memory");
    }
    struct kapsel_call_options call_options = cli_call_options(cli);
    int code = kapsel_list_all_vms(client, input, &call_options, list, status);
    snprintf(summary, HOST_SUMMARY_BYTES, "%zu VMs", list->count);
    *data = list;
    return code;
}

static void free_vms(void *data)
{
    kapsel_vm_list_free(data);
    free(data);
}

/* One kind of fleet listing: how each host's list is fetched and freed, and how its items print (JSON, table). */
struct fleet_listing {
    host_fetch_fn fetch;
    void (*free_list)(void *list);
    const char *json_member; /* "vms", "images" */
    size_t (*count)(const void *list);
    void (*item_json)(struct json_writer *writer, const void *list, size_t i);
    bool (*table_init)(struct table *table, bool with_host);
    bool (*table_add)(struct table *table, const char *host, const void *list, size_t i, uint64_t now_ms);
};

/* Every host's items (JSON: per host with its result; table: one row per item with a HOST column), then results. */
static void print_fleet_listing(const struct cli *cli, const struct fleet *fleet, const struct fleet_fetch *fetched,
                                const struct fleet_listing *listing)
{
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_object(&writer);
        json_key(&writer, "hosts");
        json_begin_array(&writer);
        for (size_t host = 0; host < fleet->count; host++) {
            json_begin_object(&writer);
            fleet_json_host_members(&writer, &fleet->hosts[host], &fetched->results[host]);
            if (fetched->results[host].status.code == KAPSEL_OK) {
                json_key(&writer, listing->json_member);
                json_begin_array(&writer);
                for (size_t i = 0; i < listing->count(fetched->data[host]); i++) {
                    listing->item_json(&writer, fetched->data[host], i);
                }
                json_end_array(&writer);
            }
            json_end_object(&writer);
        }
        json_end_array(&writer);
        fleet_json_summary(&writer, fleet, fetched->results);
        json_end_object(&writer);
        return;
    }
    struct table table;
    uint64_t now = now_unix_ms();
    bool built = listing->table_init(&table, true);
    for (size_t host = 0; built && host < fleet->count; host++) {
        const void *list = fetched->data[host];
        for (size_t i = 0; built && fetched->results[host].status.code == KAPSEL_OK && i < listing->count(list); i++) {
            built = listing->table_add(&table, fleet->hosts[host].name, list, i, now);
        }
    }
    if (built) {
        table_print(&table, cli->out);
    }
    table_free(&table);
    fputc('\n', cli->out);
    fleet_print_results(cli->out, fleet, fetched->results);
}

/* Fetches the listing from every host at once, prints it and each host's result; the fleet's exit code. */
static int run_fleet_listing(const struct cli *cli, const struct fleet *fleet, const struct fleet_listing *listing,
                             const void *input)
{
    struct fleet_fetch fetched;
    if (!fleet_fetch_all(cli, fleet, listing->fetch, input, &fetched)) {
        return cli_local_error(cli, "out of memory for %zu hosts", fleet->count);
    }
    print_fleet_listing(cli, fleet, &fetched, listing);
    int exit_code = fleet_exit_code(fetched.results, fleet->count);
    fleet_fetch_free(&fetched, fleet->count, listing->free_list);
    return exit_code;
}

static size_t vm_count(const void *list)
{
    return ((const struct kapsel_vm_list *)list)->count;
}

static void vm_item_json(struct json_writer *writer, const void *list, size_t i)
{
    vm_json(writer, ((const struct kapsel_vm_list *)list)->vms[i]);
}

static bool vm_item_row(struct table *table, const char *host, const void *list, size_t i, uint64_t now_ms)
{
    return vm_table_add(table, host, ((const struct kapsel_vm_list *)list)->vms[i], now_ms);
}

static const struct fleet_listing vm_listing = {
    .fetch = fetch_vms,
    .free_list = free_vms,
    .json_member = "vms",
    .count = vm_count,
    .item_json = vm_item_json,
    .table_init = vm_table_init,
    .table_add = vm_item_row,
};

int fleet_vm_list(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                  char **argv, int first)
{
    struct vm_list_filter filter;
    int exit_code = vm_list_parse(cli, command, argc, argv, first, &filter);
    if (exit_code != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    return run_fleet_listing(cli, fleet, &vm_listing, &filter.request);
}

/* --- image list --- */

static int fetch_images(const struct cli *cli, const void *input, struct kapsel_client *client, void **data,
                        char summary[HOST_SUMMARY_BYTES], struct kapsel_status *status)
{
    (void)input;
    struct kapsel_image_list *list = calloc(1, sizeof(*list));
    if (list == NULL) {
        return fleet_status(status, KAPSEL_RESOURCE_EXHAUSTED, "out of memory");
    }
    struct kapsel_call_options call_options = cli_call_options(cli);
    int code = kapsel_list_all_images(client, &call_options, list, status);
    snprintf(summary, HOST_SUMMARY_BYTES, "%zu images", list->count);
    *data = list;
    return code;
}

static void free_images(void *data)
{
    kapsel_image_list_free(data);
    free(data);
}

static size_t image_count(const void *list)
{
    return ((const struct kapsel_image_list *)list)->count;
}

static void image_item_json(struct json_writer *writer, const void *list, size_t i)
{
    image_json(writer, ((const struct kapsel_image_list *)list)->images[i]);
}

static bool image_item_row(struct table *table, const char *host, const void *list, size_t i, uint64_t now_ms)
{
    return image_table_add(table, host, ((const struct kapsel_image_list *)list)->images[i], now_ms);
}

static const struct fleet_listing image_listing = {
    .fetch = fetch_images,
    .free_list = free_images,
    .json_member = "images",
    .count = image_count,
    .item_json = image_item_json,
    .table_init = image_table_init,
    .table_add = image_item_row,
};

int fleet_image_list(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                     char **argv, int first)
{
    int exit_code = image_list_parse(cli, command, argc, argv, first);
    if (exit_code != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    return run_fleet_listing(cli, fleet, &image_listing, NULL);
}

/* --- host info --- */

int fleet_fetch_host_info(const struct cli *cli, const void *input, struct kapsel_client *client, void **data,
                          char summary[HOST_SUMMARY_BYTES], struct kapsel_status *status)
{
    (void)input;
    struct kapsel_call_options call_options = cli_call_options(cli);
    Kapsel__V1__HostInfo *info = NULL;
    int code = kapsel_get_host_info(client, &call_options, &info, status);
    if (code == KAPSEL_OK) {
        char free_memory[HUMAN_TEXT_BYTES];
        format_bytes(host_free_vm_memory(info), free_memory);
        snprintf(summary, HOST_SUMMARY_BYTES, "%s, %s of VM memory free", info->name, free_memory);
    }
    *data = info;
    return code;
}

void fleet_free_host_info(void *data)
{
    kapsel__v1__host_info__free_unpacked(data, NULL);
}

int fleet_host_info(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                    char **argv, int first)
{
    int exit_code = no_arguments_parse(cli, command, argc, argv, first);
    if (exit_code != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    struct fleet_fetch fetched;
    if (!fleet_fetch_all(cli, fleet, fleet_fetch_host_info, NULL, &fetched)) {
        return cli_local_error(cli, "out of memory for %zu hosts", fleet->count);
    }
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_object(&writer);
        json_key(&writer, "hosts");
        json_begin_array(&writer);
        for (size_t host = 0; host < fleet->count; host++) {
            json_begin_object(&writer);
            fleet_json_host_members(&writer, &fleet->hosts[host], &fetched.results[host]);
            if (fetched.results[host].status.code == KAPSEL_OK) {
                json_key(&writer, "info");
                host_info_json(&writer, fetched.data[host]);
            }
            json_end_object(&writer);
        }
        json_end_array(&writer);
        fleet_json_summary(&writer, fleet, fetched.results);
        json_end_object(&writer);
    } else {
        struct table table;
        bool built = host_info_table_init(&table);
        for (size_t host = 0; built && host < fleet->count; host++) {
            if (fetched.results[host].status.code == KAPSEL_OK) {
                built = host_info_table_add(&table, fleet->hosts[host].name, fleet->hosts[host].address,
                                            fetched.data[host]);
            }
        }
        if (built) {
            table_print(&table, cli->out);
        }
        table_free(&table);
        fleet_print_results(cli->out, fleet, fetched.results);
    }
    exit_code = fleet_exit_code(fetched.results, fleet->count);
    fleet_fetch_free(&fetched, fleet->count, fleet_free_host_info);
    return exit_code;
}

/* --- host health --- */

/* A host that answers and does not serve counts as failed: UNAVAILABLE, as gRPC's own health checking has it. */
static int fetch_health(const struct cli *cli, const void *input, struct kapsel_client *client, void **data,
                        char summary[HOST_SUMMARY_BYTES], struct kapsel_status *status)
{
    (void)input;
    struct kapsel_call_options call_options = cli_call_options(cli);
    Kapsel__V1__HealthResponse *health = NULL;
    int code = kapsel_health(client, &call_options, &health, status);
    *data = health;
    if (code != KAPSEL_OK) {
        return code;
    }
    snprintf(summary, HOST_SUMMARY_BYTES, "%s", health_status_name(health->status));
    if (health_exit_code(health) != EXIT_OK) {
        char message[KAPSEL_STATUS_MESSAGE_BYTES];
        snprintf(message, sizeof(message), "the host answered %s", health_status_name(health->status));
        return fleet_status(status, KAPSEL_UNAVAILABLE, message);
    }
    return code;
}

static void free_health(void *data)
{
    kapsel__v1__health_response__free_unpacked(data, NULL);
}

int fleet_host_health(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                      char **argv, int first)
{
    int exit_code = no_arguments_parse(cli, command, argc, argv, first);
    if (exit_code != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    struct fleet_fetch fetched;
    if (!fleet_fetch_all(cli, fleet, fetch_health, NULL, &fetched)) {
        return cli_local_error(cli, "out of memory for %zu hosts", fleet->count);
    }
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_object(&writer);
        json_key(&writer, "hosts");
        json_begin_array(&writer);
        for (size_t host = 0; host < fleet->count; host++) {
            json_begin_object(&writer);
            fleet_json_host_members(&writer, &fleet->hosts[host], &fetched.results[host]);
            if (fetched.data[host]) {
                const Kapsel__V1__HealthResponse *health = fetched.data[host];
                json_key(&writer, "status");
                json_string(&writer, health_status_name(health->status));
            }
            json_end_object(&writer);
        }
        json_end_array(&writer);
        fleet_json_summary(&writer, fleet, fetched.results);
        json_end_object(&writer);
    } else {
        fleet_print_results(cli->out, fleet, fetched.results);
    }
    exit_code = fleet_exit_code(fetched.results, fleet->count);
    fleet_fetch_free(&fetched, fleet->count, free_health);
    return exit_code;
}
