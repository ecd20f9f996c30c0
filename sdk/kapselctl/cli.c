/* Connecting, deadlines and error reports shared by the commands. */
#include "cli.h"

#include "exit_codes.h"
#include "json_writer.h"

#include <stdarg.h>

struct kapsel_client_options cli_client_options(const struct cli *cli)
{
    struct kapsel_client_options options = KAPSEL_CLIENT_OPTIONS_DEFAULT;
    options.token = cli->options.token;
    return options;
}

int cli_connect(const struct cli *cli, const char *address, struct kapsel_client **client)
{
    struct kapsel_status status;
    struct kapsel_client_options options = cli_client_options(cli);
    if (kapsel_client_connect(address, &options, client, &status) != KAPSEL_OK) {
        fprintf(cli->err, "kapselctl: %s: %s\n", address, status.message);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

struct kapsel_call_options cli_call_options(const struct cli *cli)
{
    uint32_t timeout_ms = cli->options.timeout_ms;
    return (struct kapsel_call_options){.timeout_ms = timeout_ms ? timeout_ms : KAPSEL_NO_DEADLINE};
}

struct kapsel_call_options cli_long_call_options(const struct cli *cli)
{
    if (!cli->options.timeout_given) {
        return (struct kapsel_call_options){.timeout_ms = KAPSEL_NO_DEADLINE};
    }
    return cli_call_options(cli);
}

int exit_code_for_status(const struct kapsel_status *status)
{
    switch (status->code) {
    case KAPSEL_OK:
        return EXIT_OK;
    case KAPSEL_UNAVAILABLE:
        return EXIT_UNREACHABLE;
    case KAPSEL_UNAUTHENTICATED:
    case KAPSEL_PERMISSION_DENIED:
        return EXIT_NOT_AUTHORIZED;
    case KAPSEL_ATTESTATION_INVALID:
        return EXIT_NOT_ATTESTED;
    default:
        return EXIT_API_ERROR;
    }
}

int cli_report(const struct cli *cli, const char *what, const struct kapsel_status *status)
{
    fprintf(cli->err, "kapselctl: %s%s", what ? what : "", what ? ": " : "");
    if (status->code == KAPSEL_UNAVAILABLE) {
        fprintf(cli->err, "host %s unreachable: ", cli->options.host);
    }
    fprintf(cli->err, "%s: %s\n", kapsel_code_name(status->code), status->message);
    if (status->code == KAPSEL_UNAUTHENTICATED && cli->options.token == NULL) {
        fputs("kapselctl: the host wants an API token: give --token TOKEN or set KAPSEL_TOKEN\n", cli->err);
    }
    return exit_code_for_status(status);
}

static void print_error(const struct cli *cli, const char *format, va_list arguments)
{
    fputs("kapselctl: ", cli->err);
    vfprintf(cli->err, format, arguments);
    fputc('\n', cli->err);
}

int cli_local_error(const struct cli *cli, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    print_error(cli, format, arguments);
    va_end(arguments);
    return EXIT_LOCAL_ERROR;
}

int cli_usage_error(const struct cli *cli, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    print_error(cli, format, arguments);
    va_end(arguments);
    return EXIT_USAGE;
}

void cli_print_deleted(const struct cli *cli, const char *name)
{
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_object(&writer);
        json_key(&writer, "deleted");
        json_string(&writer, name);
        json_end_object(&writer);
    } else {
        fprintf(cli->out, "%s deleted\n", name);
    }
}
