/* Command-line options of one command level: --name value, --name=value, -n value, flags, "--" before operands,
 * operands anywhere in between (or, for the global level, options only up to the first operand). Errors are
 * printed naming the command and the option. */
#ifndef KAPSELCTL_OPTION_PARSER_H
#define KAPSELCTL_OPTION_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPTION_MAX_OPERANDS 8

struct option_spec {
    const char *name; /* without "--" */
    char short_name;  /* 0: none */
    bool has_value;
};

enum option_result {
    OPTION_END = -1,   /* no options left; the operands are collected */
    OPTION_ERROR = -2, /* printed */
    OPTION_HELP = -3,  /* --help or -h */
};

struct option_parser {
    int argc;
    char **argv;
    int index;
    const struct option_spec *specs;
    size_t spec_count;
    const char *command; /* "kapselctl vm create", for messages */
    FILE *err;
    bool stop_at_operand; /* the global level: the first operand is the command */
    bool operands_only;   /* after "--" */
    const char *operands[OPTION_MAX_OPERANDS];
    size_t operand_count;
};

/* Parses argv[first..argc). */
void option_parser_init(struct option_parser *parser, int argc, char **argv, int first, const struct option_spec *specs,
                        size_t spec_count, const char *command, FILE *err);

/* The next option: the index of its spec (with *value for one that has a value, else NULL), or an option_result. */
int option_next(struct option_parser *parser, const char **value);

/* Prints "<command>: <message>" and a pointer to --help; returns OPTION_ERROR. */
int option_error(const struct option_parser *parser, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
