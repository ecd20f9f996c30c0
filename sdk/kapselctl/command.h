/* One kapselctl command ("vm create"): its help and how it runs on one host or, if it can, on a fleet. */
#ifndef KAPSELCTL_COMMAND_H
#define KAPSELCTL_COMMAND_H

#include "cli.h"
#include "hosts_file.h"
#include "option_parser.h"

struct command;

/* argv[first..argc) are the command's own arguments. Returns the exit code. */
typedef int (*command_run_fn)(const struct cli *cli, const struct command *command, int argc, char **argv, int first);
typedef int (*command_run_fleet_fn)(const struct cli *cli, const struct command *command, const struct fleet *fleet,
                                    int argc, char **argv, int first);

struct command {
    const char *group; /* "vm", "image", "host"; NULL for a command of its own ("attest") */
    const char *name;
    const char *summary;
    const char *help; /* the full help, from its usage line on */
    command_run_fn run;
    command_run_fleet_fn run_fleet; /* NULL: not with --fleet */
};

/* "kapselctl vm create", for messages. */
void command_title(const struct command *command, char *title, size_t size);

/* Prints the command's help to the output; returns EXIT_OK. */
int command_help(const struct cli *cli, const struct command *command);

/* Starts parsing the command's arguments with its options (title is the caller's buffer for messages). */
void command_parser_init(struct option_parser *parser, const struct cli *cli, const struct command *command,
                         char *title, size_t title_size, int argc, char **argv, int first,
                         const struct option_spec *specs, size_t spec_count);

/* What a command's argument parsing returns besides EXIT_OK (go on) and EXIT_USAGE: the help was printed, the
 * command is done. */
#define COMMAND_DONE (-1)

/* For an option loop's OPTION_HELP (prints the help: COMMAND_DONE) or OPTION_ERROR (EXIT_USAGE). */
int command_option_exit(const struct cli *cli, const struct command *command, int option);

/* The exit code for a parse result that is not EXIT_OK: EXIT_OK for COMMAND_DONE, else the result. */
int command_parse_exit(int parsed);

/* Checks that the parser collected exactly `count` operands (described as `what`); prints and returns EXIT_USAGE
 * if not, else EXIT_OK. */
int command_expect_operands(const struct option_parser *parser, size_t count, const char *what);

#endif
