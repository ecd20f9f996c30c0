/* Helpers every command uses to parse its arguments and show its help. */
#include "command.h"

#include "exit_codes.h"

void command_title(const struct command *command, char *title, size_t size)
{
    if (command->group) {
        snprintf(title, size, "kapselctl %s %s", command->group, command->name);
    } else {
        snprintf(title, size, "kapselctl %s", command->name);
    }
}

int command_help(const struct cli *cli, const struct command *command)
{
    fputs(command->help, cli->out);
    return EXIT_OK;
}

void command_parser_init(struct option_parser *parser, const struct cli *cli, const struct command *command,
                         char *title, size_t title_size, int argc, char **argv, int first,
                         const struct option_spec *specs, size_t spec_count)
{
    command_title(command, title, title_size);
    option_parser_init(parser, argc, argv, first, specs, spec_count, title, cli->err);
}

int command_option_exit(const struct cli *cli, const struct command *command, int option)
{
    if (option == OPTION_HELP) {
        command_help(cli, command);
        return COMMAND_DONE;
    }
    return EXIT_USAGE;
}

int command_parse_exit(int parsed)
{
    return parsed == COMMAND_DONE ? EXIT_OK : parsed;
}

int command_expect_operands(const struct option_parser *parser, size_t count, const char *what)
{
    if (parser->operand_count < count) {
        option_error(parser, "missing %s", what);
        return EXIT_USAGE;
    }
    if (parser->operand_count > count) {
        option_error(parser, "unexpected argument \"%s\"", parser->operands[count]);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}
