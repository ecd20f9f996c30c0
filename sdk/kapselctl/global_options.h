/* kapselctl's global options, before the command: --host, --fleet, --output, --timeout, --token. */
#ifndef KAPSELCTL_GLOBAL_OPTIONS_H
#define KAPSELCTL_GLOBAL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DEFAULT_HOST "127.0.0.1:50051"
#define DEFAULT_TIMEOUT_MS 30000u

enum output_format {
    OUTPUT_TABLE,
    OUTPUT_JSON,
};

struct global_options {
    const char *host;       /* --host, else $KAPSEL_HOST, else DEFAULT_HOST */
    const char *fleet_file; /* --fleet; NULL: one host */
    enum output_format output;
    uint32_t timeout_ms; /* --timeout: 0 (--timeout 0) means none */
    bool timeout_given;
    const char *token; /* --token, else $KAPSEL_TOKEN; NULL: none. Never printed */
    bool help;
};

/* "json" or "table" (--output's value); false for another text. */
bool output_format_parse(const char *text, enum output_format *format);

/* Parses argv[1..] up to the command; *command_index is the command's index (argc if none). Returns EXIT_OK or
 * EXIT_USAGE (printed to err). */
int global_options_parse(int argc, char **argv, struct global_options *options, int *command_index, FILE *err);

#endif
