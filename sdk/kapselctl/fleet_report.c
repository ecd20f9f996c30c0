/* Per-host results and the fleet's summary. */
#include "fleet_report.h"

#include "exit_codes.h"
#include "table.h"

static size_t count_ok(const struct host_result *results, size_t count)
{
    size_t ok = 0;
    for (size_t i = 0; i < count; i++) {
        ok += results[i].status.code == KAPSEL_OK;
    }
    return ok;
}

int fleet_exit_code(const struct host_result *results, size_t count)
{
    size_t ok = count_ok(results, count);
    return ok == count ? EXIT_OK : ok == 0 ? EXIT_FLEET_FAILED : EXIT_FLEET_PARTIAL;
}

void fleet_print_results(FILE *out, const struct fleet *fleet, const struct host_result *results)
{
    static const char *const headers[] = {"HOST", "ADDRESS", "RESULT"};
    struct table table;
    bool built = table_init(&table, 3, headers);
    for (size_t i = 0; built && i < fleet->count; i++) {
        char text[KAPSEL_STATUS_MESSAGE_BYTES + HOST_SUMMARY_BYTES + 32];
        const struct host_result *result = &results[i];
        if (result->status.code == KAPSEL_OK) {
            snprintf(text, sizeof(text), "ok: %s", result->summary);
        } else {
            snprintf(text, sizeof(text), "%s: %s", kapsel_code_name(result->status.code), result->status.message);
        }
        const char *row[] = {fleet->hosts[i].name, fleet->hosts[i].address, text};
        built = table_add_row(&table, row);
    }
    if (built) {
        table_print(&table, out);
    }
    table_free(&table);
    size_t ok = count_ok(results, fleet->count);
    fprintf(out, "%zu hosts: %zu ok, %zu failed\n", fleet->count, ok, fleet->count - ok);
}

void fleet_json_host_members(struct json_writer *writer, const struct fleet_host *host,
                             const struct host_result *result)
{
    json_key(writer, "host");
    json_string(writer, host->name);
    json_key(writer, "address");
    json_string(writer, host->address);
    json_key(writer, "ok");
    json_bool(writer, result->status.code == KAPSEL_OK);
    if (result->status.code != KAPSEL_OK) {
        json_key(writer, "error");
        json_begin_object(writer);
        json_key(writer, "code");
        json_string(writer, kapsel_code_name(result->status.code));
        json_key(writer, "message");
        json_string(writer, result->status.message);
        json_end_object(writer);
    }
}

void fleet_json_summary(struct json_writer *writer, const struct fleet *fleet, const struct host_result *results)
{
    size_t ok = count_ok(results, fleet->count);
    json_key(writer, "summary");
    json_begin_object(writer);
    json_key(writer, "hosts");
    json_uint(writer, fleet->count);
    json_key(writer, "ok");
    json_uint(writer, ok);
    json_key(writer, "failed");
    json_uint(writer, fleet->count - ok);
    json_end_object(writer);
}
