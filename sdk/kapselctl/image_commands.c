/* kapselctl image push|list|get|rm. */
#include "commands.h"
#include "exit_codes.h"
#include "fleet_commands.h"
#include "human_format.h"
#include "image_push.h"
#include "render_image.h"

#define TITLE_BYTES 64

static void print_image(const struct cli *cli, const Kapsel__V1__Image *image)
{
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        image_json(&writer, image);
    } else {
        image_detail(cli->out, image);
    }
}

enum { PUSH_NAME };

static const struct option_spec push_specs[] = {
    [PUSH_NAME] = {"name", 0, true},
};

static int run_push(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, push_specs,
                        sizeof(push_specs) / sizeof(push_specs[0]));
    const char *display_name = NULL;
    int option;
    const char *value;
    while ((option = option_next(&parser, &value)) >= 0) {
        display_name = value;
    }
    if (option != OPTION_END) {
        return command_parse_exit(command_option_exit(cli, command, option));
    }
    struct kapsel_client *client;
    int exit_code = command_expect_operands(&parser, 1, "the file to push");
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return exit_code;
    }
    Kapsel__V1__Image *image = NULL;
    struct push_outcome outcome;
    int code = image_push_file(cli, client, parser.operands[0], display_name, true, &image, &outcome);
    if (outcome.local_failure) {
        exit_code = cli_local_error(cli, "%s", outcome.status.message);
    } else if (code != KAPSEL_OK) {
        exit_code = cli_report(cli, "UploadImage", &outcome.status);
    } else {
        if (!outcome.uploaded) {
            fprintf(cli->err, "kapselctl: the host has this content already: %s\n", image->name);
        }
        print_image(cli, image);
        kapsel__v1__image__free_unpacked(image, NULL);
    }
    kapsel_client_close(client);
    return exit_code;
}

/* Parses "kapselctl image <verb> NAME": EXIT_OK, EXIT_USAGE or COMMAND_DONE. */
static int parse_image_name_only(const struct cli *cli, const struct command *command, int argc, char **argv, int first,
                                 char name[RESOURCE_NAME_BYTES])
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, NULL, 0);
    const char *value;
    int option = option_next(&parser, &value);
    if (option != OPTION_END) {
        return command_option_exit(cli, command, option);
    }
    int exit_code = command_expect_operands(&parser, 1, "the image's name");
    if (exit_code == EXIT_OK && !image_name_from_operand(parser.operands[0], name)) {
        option_error(&parser, "\"%s\" is not an image name (images/<sha256> or the 64 hex digits)", parser.operands[0]);
        exit_code = EXIT_USAGE;
    }
    return exit_code;
}

static int run_get(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char name[RESOURCE_NAME_BYTES];
    struct kapsel_client *client;
    int exit_code = parse_image_name_only(cli, command, argc, argv, first, name);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    Kapsel__V1__GetImageRequest request = KAPSEL__V1__GET_IMAGE_REQUEST__INIT;
    request.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    Kapsel__V1__Image *image = NULL;
    if (kapsel_get_image(client, &request, &call_options, &image, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, name, &status);
    } else {
        print_image(cli, image);
        kapsel__v1__image__free_unpacked(image, NULL);
    }
    kapsel_client_close(client);
    return exit_code;
}

static int run_rm(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    char name[RESOURCE_NAME_BYTES];
    struct kapsel_client *client;
    int exit_code = parse_image_name_only(cli, command, argc, argv, first, name);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    Kapsel__V1__DeleteImageRequest request = KAPSEL__V1__DELETE_IMAGE_REQUEST__INIT;
    request.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    if (kapsel_delete_image(client, &request, &call_options, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, name, &status);
    } else {
        cli_print_deleted(cli, name);
    }
    kapsel_client_close(client);
    return exit_code;
}

int image_list_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    return no_arguments_parse(cli, command, argc, argv, first);
}

int print_image_list(const struct cli *cli, const char *host, const struct kapsel_image_list *list)
{
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        json_begin_array(&writer);
        for (size_t i = 0; i < list->count; i++) {
            image_json(&writer, list->images[i]);
        }
        json_end_array(&writer);
        return EXIT_OK;
    }
    struct table table;
    uint64_t now = now_unix_ms();
    bool built = image_table_init(&table, host != NULL);
    for (size_t i = 0; built && i < list->count; i++) {
        built = image_table_add(&table, host, list->images[i], now);
    }
    if (built) {
        table_print(&table, cli->out);
    }
    table_free(&table);
    return built ? EXIT_OK : cli_local_error(cli, "out of memory for the table");
}

static int run_list(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    struct kapsel_client *client;
    int exit_code = image_list_parse(cli, command, argc, argv, first);
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    struct kapsel_call_options call_options = cli_call_options(cli);
    struct kapsel_status status;
    struct kapsel_image_list list;
    if (kapsel_list_all_images(client, &call_options, &list, &status) != KAPSEL_OK) {
        exit_code = cli_report(cli, "ListImages", &status);
    } else {
        exit_code = print_image_list(cli, NULL, &list);
        kapsel_image_list_free(&list);
    }
    kapsel_client_close(client);
    return exit_code;
}

const struct command image_push_command = {
    .group = "image",
    .name = "push",
    .summary = "upload a file as an image",
    .help = "Usage: kapselctl image push FILE [--name DISPLAY-NAME]\n"
            "\n"
            "Uploads FILE as an image (UploadImage, 1 MiB chunks, its SHA-256 computed here) unless the host has\n"
            "its content already, and prints the image. On a terminal a progress bar shows bytes and rate;\n"
            "otherwise a line at each quarter, on standard error.\n"
            "\n"
            "Options:\n"
            "      --name DISPLAY-NAME   a name for people, at most 63 printable bytes (default: FILE's base name)\n",
    .run = run_push,
};

const struct command image_list_command = {
    .group = "image",
    .name = "list",
    .summary = "list images",
    .help = "Usage: kapselctl image list\n"
            "\n"
            "Lists the host's images (ListImages, every page). With --fleet: every host's, with a HOST column.\n",
    .run = run_list,
    .run_fleet = fleet_image_list,
};

const struct command image_get_command = {
    .group = "image",
    .name = "get",
    .summary = "show an image",
    .help = "Usage: kapselctl image get NAME\n"
            "\n"
            "Shows an image (GetImage). NAME is images/<sha256> or the 64 hex digits.\n",
    .run = run_get,
};

const struct command image_rm_command = {
    .group = "image",
    .name = "rm",
    .summary = "delete an image",
    .help = "Usage: kapselctl image rm NAME\n"
            "\n"
            "Deletes an image (DeleteImage): FAILED_PRECONDITION while a VM that is not deleted uses it.\n",
    .run = run_rm,
};
