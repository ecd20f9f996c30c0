/* Fetching from every host on the fleet runner's threads. */
#include "fleet_fetch.h"

#include "fleet_runner.h"

#include <stdlib.h>

struct fetch_job {
    const struct cli *cli;
    const struct fleet *fleet;
    host_fetch_fn fetch;
    const void *input;
    struct fleet_fetch *fetched;
};

static void fetch_one(void *shared, size_t host)
{
    const struct fetch_job *job = shared;
    struct host_result *result = &job->fetched->results[host];
    struct kapsel_client *client;
    struct kapsel_client_options options = cli_client_options(job->cli);
    if (kapsel_client_connect(job->fleet->hosts[host].address, &options, &client, &result->status) != KAPSEL_OK) {
        return;
    }
    job->fetch(job->cli, job->input, client, &job->fetched->data[host], result->summary, &result->status);
    kapsel_client_close(client);
}

bool fleet_fetch_all(const struct cli *cli, const struct fleet *fleet, host_fetch_fn fetch, const void *input,
                     struct fleet_fetch *fetched)
{
    fetched->results = calloc(fleet->count, sizeof(*fetched->results));
    fetched->data = calloc(fleet->count, sizeof(*fetched->data));
    if (fetched->results == NULL || fetched->data == NULL) {
        free(fetched->results);
        free(fetched->data);
        return false;
    }
    struct fetch_job job = {.cli = cli, .fleet = fleet, .fetch = fetch, .input = input, .fetched = fetched};
    fleet_run(fleet->count, fetch_one, &job);
    return true;
}

void fleet_fetch_free(struct fleet_fetch *fetched, size_t host_count, void (*free_data)(void *data))
{
    for (size_t host = 0; host < host_count; host++) {
        if (fetched->data[host]) {
            free_data(fetched->data[host]);
        }
    }
    free(fetched->results);
    free(fetched->data);
}

int fleet_status(struct kapsel_status *status, int code, const char *message)
{
    status->code = code;
    snprintf(status->message, sizeof(status->message), "%s", message);
    return code;
}
