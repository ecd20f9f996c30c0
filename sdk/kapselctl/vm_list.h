/* vm list's filter and output, shared by the one-host and the fleet command. */
#ifndef KAPSELCTL_VM_LIST_H
#define KAPSELCTL_VM_LIST_H

#include "command.h"
#include "value_parsers.h"

#define VM_LIST_FILTER_MAX_LABELS 16

struct vm_list_filter {
    Kapsel__V1__ListVmsRequest request;
    char *selectors[VM_LIST_FILTER_MAX_LABELS]; /* request.label_selector */
};

/* Parses vm list's options: EXIT_OK, EXIT_USAGE or COMMAND_DONE. */
int vm_list_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first,
                  struct vm_list_filter *filter);

/* Prints the VMs: a JSON array, or the table (with a HOST column if host is not NULL). */
int print_vm_list(const struct cli *cli, const char *host, const struct kapsel_vm_list *list);

/* The single operand as a VM name: EXIT_OK or EXIT_USAGE (printed). */
int parse_vm_operand(const struct option_parser *parser, char name[RESOURCE_NAME_BYTES]);

#endif
