/* One call (or a few) on every host of a fleet at once: each host's client, data and result. */
#ifndef KAPSELCTL_FLEET_FETCH_H
#define KAPSELCTL_FLEET_FETCH_H

#include "cli.h"
#include "fleet_report.h"

/* A host's part: with its client, puts what it got in *data (freed by the caller's free function, also after an
 * error) and a summary of it; returns the status code (filling status). */
typedef int (*host_fetch_fn)(const struct cli *cli, const void *input, struct kapsel_client *client, void **data,
                             char summary[HOST_SUMMARY_BYTES], struct kapsel_status *status);

struct fleet_fetch {
    struct host_result *results; /* one per host */
    void **data;                 /* one per host; NULL where the host's part got nothing */
};

/* Runs fetch for every host concurrently (connecting to each); false if out of memory (nothing ran). */
bool fleet_fetch_all(const struct cli *cli, const struct fleet *fleet, host_fetch_fn fetch, const void *input,
                     struct fleet_fetch *fetched);

/* Frees each host's data with free_data, and the arrays. */
void fleet_fetch_free(struct fleet_fetch *fetched, size_t host_count, void (*free_data)(void *data));

/* Sets status to code and message; returns code. */
int fleet_status(struct kapsel_status *status, int code, const char *message);

#endif
