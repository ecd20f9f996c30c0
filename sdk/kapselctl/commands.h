/* Every command of kapselctl, defined in the file of its group. */
#ifndef KAPSELCTL_COMMANDS_H
#define KAPSELCTL_COMMANDS_H

#include "command.h"

extern const struct command vm_create_command;
extern const struct command vm_start_command;
extern const struct command vm_stop_command;
extern const struct command vm_delete_command;
extern const struct command vm_get_command;
extern const struct command vm_list_command;
extern const struct command vm_console_command;
extern const struct command vm_watch_command;
extern const struct command image_push_command;
extern const struct command image_list_command;
extern const struct command image_get_command;
extern const struct command image_rm_command;
extern const struct command host_info_command;
extern const struct command host_health_command;
extern const struct command attest_command;

/* Shared by the one-host and the fleet forms of a command. */

/* Parses a command that takes no options nor operands: EXIT_OK, EXIT_USAGE or COMMAND_DONE. */
int no_arguments_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first);

/* image list's arguments (none): EXIT_OK, EXIT_USAGE or COMMAND_DONE. */
int image_list_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first);

/* Prints images: a JSON array, or the table (with a HOST column if host is not NULL). */
int print_image_list(const struct cli *cli, const char *host, const struct kapsel_image_list *list);

/* EXIT_OK for SERVING, else EXIT_NOT_SERVING. */
int health_exit_code(const Kapsel__V1__HealthResponse *health);

#endif
