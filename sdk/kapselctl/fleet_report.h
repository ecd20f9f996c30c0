/* Each host's result in fleet mode and the summary: a HOST ADDRESS RESULT table after the command's own output (or
 * members of each host's JSON object), "N hosts: N ok, N failed", and the exit code. */
#ifndef KAPSELCTL_FLEET_REPORT_H
#define KAPSELCTL_FLEET_REPORT_H

#include "hosts_file.h"
#include "json_writer.h"

#include <kapsel/client.h>

#define HOST_SUMMARY_BYTES 96

struct host_result {
    struct kapsel_status status;      /* KAPSEL_OK, or why the host failed */
    char summary[HOST_SUMMARY_BYTES]; /* what it did, when OK: "3 VMs" */
};

/* EXIT_OK when every host succeeded, EXIT_FLEET_FAILED when none did, else EXIT_FLEET_PARTIAL. */
int fleet_exit_code(const struct host_result *results, size_t count);

/* The HOST ADDRESS RESULT table ("ok: 3 VMs", "UNAVAILABLE: ...") and the summary line. */
void fleet_print_results(FILE *out, const struct fleet *fleet, const struct host_result *results);

/* Inside a host's JSON object: "host", "address", "ok" and, for a failure, "error": {"code", "message"}. */
void fleet_json_host_members(struct json_writer *writer, const struct fleet_host *host,
                             const struct host_result *result);

/* "summary": {"hosts": N, "ok": N, "failed": N}, inside the top-level object. */
void fleet_json_summary(struct json_writer *writer, const struct fleet *fleet, const struct host_result *results);

#endif
