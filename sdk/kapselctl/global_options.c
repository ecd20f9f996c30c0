/* Global options, and their defaults from the environment. */
#include "global_options.h"

#include "exit_codes.h"
#include "option_parser.h"
#include "value_parsers.h"

#include <kapsel/client.h>
#include <stdlib.h>
#include <string.h>

enum { GLOBAL_HOST, GLOBAL_FLEET, GLOBAL_OUTPUT, GLOBAL_TIMEOUT, GLOBAL_TOKEN };

static const struct option_spec global_specs[] = {
    [GLOBAL_HOST] = {"host", 'H', true},     [GLOBAL_FLEET] = {"fleet", 0, true},
    [GLOBAL_OUTPUT] = {"output", 'o', true}, [GLOBAL_TIMEOUT] = {"timeout", 0, true},
    [GLOBAL_TOKEN] = {"token", 0, true},
};

/* The token of --token or $KAPSEL_TOKEN (source, for the message): "" is none (NULL); a malformed one is a usage
 * error whose message does not show it (error output ends up in logs). */
static int take_token(const struct option_parser *parser, const char *source, const char *token, const char **taken)
{
    if (token == NULL || token[0] == '\0') {
        *taken = NULL;
        return EXIT_OK;
    }
    if (!kapsel_token_valid(token)) {
        option_error(parser, "%s must be 1 to %d characters of visible ASCII, no spaces", source,
                     KAPSEL_TOKEN_MAX_BYTES);
        return EXIT_USAGE;
    }
    *taken = token;
    return EXIT_OK;
}

bool output_format_parse(const char *text, enum output_format *format)
{
    if (strcmp(text, "json") == 0) {
        *format = OUTPUT_JSON;
    } else if (strcmp(text, "table") == 0) {
        *format = OUTPUT_TABLE;
    } else {
        return false;
    }
    return true;
}

int global_options_parse(int argc, char **argv, struct global_options *options, int *command_index, FILE *err)
{
    const char *environment_host = getenv("KAPSEL_HOST");
    *options = (struct global_options){
        .host = environment_host && environment_host[0] ? environment_host : DEFAULT_HOST,
        .output = OUTPUT_TABLE,
        .timeout_ms = DEFAULT_TIMEOUT_MS,
    };
    struct option_parser parser;
    option_parser_init(&parser, argc, argv, 1, global_specs, sizeof(global_specs) / sizeof(global_specs[0]),
                       "kapselctl", err);
    parser.stop_at_operand = true;
    bool host_given = false;
    bool token_given = false;
    for (;;) {
        const char *value;
        int option = option_next(&parser, &value);
        switch (option) {
        case OPTION_END:
            *command_index = parser.index;
            if (host_given && options->fleet_file) {
                option_error(&parser, "--host and --fleet exclude each other");
                return EXIT_USAGE;
            }
            return token_given ? EXIT_OK : take_token(&parser, "KAPSEL_TOKEN", getenv("KAPSEL_TOKEN"), &options->token);
        case OPTION_HELP:
            options->help = true;
            *command_index = parser.index;
            return EXIT_OK;
        case OPTION_ERROR:
            return EXIT_USAGE;
        case GLOBAL_HOST:
            if (value[0] == '\0') {
                option_error(&parser, "--host needs an address, HOST:PORT");
                return EXIT_USAGE;
            }
            options->host = value;
            host_given = true;
            break;
        case GLOBAL_FLEET:
            options->fleet_file = value;
            break;
        case GLOBAL_OUTPUT:
            if (!output_format_parse(value, &options->output)) {
                option_error(&parser, "--output is json or table, not \"%s\"", value);
                return EXIT_USAGE;
            }
            break;
        case GLOBAL_TIMEOUT:
            if (!parse_seconds_ms(value, &options->timeout_ms)) {
                option_error(&parser, "--timeout takes seconds, 0 to 86400 (0: none), not \"%s\"", value);
                return EXIT_USAGE;
            }
            options->timeout_given = true;
            break;
        default: /* GLOBAL_TOKEN */
            if (take_token(&parser, "--token", value, &options->token) != EXIT_OK) {
                return EXIT_USAGE;
            }
            token_given = true;
            break;
        }
    }
}
