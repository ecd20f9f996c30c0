/* A small getopt_long without global state or argument permutation. */
#include "option_parser.h"

#include <stdarg.h>
#include <string.h>

void option_parser_init(struct option_parser *parser, int argc, char **argv, int first, const struct option_spec *specs,
                        size_t spec_count, const char *command, FILE *err)
{
    *parser = (struct option_parser){
        .argc = argc,
        .argv = argv,
        .index = first,
        .specs = specs,
        .spec_count = spec_count,
        .command = command,
        .err = err,
    };
}

int option_error(const struct option_parser *parser, const char *format, ...)
{
    fprintf(parser->err, "%s: ", parser->command);
    va_list arguments;
    va_start(arguments, format);
    vfprintf(parser->err, format, arguments);
    va_end(arguments);
    fprintf(parser->err, " (see %s --help)\n", parser->command);
    return OPTION_ERROR;
}

static int find_long(const struct option_parser *parser, const char *name, size_t length)
{
    for (size_t i = 0; i < parser->spec_count; i++) {
        if (strlen(parser->specs[i].name) == length && strncmp(parser->specs[i].name, name, length) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int find_short(const struct option_parser *parser, char name)
{
    for (size_t i = 0; i < parser->spec_count; i++) {
        if (parser->specs[i].short_name != 0 && parser->specs[i].short_name == name) {
            return (int)i;
        }
    }
    return -1;
}

static int add_operand(struct option_parser *parser, const char *operand)
{
    if (parser->operand_count == OPTION_MAX_OPERANDS) {
        return option_error(parser, "too many arguments");
    }
    parser->operands[parser->operand_count++] = operand;
    return 0;
}

/* The option at argv[index] (already known to start with '-'): its spec and value. */
static int take_option(struct option_parser *parser, const char *argument, const char **value)
{
    const char *inline_value = NULL;
    int found;
    if (argument[1] == '-') {
        const char *name = argument + 2;
        const char *equals = strchr(name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen(name);
        inline_value = equals ? equals + 1 : NULL;
        if (length == 4 && strncmp(name, "help", 4) == 0 && inline_value == NULL) {
            return OPTION_HELP;
        }
        found = find_long(parser, name, length);
    } else {
        if (argument[1] == 'h' && argument[2] == '\0') {
            return OPTION_HELP;
        }
        found = argument[2] == '\0' ? find_short(parser, argument[1]) : -1;
    }
    if (found < 0) {
        return option_error(parser, "unknown option %s", argument);
    }
    const struct option_spec *spec = &parser->specs[found];
    if (!spec->has_value) {
        if (inline_value) {
            return option_error(parser, "option --%s takes no value", spec->name);
        }
        return found;
    }
    if (inline_value == NULL) {
        if (parser->index >= parser->argc) {
            return option_error(parser, "option --%s needs a value", spec->name);
        }
        inline_value = parser->argv[parser->index++];
    }
    *value = inline_value;
    return found;
}

int option_next(struct option_parser *parser, const char **value)
{
    *value = NULL;
    while (parser->index < parser->argc) {
        const char *argument = parser->argv[parser->index];
        bool is_option = !parser->operands_only && argument[0] == '-' && argument[1] != '\0';
        if (!is_option && parser->stop_at_operand) {
            return OPTION_END;
        }
        parser->index++;
        if (is_option && strcmp(argument, "--") == 0) {
            parser->operands_only = true;
        } else if (is_option) {
            return take_option(parser, argument, value);
        } else if (add_operand(parser, argument) != 0) {
            return OPTION_ERROR;
        }
    }
    return OPTION_END;
}
