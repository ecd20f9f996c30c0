/* What every command gets: the global options, its output streams, and helpers to connect and report errors with
 * the exit codes of exit_codes.h. */
#ifndef KAPSELCTL_CLI_H
#define KAPSELCTL_CLI_H

#include "global_options.h"

#include <kapsel/client.h>
#include <stdio.h>

struct cli {
    struct global_options options;
    FILE *out;
    FILE *err;
    bool err_is_tty; /* push draws a progress bar */
};

/* The client options of every host: the API token of --token or $KAPSEL_TOKEN. */
struct kapsel_client_options cli_client_options(const struct cli *cli);

/* A client of address; on failure prints why and returns the exit code. */
int cli_connect(const struct cli *cli, const char *address, struct kapsel_client **client);

/* A unary call's deadline: --timeout, else 30 s. */
struct kapsel_call_options cli_call_options(const struct cli *cli);

/* A stream's or an upload's: --timeout if given, else none. */
struct kapsel_call_options cli_long_call_options(const struct cli *cli);

/* The exit code for a call's status: EXIT_OK, EXIT_UNREACHABLE for UNAVAILABLE, EXIT_NOT_AUTHORIZED for
 * UNAUTHENTICATED and PERMISSION_DENIED, EXIT_NOT_ATTESTED for evidence that does not verify, else EXIT_API_ERROR. */
int exit_code_for_status(const struct kapsel_status *status);

/* Prints "kapselctl: <what>: <CODE>: <message>" (what may be NULL; UNAVAILABLE names the host as unreachable;
 * UNAUTHENTICATED without a token says how to give one) and returns exit_code_for_status. */
int cli_report(const struct cli *cli, const char *what, const struct kapsel_status *status);

/* What a successful delete prints: {"deleted": name} in JSON, "<name> deleted" otherwise. */
void cli_print_deleted(const struct cli *cli, const char *name);

/* Prints "kapselctl: <message>" and returns EXIT_LOCAL_ERROR. */
int cli_local_error(const struct cli *cli, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Prints "kapselctl: <message>" and returns EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
