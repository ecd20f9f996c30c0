/* The commands that work with --fleet: each host's part runs on a thread of its own (fleet_runner.h); the results
 * are printed per host, then a summary (fleet_report.h). A host that is down is reported, not fatal. */
#ifndef KAPSELCTL_FLEET_COMMANDS_H
#define KAPSELCTL_FLEET_COMMANDS_H

#include "command.h"

int fleet_vm_list(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                  char **argv, int first);
int fleet_vm_create(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                    char **argv, int first);
int fleet_image_list(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                     char **argv, int first);
int fleet_host_info(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                    char **argv, int first);
int fleet_host_health(const struct cli *cli, const struct command *command, const struct fleet *fleet, int argc,
                      char **argv, int first);

/* GetHostInfo as a fleet fetch (fleet_fetch.h), for --spread's placement: *data is the Kapsel__V1__HostInfo. */
#include "fleet_fetch.h"

int fleet_fetch_host_info(const struct cli *cli, const void *input, struct kapsel_client *client, void **data,
                          char summary[HOST_SUMMARY_BYTES], struct kapsel_status *status);
void fleet_free_host_info(void *data);

#endif
