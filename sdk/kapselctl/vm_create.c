/* kapselctl vm create. */
#include "vm_create.h"

#include "commands.h"
#include "exit_codes.h"
#include "fleet_commands.h"
#include "render_vm.h"

#include <string.h>

#define TITLE_BYTES 64

enum {
    CREATE_KERNEL,
    CREATE_INITRD,
    CREATE_CMDLINE,
    CREATE_MEMORY,
    CREATE_VCPUS,
    CREATE_DISK,
    CREATE_NETWORK,
    CREATE_LABEL,
    CREATE_TENANT,
    CREATE_ID,
    CREATE_START,
    CREATE_SPREAD,
};

static const struct option_spec create_specs[] = {
    [CREATE_KERNEL] = {"kernel", 'k', true},   [CREATE_INITRD] = {"initrd", 0, true},
    [CREATE_CMDLINE] = {"cmdline", 0, true},   [CREATE_MEMORY] = {"memory", 'm', true},
    [CREATE_VCPUS] = {"vcpus", 0, true},       [CREATE_DISK] = {"disk", 'd', true},
    [CREATE_NETWORK] = {"network", 'n', true}, [CREATE_LABEL] = {"label", 'l', true},
    [CREATE_TENANT] = {"tenant", 't', true},   [CREATE_ID] = {"id", 0, true},
    [CREATE_START] = {"start", 0, false},      [CREATE_SPREAD] = {"spread", 0, true},
};

static bool parse_image_option(struct option_parser *parser, const char *option, const char *value,
                               struct image_reference *reference)
{
    if (!image_reference_parse(value, strlen(value), reference)) {
        option_error(parser, "--%s %s: neither an image name (images/<sha256>) nor a readable file", option, value);
        return false;
    }
    return true;
}

static bool parse_disk_option(struct option_parser *parser, const char *value, struct vm_create_args *args)
{
    size_t length;
    bool read_only;
    if (args->disk_count == VM_CREATE_MAX_DISKS) {
        option_error(parser, "at most %d --disk", VM_CREATE_MAX_DISKS);
        return false;
    }
    if (!parse_disk(value, &length, &read_only) ||
        !image_reference_parse(value, length, &args->disks[args->disk_count])) {
        option_error(parser, "--disk %s: IMAGE[:ro|:rw], IMAGE an image name (images/<sha256>) or a readable file",
                     value);
        return false;
    }
    args->disk_read_only[args->disk_count++] = read_only;
    return true;
}

static bool parse_label_option(struct option_parser *parser, const char *value, struct vm_create_args *args)
{
    size_t key_length;
    const char *label_value;
    if (args->label_count == VM_CREATE_MAX_LABELS) {
        option_error(parser, "at most %d --label", VM_CREATE_MAX_LABELS);
        return false;
    }
    if (!parse_label(value, &key_length, &label_value) || key_length >= LABEL_KEY_BYTES) {
        option_error(parser, "--label is KEY=VALUE (a key of 1 to %d bytes), not \"%s\"", LABEL_KEY_BYTES - 1, value);
        return false;
    }
    struct label_argument *label = &args->labels[args->label_count++];
    memcpy(label->key, value, key_length);
    label->key[key_length] = '\0';
    label->value = label_value;
    return true;
}

/* One option into args; false if it was wrong (printed). */
static bool parse_create_option(struct option_parser *parser, int option, const char *value,
                                struct vm_create_args *args)
{
    switch (option) {
    case CREATE_KERNEL:
        return parse_image_option(parser, "kernel", value, &args->kernel);
    case CREATE_INITRD:
        args->has_initrd = true;
        return parse_image_option(parser, "initrd", value, &args->initrd);
    case CREATE_CMDLINE:
        args->command_line = value;
        return true;
    case CREATE_MEMORY:
        if (!parse_memory_mib(value, &args->memory_mib)) {
            option_error(parser, "--memory is MiB (\"512\", \"512Mi\") or GiB (\"2Gi\"), not \"%s\"", value);
            return false;
        }
        return true;
    case CREATE_VCPUS:
        if (!parse_uint32(value, 1, UINT32_MAX, &args->vcpus)) {
            option_error(parser, "--vcpus takes a count, not \"%s\"", value);
            return false;
        }
        return true;
    case CREATE_DISK:
        return parse_disk_option(parser, value, args);
    case CREATE_NETWORK:
        if (!parse_uint32(value, 0, UINT32_MAX, &args->network_id)) {
            option_error(parser, "--network takes a network number, not \"%s\"", value);
            return false;
        }
        return true;
    case CREATE_LABEL:
        return parse_label_option(parser, value, args);
    case CREATE_TENANT:
        args->tenant = value;
        return true;
    case CREATE_ID:
        args->id = value;
        return true;
    case CREATE_START:
        args->start = true;
        return true;
    default: /* CREATE_SPREAD */
        if (!parse_uint32(value, 1, FLEET_MAX_HOSTS * 16, &args->spread)) {
            option_error(parser, "--spread takes a VM count, 1 to %d, not \"%s\"", FLEET_MAX_HOSTS * 16, value);
            return false;
        }
        return true;
    }
}

int vm_create_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first,
                    struct vm_create_args *args)
{
    char title[TITLE_BYTES];
    struct option_parser parser;
    command_parser_init(&parser, cli, command, title, sizeof(title), argc, argv, first, create_specs,
                        sizeof(create_specs) / sizeof(create_specs[0]));
    *args = (struct vm_create_args){.memory_mib = VM_CREATE_DEFAULT_MEMORY_MIB};
    bool has_kernel = false;
    for (;;) {
        const char *value;
        int option = option_next(&parser, &value);
        if (option == OPTION_END) {
            break;
        }
        if (option < 0) {
            return command_option_exit(cli, command, option);
        }
        if (!parse_create_option(&parser, option, value, args)) {
            return EXIT_USAGE;
        }
        has_kernel = has_kernel || option == CREATE_KERNEL;
    }
    if (!has_kernel || args->tenant == NULL) {
        option_error(&parser, "%s is required", has_kernel ? "--tenant" : "--kernel");
        return EXIT_USAGE;
    }
    return command_expect_operands(&parser, 0, "");
}

void vm_create_request_build(const struct vm_create_args *args, uint32_t spread_number, struct vm_create_request *built)
{
    *built = (struct vm_create_request){
        .request = KAPSEL__V1__CREATE_VM_REQUEST__INIT,
        .vm = KAPSEL__V1__VM__INIT,
        .spec = KAPSEL__V1__VM_SPEC__INIT,
    };
    built->spec.kernel_image = (char *)args->kernel.name;
    built->spec.initrd_image = args->has_initrd ? (char *)args->initrd.name : "";
    built->spec.command_line = (char *)(args->command_line ? args->command_line : "");
    built->spec.memory_mib = args->memory_mib;
    built->spec.vcpus = args->vcpus;
    built->spec.network_id = args->network_id;
    for (size_t i = 0; i < args->disk_count; i++) {
        built->disks[i] = (Kapsel__V1__Disk)KAPSEL__V1__DISK__INIT;
        built->disks[i].image = (char *)args->disks[i].name;
        built->disks[i].read_only = args->disk_read_only[i];
        built->disk_pointers[i] = &built->disks[i];
    }
    built->spec.n_disks = args->disk_count;
    built->spec.disks = built->disk_pointers;
    for (size_t i = 0; i < args->label_count; i++) {
        built->labels[i] = (Kapsel__V1__Vm__LabelsEntry)KAPSEL__V1__VM__LABELS_ENTRY__INIT;
        built->labels[i].key = (char *)args->labels[i].key;
        built->labels[i].value = (char *)args->labels[i].value;
        built->label_pointers[i] = &built->labels[i];
    }
    built->vm.n_labels = args->label_count;
    built->vm.labels = built->label_pointers;
    built->vm.tenant = (char *)args->tenant;
    built->vm.spec = &built->spec;
    if (args->id && spread_number > 0) {
        snprintf(built->vm_id, sizeof(built->vm_id), "%s-%u", args->id, (unsigned)spread_number);
    } else {
        snprintf(built->vm_id, sizeof(built->vm_id), "%s", args->id ? args->id : "");
    }
    built->request.vm_id = built->vm_id;
    built->request.vm = &built->vm;
}

static int resolve_images(const struct cli *cli, struct kapsel_client *client, struct vm_create_args *args,
                          bool show_progress, struct push_outcome *outcome)
{
    int code = image_reference_resolve(cli, client, &args->kernel, show_progress, outcome);
    if (code == KAPSEL_OK && args->has_initrd) {
        code = image_reference_resolve(cli, client, &args->initrd, show_progress, outcome);
    }
    for (size_t i = 0; code == KAPSEL_OK && i < args->disk_count; i++) {
        code = image_reference_resolve(cli, client, &args->disks[i], show_progress, outcome);
    }
    return code;
}

int vm_create_on_host(const struct cli *cli, struct kapsel_client *client, struct vm_create_args *args,
                      uint32_t spread_number, bool show_progress, Kapsel__V1__Vm **vm, struct push_outcome *outcome)
{
    *vm = NULL;
    int code = resolve_images(cli, client, args, show_progress, outcome);
    if (code != KAPSEL_OK) {
        return code;
    }
    struct vm_create_request built;
    vm_create_request_build(args, spread_number, &built);
    struct kapsel_call_options call_options = cli_call_options(cli);
    code = kapsel_create_vm(client, &built.request, &call_options, vm, &outcome->status);
    if (code != KAPSEL_OK || !args->start) {
        return code;
    }
    Kapsel__V1__StartVmRequest start = KAPSEL__V1__START_VM_REQUEST__INIT;
    start.name = (*vm)->name;
    Kapsel__V1__Vm *started = NULL;
    code = kapsel_start_vm(client, &start, &call_options, &started, &outcome->status);
    if (code == KAPSEL_OK) {
        kapsel__v1__vm__free_unpacked(*vm, NULL);
        *vm = started;
    }
    return code;
}

static int run_create(const struct cli *cli, const struct command *command, int argc, char **argv, int first)
{
    struct vm_create_args args;
    int exit_code = vm_create_parse(cli, command, argc, argv, first, &args);
    if (exit_code == EXIT_OK && args.spread) {
        exit_code = cli_usage_error(cli, "vm create --spread places VMs across a fleet: give --fleet FILE");
    }
    struct kapsel_client *client;
    if (exit_code != EXIT_OK || (exit_code = cli_connect(cli, cli->options.host, &client)) != EXIT_OK) {
        return command_parse_exit(exit_code);
    }
    Kapsel__V1__Vm *vm = NULL;
    struct push_outcome outcome;
    int code = vm_create_on_host(cli, client, &args, 0, true, &vm, &outcome);
    if (outcome.local_failure) {
        exit_code = cli_local_error(cli, "%s", outcome.status.message);
    } else if (code != KAPSEL_OK) {
        exit_code = cli_report(cli, vm ? "VM created, not started" : "CreateVm", &outcome.status);
    }
    if (vm && cli->options.output == OUTPUT_JSON) {
        struct json_writer writer;
        json_init(&writer, cli->out, true);
        vm_json(&writer, vm);
    } else if (vm) {
        vm_detail(cli->out, vm);
    }
    if (vm) {
        kapsel__v1__vm__free_unpacked(vm, NULL);
    }
    kapsel_client_close(client);
    return exit_code;
}

const struct command vm_create_command = {
    .group = "vm",
    .name = "create",
    .summary = "create a VM (and start it with --start)",
    .help =
        "Usage: kapselctl vm create --kernel IMAGE --tenant TENANT [--initrd IMAGE] [--cmdline TEXT]\n"
        "                           [--memory SIZE] [--vcpus N] [--disk IMAGE[:ro]]... [--network N]\n"
        "                           [--label KEY=VALUE]... [--id ID] [--start] [--spread N (with --fleet)]\n"
        "\n"
        "Creates a VM in state CREATED (CreateVm) and prints it. An IMAGE is an image name (images/<sha256>, or\n"
        "the bare digest) or a local file, pushed first unless the host has its content already.\n"
        "\n"
        "Options:\n"
        "  -k, --kernel IMAGE       the guest kernel (bzImage); required\n"
        "      --initrd IMAGE       the initramfs\n"
        "      --cmdline TEXT       the guest kernel's command line\n"
        "  -m, --memory SIZE        guest RAM: MiB (\"512\", \"512Mi\") or GiB (\"2Gi\"); default 256Mi\n"
        "      --vcpus N            virtual CPUs (default: the host's, 1)\n"
        "  -d, --disk IMAGE[:ro]    a virtio-blk disk, writable (the VM's own copy) unless :ro; repeatable\n"
        "  -n, --network N          the tenant network the VM's virtio-net joins (default: none)\n"
        "  -l, --label KEY=VALUE    a label; repeatable\n"
        "  -t, --tenant TENANT      the tenant the VM belongs to; required\n"
        "      --id ID              the VM's id (default: the host picks one); with --spread: ID-1 ... ID-N\n"
        "      --start              start the VM once created\n"
        "      --spread N           with --fleet: create N VMs across the fleet's hosts, each on the host with the\n"
        "                           most free VM memory left (GetHostInfo), ties to the host listed first\n",
    .run = run_create,
    .run_fleet = fleet_vm_create,
};
