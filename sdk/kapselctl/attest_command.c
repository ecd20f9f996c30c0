/* kapselctl attest: AttestVm with a fresh nonce, the evidence verified by the client library (signature, version,
 * VM, nonce, and the key if --expect-key pins it), then compared with what the caller expects (--expect-*). */
#include "attest_expectations.h"
#include "commands.h"
#include "exit_codes.h"
#include "hex.h"
#include "render_attestation.h"
#include "value_parsers.h"
#include "vm_list.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define TITLE_BYTES 64
#define DEFAULT_NONCE_BYTES 32
/* Room for a key file's text: the key's 130 hex digits with blanks around them, and more to tell a longer text. */
#define KEY_FILE_BYTES 256

/* The options; --expect-kernel, --expect-initrd and --expect-cmdline are ATTEST_EXPECT + their attest_subject. */
enum {
    ATTEST_NONCE,
    ATTEST_EXPECT_KEY,
    ATTEST_OUTPUT,
    ATTEST_EXPECT,
};

static const struct option_spec attest_specs[] = {
    [ATTEST_NONCE] = {"nonce", 0, true},
    [ATTEST_EXPECT_KEY] = {"expect-key", 0, true},
    [ATTEST_OUTPUT] = {"output", 'o', true},
    [ATTEST_EXPECT + ATTEST_KERNEL] = {"expect-kernel", 0, true},
    [ATTEST_EXPECT + ATTEST_INITRD] = {"expect-initrd", 0, true},
    [ATTEST_EXPECT + ATTEST_CMDLINE] = {"expect-cmdline", 0, true},
};

struct attest_args {
    char name[RESOURCE_NAME_BYTES];
    uint8_t nonce[KAPSEL_ATTESTATION_NONCE_MAX];
    size_t nonce_len; /* 0: not given */
    bool key_given;
    uint8_t key[KAPSEL_ATTESTATION_KEY_BYTES];
    const char *sources[ATTEST_SUBJECT_COUNT]; /* --expect-kernel, --expect-initrd, --expect-cmdline */
};

static int parse_nonce(struct option_parser *parser, const char *value, struct attest_args *args)
{
    if (!hex_decode(value, args->nonce, sizeof(args->nonce), &args->nonce_len) ||
        args->nonce_len < KAPSEL_ATTESTATION_NONCE_MIN) {
        option_error(parser, "--nonce takes %d to %d bytes in hex (%d to %d digits), not \"%s\"",
                     KAPSEL_ATTESTATION_NONCE_MIN, KAPSEL_ATTESTATION_NONCE_MAX, 2 * KAPSEL_ATTESTATION_NONCE_MIN,
                     2 * KAPSEL_ATTESTATION_NONCE_MAX, value);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* A key file's text without the blanks around it; false (errno set) if it cannot be read. */
static bool read_key_file(const char *path, char text[KEY_FILE_BYTES], const char **key)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        return false;
    }
    size_t length = fread(text, 1, KEY_FILE_BYTES - 1, file);
    bool read = !ferror(file);
    fclose(file);
    text[length] = '\0';
    while (length > 0 && isspace((unsigned char)text[length - 1])) {
        text[--length] = '\0';
    }
    for (*key = text; isspace((unsigned char)**key); (*key)++) {
    }
    errno = read ? 0 : EIO;
    return read;
}

/* --expect-key HEX or @FILE: EXIT_OK, EXIT_USAGE, or EXIT_LOCAL_ERROR for a file that cannot be read. */
static int parse_key(struct option_parser *parser, const struct cli *cli, const char *value, struct attest_args *args)
{
    char text[KEY_FILE_BYTES];
    const char *hex = value;
    if (value[0] == '@' && !read_key_file(value + 1, text, &hex)) {
        return cli_local_error(cli, "--expect-key %s: %s", value + 1, strerror(errno));
    }
    size_t length = 0;
    if (!hex_decode(hex, args->key, sizeof(args->key), &length) || length != KAPSEL_ATTESTATION_KEY_BYTES ||
        args->key[0] != 0x04) {
        option_error(parser,
                     "--expect-key takes the host's attestation key as host info shows it, %d hex digits (04 first), "
                     "or @FILE of a file that holds them; \"%.40s\" is not one",
                     2 * KAPSEL_ATTESTATION_KEY_BYTES, value);
        return EXIT_USAGE;
    }
    args->key_given = true;
    return EXIT_OK;
}

/* One option into args (cli's output for -o): EXIT_OK, EXIT_USAGE or EXIT_LOCAL_ERROR, printed. */
static int parse_attest_option(struct option_parser *parser, struct cli *cli, int option, const char *value,
                               struct attest_args *args)
{
    switch (option) {
    case ATTEST_NONCE:
        return parse_nonce(parser, value, args);
    case ATTEST_EXPECT_KEY:
        return parse_key(parser, cli, value, args);
    case ATTEST_OUTPUT:
        if (!output_format_parse(value, &cli->options.output)) {
            option_error(parser, "--output is json or table, not \"%s\"", value);
            return EXIT_USAGE;
        }
        return EXIT_OK;
    default: /* an --expect-* */
        args->sources[option - ATTEST_EXPECT] = value;
        return EXIT_OK;
    }
}

/* Parses attest's arguments: EXIT_OK, EXIT_USAGE, EXIT_LOCAL_ERROR (printed) or COMMAND_DONE (help printed). */
static int attest_parse(struct cli *cli, const struct command *command, int argc, char **argv, int first,
                        struct attest_args *args)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, attest_specs,
                        sizeof(attest_specs) / sizeof(attest_specs[0]));
    *args = (struct attest_args){0};
    for (;;) {
        const char *value;
        int option = option_next(&parser, &value);
        if (option == OPTION_END) {
            break;
        }
        int exit_code = option < 0 ? command_option_exit(cli, command, option)
                                   : parse_attest_option(&parser, cli, option, value, args);
        if (exit_code != EXIT_OK) {
            return exit_code;
        }
    }
    return parse_vm_operand(&parser, args->name);
}

/* A nonce of DEFAULT_NONCE_BYTES from the kernel's random source; false (errno set) if it has none. */
static bool random_nonce(struct attest_args *args)
{
    size_t filled = 0;
    while (filled < DEFAULT_NONCE_BYTES) {
        ssize_t got = getrandom(args->nonce + filled, DEFAULT_NONCE_BYTES - filled, 0);
        if (got < 0 && errno != EINTR) {
            return false;
        }
        filled += got > 0 ? (size_t)got : 0;
    }
    args->nonce_len = DEFAULT_NONCE_BYTES;
    return true;
}

/* The SHA-256s of the --expect-* files and text, before the host is asked: EXIT_OK or EXIT_LOCAL_ERROR. */
static int prepare_expectations(const struct cli *cli, const struct attest_args *args,
                                struct attest_expectations *expectations)
{
    *expectations = (struct attest_expectations){0};
    for (int subject = 0; subject < ATTEST_SUBJECT_COUNT; subject++) {
        struct kapsel_status status;
        if (args->sources[subject] &&
            attest_expect(expectations, subject, args->sources[subject], &status) != KAPSEL_OK) {
            return cli_local_error(cli, "%s: %s", attest_subject_option(subject), status.message);
        }
    }
    return EXIT_OK;
}

/* Prints the verified evidence; EXIT_OK if every expectation is met, else says which are not: EXIT_NOT_ATTESTED. */
static int report_evidence(const struct cli *cli, const struct attest_args *args,
                           const struct kapsel_attestation *attestation, struct attest_expectations *expectations)
{
    bool attested = attest_expectations_check(expectations, attestation->evidence);
    if (cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        attestation_json(&writer, attestation, args->key_given, expectations, attested);
    } else {
        attestation_detail(cli->out, attestation, args->key_given, expectations);
    }
    for (int subject = 0; !attested && subject < ATTEST_SUBJECT_COUNT; subject++) {
        const struct attest_expectation *expectation = &expectations->subjects[subject];
        if (expectation->source && !expectation->met) {
            const char *stated = attest_subject_evidence(subject, attestation->evidence);
            fprintf(cli->err, "kapselctl: %s: not attested: %s is \"%s\", not %s (the SHA-256 of %s %s)\n", args->name,
                    attest_subject_field(subject), stated, expectation->sha256, attest_subject_option(subject),
                    expectation->source);
        }
    }
    return attested ? EXIT_OK : EXIT_NOT_ATTESTED;
}

static int run_attest(const struct cli *global_cli, const struct command *command, int argc, char **argv, int first)
{
    struct cli cli = *global_cli;
    struct attest_args args;
    struct attest_expectations expectations;
    int exit_code = attest_parse(&cli, command, argc, argv, first, &args);
    if (exit_code != EXIT_OK || (exit_code = prepare_expectations(&cli, &args, &expectations)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    if (args.nonce_len == 0 && !random_nonce(&args)) {
        return cli_local_error(&cli, "no random nonce: getrandom: %s", strerror(errno));
    }
    struct kapsel_client *client;
    if ((exit_code = cli_connect(&cli, cli.options.host, &client)) != EXIT_OK) {
        return exit_code;
    }
    struct kapsel_call_options call_options = cli_call_options(&cli);
    struct kapsel_status status;
    struct kapsel_attestation attestation;
    int code = kapsel_vm_attest(client, args.name, args.nonce, args.nonce_len, args.key_given ? args.key : NULL,
                                &call_options, &attestation, &status);
    kapsel_client_close(client);
    if (code == KAPSEL_UNIMPLEMENTED) {
        fprintf(cli.err,
                "kapselctl attest: not available: the host does not implement attestation (AttestVm: "
                "UNIMPLEMENTED: %s)\n",
                status.message);
        return EXIT_NOT_AVAILABLE;
    }
    if (code != KAPSEL_OK) {
        return cli_report(&cli, args.name, &status);
    }
    exit_code = report_evidence(&cli, &args, &attestation, &expectations);
    kapsel_attestation_free(&attestation);
    return exit_code;
}

const struct command attest_command = {
    .name = "attest",
    .summary = "verified evidence about a VM",
    .help = "Usage: kapselctl attest NAME [--nonce HEX] [--expect-key HEX|@FILE] [--expect-kernel FILE]\n"
            "                        [--expect-initrd FILE] [--expect-cmdline TEXT] [-o json|table]\n"
            "\n"
            "Asks the host for signed evidence about the VM NAME (its id or vms/ID) bound to a fresh nonce\n"
            "(AttestVm), verifies it and prints it: the kernel, initrd, command line and disks the VM boots (as\n"
            "SHA-256s), its tenant, state, memory, vCPUs and network, and the uvmm that runs it. Verified: the ECDSA\n"
            "P-256 signature over the evidence with the key the host returned, the evidence's version, that it is\n"
            "about NAME and carries the nonce sent, and with --expect-key that the key is the one given.\n"
            "\n"
            "Trust: the key is the host agent's, new at each start of the host, with no hardware root of trust: the\n"
            "evidence is as trustworthy as the agent. Pin the key: take it from kapselctl host info over a channel\n"
            "you trust, and give it to --expect-key.\n"
            "\n"
            "Options:\n"
            "      --nonce HEX             the nonce, 16 to 64 bytes in hex (default: 32 random bytes)\n"
            "      --expect-key HEX|@FILE  the host's attestation key (130 hex digits), or a file holding it\n"
            "      --expect-kernel FILE    the VM's kernel must be this file (its SHA-256)\n"
            "      --expect-initrd FILE    the VM's initrd must be this file\n"
            "      --expect-cmdline TEXT   the VM's command line must be TEXT\n"
            "  -o, --output json|table     as the global --output\n"
            "\n"
            "Exit codes: 0 verified and every expectation met; 10 not attested: the evidence does not verify\n"
            "(ATTESTATION_INVALID, the failed check named) or an expectation is not met (named); 7 the host does\n"
            "not implement attestation (UNIMPLEMENTED); 2 usage (a --nonce of another size, a malformed key);\n"
            "4 a file of --expect-* cannot be read; 1, 3, 9 as for every command.\n",
    .run = run_attest,
};
